scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "1GiB", block_size = "4MiB" }
host{ name = "h0", device = "dcd0" }
at("1s", function()
	set_region{ device = "dcd1", block_size = "2MiB" }
end)
