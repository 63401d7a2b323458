local fail = require("dcdsim.fail")

fail.now()
