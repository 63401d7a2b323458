local fail = require("dcdsim.fail")
local x = 1

fail.declare()
