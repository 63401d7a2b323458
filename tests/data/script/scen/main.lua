-- require from the library folder, then from the scenario's folder.
local greet = require("dcdsim.greet")
local helper = require("helper")
assert(require("dcdsim.greet") == greet, "modules are cached")
print(greet.hello("lib"))
print(helper.twice(21))
