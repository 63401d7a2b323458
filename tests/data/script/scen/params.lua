local rate = param("rate", 50)
local load = param("load", 0.5)
local name = param("name", "quick")
local trace = param("trace", false)
result = { rate = rate, load = load, name = name, trace = trace }
