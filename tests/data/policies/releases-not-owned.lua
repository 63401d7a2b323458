-- Broken on purpose: a while after each chain it gives back the last
-- 2 MiB of its decoder, which it never holds.  Fails validate's
-- release-owned check.
local greedy = require "dcdsim.policies.greedy"

return {
	defaults = greedy.defaults,
	on_chain = function(host, chain)
		host:timer("100ms", chain.position)
		return greedy.select(host, chain)
	end,
	on_timer = function(host, position)
		local d = host:decoder(position)
		local block = 2 << 20
		return { { position = position, start = d.base + d.length - block, length = block } }
	end,
	on_release = greedy.on_release,
	on_forced = greedy.on_forced,
}
