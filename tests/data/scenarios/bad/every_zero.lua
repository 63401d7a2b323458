scenario{ duration = "10s" }
every(0, function() end)
