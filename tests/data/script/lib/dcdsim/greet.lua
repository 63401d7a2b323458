-- A stand-in for a shipped library module.
local M = {}

function M.hello(name)
	return "hello " .. name
end

return M
