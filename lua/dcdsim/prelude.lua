-- Loaded before every scenario: the shipped helpers as globals.
local dist = require "dcdsim.dist"
local workload = require "dcdsim.workload"

for _, module in ipairs({ dist, workload }) do
	for name, fn in pairs(module) do
		_G[name] = fn
	end
end
