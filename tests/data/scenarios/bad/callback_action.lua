scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
host{ name = "web", device = "dcd0" }
every("1s", function()
	add{ host = "wbe", size = "1GiB" }
end)
