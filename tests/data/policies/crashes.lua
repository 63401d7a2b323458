-- Broken on purpose: otherwise greedy, its third decision indexes a nil
-- value.  Fails validate's callbacks check.
local greedy = require "dcdsim.policies.greedy"
local calls = 0

return {
	defaults = greedy.defaults,
	on_chain = function(host, chain)
		calls = calls + 1
		if calls == 3 then
			local missing
			return missing.offers
		end
		return greedy.select(host, chain)
	end,
	on_release = greedy.on_release,
	on_forced = greedy.on_forced,
}
