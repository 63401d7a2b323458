-- validate: region teardown with live extents.
--
-- The host tears its region down while it holds extents, one of them in
-- use (lost): every extent goes back.  Afterwards an offer finds no
-- committed decoder and a release of the same DPA is answered at once.
scenario{ name = "teardown", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB" }
host{ name = "h0", device = "dcd0" }

local kept
at("1s", function()
	kept = add{ host = "h0", size = "64MiB", use = 0.5 }
	add{ host = "h0", size = "32MiB" }
end)
at("3s", function()
	teardown("h0")
end)
at("5s", function()
	add{ host = "h0", size = "16MiB", hold = "1s" }
	release(kept)
end)
