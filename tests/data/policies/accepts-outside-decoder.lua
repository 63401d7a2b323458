-- Broken on purpose: accepts every offer without looking at the decoder.
-- Fails validate's decoder check.
return {
	on_chain = function(host, chain)
		return "all"
	end,
	on_release = function(host, request)
		return "defer"
	end,
}
