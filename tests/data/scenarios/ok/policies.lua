-- Every way host{} names a policy (tests/unit/test_scenario.c).
scenario{ duration = "30s" }
device{ name = "dcd0", capacity = "32GiB" }
device{ name = "dcd1", capacity = "32GiB" }

local quota = require "dcdsim.policies.quota"
local mine = {
	name = "mine",
	defaults = { region_updates = true },
	on_chain = function(host, chain)
		local accepted = {}
		for _, e in ipairs(chain) do
			if not host:overlaps(chain.position, e.start, e.length) then
				accepted[#accepted + 1] = e
			end
		end
		return accepted
	end,
}

host{ name = "builtin", device = "dcd0" }					-- linux, built in
host{ name = "file", device = "dcd0", policy = "policies/half.lua", busy_release = "ignore" }
host{ name = "shipped", device = "dcd0", policy = "greedy", chain_timeout = "3s" }
host{ name = "shipped2", device = "dcd1", policy = "greedy" }
host{ name = "module", device = "dcd1", policy = "dcdsim.policies.linux" }
host{ name = "configured", device = "dcd1", policy = quota.with{ quota = bytes("2GiB") } }
host{ name = "inline", device = "dcd1", policy = mine }
host{ name = "inline2", device = "dcd0", policy = mine }
host{ name = "anonymous", device = "dcd1",
      policy = { on_chain = function(host, chain) return {} end } }

for _, h in ipairs{ "builtin", "file", "shipped", "shipped2", "module", "configured",
		    "inline", "inline2", "anonymous" } do
	poisson{ host = h, rate = "1/s", size = exponential("256MiB"), hold = exponential("3s"),
		 use = 0.3 }
end
