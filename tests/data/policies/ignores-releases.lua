-- Broken on purpose: accepts what is valid but ignores every release,
-- in use or not.  Fails validate's release-answer check.
local greedy = require "dcdsim.policies.greedy"

return {
	defaults = greedy.defaults,
	on_chain = greedy.on_chain,
	on_release = function(host, request)
		return "ignore"
	end,
}
