scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
local M = {}
function M.on_chain(host, chain)
	if #chain > 0 then
		error("no offers today")
	end
	return "none"
end
host{ name = "h0", device = "dcd0", policy = M }
request{ at = "1s", host = "h0", size = "1GiB" }
