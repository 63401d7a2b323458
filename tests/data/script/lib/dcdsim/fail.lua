-- Library code that fails in its own lines and in a binding it calls.
local M = {}

function M.now()
	error("library failure")
end

function M.declare()
	return device{ blok_size = "2MiB" }
end

return M
