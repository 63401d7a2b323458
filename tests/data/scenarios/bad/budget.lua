scenario{ duration = "10s" }
while true do end
