-- Line 2 requires a module that does not parse.
require("dcdsim.broken")
