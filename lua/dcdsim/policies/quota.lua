-- A quota host policy: as greedy, but a host holds at most `quota` bytes
-- of device capacity (every piece on every device counts).  Offers beyond
-- the quota are refused, in chain order.
--
--   local quota = require "dcdsim.policies.quota"
--   host{ name = "h0", device = "dcd0", policy = quota.with{ quota = bytes("8GiB") } }
--
-- `require "dcdsim.policies.quota"` itself has a quota of 64 GiB.
local greedy = require "dcdsim.policies.greedy"

local function make(quota)
	local M = {
		name = "quota",
		quota = quota,
		defaults = greedy.defaults,
		on_release = greedy.on_release,
		on_forced = greedy.on_forced,
		on_region_update = greedy.on_region_update,
	}

	function M.on_chain(host, chain)
		local held = 0
		for _, x in ipairs(host:extents()) do
			held = held + x.length
		end
		return greedy.select(host, chain, function(e)
			if held + e.length > M.quota then
				return false
			end
			held = held + e.length
			return true
		end)
	end

	-- A copy with other settings: with{ quota = bytes }.
	function M.with(settings)
		local q = settings.quota or quota
		if math.type(q) ~= "integer" or q < 0 then
			error("quota.with: 'quota' must be a whole number of bytes, e.g. bytes(\"8GiB\")", 2)
		end
		return make(q)
	end

	return M
end

return make(64 << 30)
