-- validate: overlapping and duplicate offers.
--
-- A forced release takes an extent from under a busy tenant.  A host that
-- ignores it (Linux) keeps a stale extent over that DPA; the FM then offers
-- the same DPA again (first fit) and again once refused: offers that
-- overlap what the host holds, and the same offer twice.  A host that drops
-- the forced extent may accept them.
--
-- `dcdsim validate` puts every host on the policy under test.
scenario{ name = "overlap", duration = "2min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB" }
host{ name = "h0", device = "dcd0" }

local first
at("1s", function()
	first = add{ host = "h0", size = "64MiB", use = 1.0 }
end)
at("2s", function()
	force_release(first)
end)
at("3s", function()
	add{ host = "h0", size = "64MiB", use = 0.5, hold = "2s" }
end)
at("4s", function()
	add{ host = "h0", size = "64MiB", hold = "2s" }
end)
