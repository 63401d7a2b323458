-- A greedy host policy: accept every offered extent that is valid, give
-- capacity back as soon as nothing uses it, and drop what a forced release
-- took.  Works for any interleave width.
--
--   host{ name = "h0", device = "dcd0", policy = "dcdsim.policies.greedy" }
--
-- Valid means what the host model needs to use an extent: not shared,
-- inside the committed decoder, whole blocks of the region as last read,
-- clear of what the host holds (and of the other offers accepted in the
-- same chain), and on an N-way host whole interleave granules.  Tags are
-- welcome.
local M = {
	defaults = {
		region_updates = true,
		chain_timeout = "20s",
		assembly_timeout = "1s",
	},
}

-- Whether offer E of position P lies clear of the offers already taken.
local function clear_of(taken, e)
	for _, t in ipairs(taken) do
		if e.start < t.start + t.length and t.start < e.start + e.length then
			return false
		end
	end
	return true
end

-- The checks every accepting policy makes (quota.lua shares them).
function M.valid(host, p, e)
	if e.shared or not host:decoder_contains(p, e.start, e.length)
		or not host:block_aligned(p, e.start, e.length)
		or host:overlaps(p, e.start, e.length) then
		return false
	end
	if host:ways() == 1 then
		return true
	end
	local g = host:granularity()
	local base = host:decoder(p).base
	return (e.start - base) % g == 0 and e.length % g == 0
end

-- The valid offers of CHAIN, each accepted when KEEP(e) says so (nil: all).
function M.select(host, chain, keep)
	local p = chain.position
	local accepted, taken = {}, {}
	for i, e in ipairs(chain) do
		if M.valid(host, p, e) and clear_of(taken, e) and (keep == nil or keep(e)) then
			accepted[#accepted + 1] = i
			taken[#taken + 1] = { start = e.start, length = e.length }
		end
	end
	return accepted
end

function M.on_chain(host, chain)
	return M.select(host, chain)
end

function M.on_release(host, request)
	return "defer"
end

function M.on_forced(host, request)
	return "drop"
end

function M.on_region_update(host, position)
	return "reread"
end

return M
