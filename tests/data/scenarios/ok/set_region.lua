-- set_region{} (tests/unit/test_scenario.c): a policy that re-reads the
-- region configuration judges offers by the block size set at 5 s; a
-- change while the region lends capacity is refused by the device.
scenario{ duration = "20s" }
device{ name = "dcd0", capacity = "1GiB", block_size = "4MiB" }
host{ name = "h0", device = "dcd0", policy = {
	on_chain = function(host, chain)
		print(#chain > 0 and "chain " .. tostring(host:block_aligned(chain.position,
			chain[1].start, 2 << 20)))
		return "all"
	end,
	on_region_update = function(host, position)
		print("update " .. host:now())
		return "reread"
	end,
} }

at("1s", function() add{ host = "h0", size = "4MiB", hold = "1s" } end)
at("5s", function() set_region{ device = "dcd0", block_size = "2MiB", sanitize = true } end)
at("7s", function() add{ host = "h0", size = "4MiB" } end)
-- refused: the region lends the add of 7 s
at("9s", function() set_region{ device = "dcd0", region = 0, block_size = "4MiB" } end)
at("11s", function() add{ host = "h0", size = "4MiB" } end)
