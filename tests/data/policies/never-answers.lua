-- Broken on purpose: waits on every chain and has no chain timeout, so no
-- offer is ever answered.  Fails validate's chain-deadline check.
return {
	on_chain = function(host, chain)
		return "wait"
	end,
}
