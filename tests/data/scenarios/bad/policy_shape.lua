scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
host{ name = "h0", device = "dcd0", policy = {
	on_chain = function(host, chain)
		return #chain
	end,
} }
request{ at = "1s", host = "h0", size = "1GiB" }
