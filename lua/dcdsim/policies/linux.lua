-- The built-in `linux` host policy (the v9 driver, DCD-REFERENCE.md §5)
-- written in Lua: it decides exactly as the C one does, and a test holds
-- them to the same results (tests/unit/test_policy.c).
--
--   host{ name = "h0", device = "dcd0", policy = "dcdsim.policies.linux" }
--
-- Accepts an offered extent when it has no tag and no sharing, lies inside
-- the committed decoder, is made of whole blocks and overlaps nothing the
-- host holds.  Releases and forced releases follow the host's parameters
-- (the linux defaults: ignore an in-use release, ignore a forced one);
-- Region Configuration Updated is not handled (no on_region_update).
local M = { max_ways = 1 }

function M.on_chain(host, chain)
	local p = chain.position
	local accepted = {}
	for i, e in ipairs(chain) do
		if e.tag == nil and not e.shared
			and host:decoder_contains(p, e.start, e.length)
			and host:block_aligned(p, e.start, e.length)
			and not host:overlaps(p, e.start, e.length) then
			accepted[#accepted + 1] = i
		end
	end
	return accepted
end

function M.on_release(host, request)
	if request.in_use > 0 then
		return host:config().busy_release
	end
	return "now"
end

function M.on_forced(host, request)
	return host:config().forced_release
end

return M
