-- Broken on purpose: accepts, besides the first offer, the range right
-- after it, which nobody offered.  Fails validate's response-subset check.
local greedy = require "dcdsim.policies.greedy"

return {
	defaults = greedy.defaults,
	on_chain = function(host, chain)
		local e = chain[1]
		return { 1, { start = e.start + e.length, length = e.length } }
	end,
}
