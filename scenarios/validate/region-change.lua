-- validate: a region configuration change.
--
-- dcd0's region starts with 4 MiB blocks; at 5 s, while it lends nothing,
-- the FM sets its block size to 2 MiB (Set DC Region Config) and the
-- device posts Region Configuration Updated.  A host that re-reads the
-- configuration judges the offers after it by 2 MiB blocks; one that does
-- not (Linux v9) still by 4 MiB blocks.
scenario{ name = "region-change", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB", block_size = "4MiB" }
host{ name = "h0", device = "dcd0" }

at("1s", function()
	add{ host = "h0", size = "8MiB", hold = "1s" }
end)
at("5s", function()
	set_region{ device = "dcd0", block_size = "2MiB" }
end)
for i = 1, 3 do
	at(ns("7s") + i * ns("100ms"), function()
		add{ host = "h0", size = "4MiB", hold = "2s" }
	end)
end
