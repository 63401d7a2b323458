scenario{ duration = "10s" }
local chunk = string.dump(function() return 1 end)
assert(load(chunk))
