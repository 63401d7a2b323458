scenario{ duration = "10s" }
local big = string.rep("x", 1 << 30)
