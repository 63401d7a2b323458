scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
host{ name = "h0", device = "dcd0" }
at("2s", function()
	at("1s", function() end)
end)
