-- lua-policy: host policies written in Lua, next to the built-in linux.
--
-- Two devices, four hosts with the same tenants.  "capped" runs the
-- shipped quota policy, configured for this scenario: it holds at most
-- `quota` bytes of device capacity and refuses offers beyond it.  "greedy"
-- runs the shipped greedy policy (named by its short name): it accepts
-- every valid offer and defers a release of memory still in use.  "small"
-- runs a policy written right here: greedy's checks, but no extent larger
-- than `largest`.  "linux" is the built-in, for comparison: it ignores a
-- release of memory in use, so the FM asks again and finally forces it.
--
-- Compare requests.rejected (offers the quota and the size limit refuse),
-- releases.deferred (the Lua policies) against releases.ignored and
-- releases.forced (linux), forced_release.lost_in_use_bytes, and
-- accept_latency_ns.host.<n>.total per host (docs/metrics.md).
-- docs/host-policy-api.md tells how to write a policy.
--
-- Try: dcdsim run scenarios/lua-policy.lua -D quota=16GiB
--      dcdsim validate dcdsim.policies.quota

scenario{
	name = "lua-policy",
	duration = param("duration", "1h"),
	sample_period = "30s",
	request_sizes = { "512MiB", "2GiB" },
}

fm{ release_timeout = "2s", reissue = 2, force_after_timeout = true }

device{ name = "dcd0", capacity = "64GiB" }
device{ name = "dcd1", capacity = "64GiB" }

local quota = require "dcdsim.policies.quota"
local greedy = require "dcdsim.policies.greedy"
local largest = bytes(param("largest", "2GiB"))

-- A policy as a table of callbacks: on_chain decides, the rest is greedy's.
local small = {
	name = "small",
	defaults = greedy.defaults,
	on_release = greedy.on_release,
	on_forced = greedy.on_forced,
	on_region_update = greedy.on_region_update,
	on_chain = function(host, chain)
		return greedy.select(host, chain, function(e)
			return e.length <= largest
		end)
	end,
}

host{ name = "capped", device = "dcd0",
      policy = quota.with{ quota = bytes(param("quota", "8GiB")) } }
host{ name = "greedy", device = "dcd0", policy = "greedy" }
host{ name = "small", device = "dcd1", policy = small }
host{ name = "linux", device = "dcd1", policy = "linux" }

for _, name in ipairs{ "capped", "greedy", "small", "linux" } do
	poisson{ host = name, rate = "0.2/s", size = exponential("1GiB"),
		 hold = exponential("30s"), use = 0.5, busy_release = 0.2,
		 busy_tail = uniform("1s", "10s") }
end
