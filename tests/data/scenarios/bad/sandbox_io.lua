scenario{ duration = "10s" }
local f = io.open("/etc/passwd")
