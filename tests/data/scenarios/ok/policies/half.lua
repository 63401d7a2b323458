-- A policy file of the scenario's folder: accepts the first half of each
-- chain (tests/unit/test_scenario.c).
local M = { name = "half", defaults = { chain_timeout = "7s", busy_release = "defer" } }

function M.on_chain(host, chain)
	local accepted = {}
	for i = 1, (#chain + 1) // 2 do
		if not host:overlaps(chain.position, chain[i].start, chain[i].length) then
			accepted[#accepted + 1] = i
		end
	end
	return accepted
end

return M
