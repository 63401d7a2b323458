-- validate: a release while the memory is in use.
--
-- The tenant still uses its memory when the release comes and stops 2.5 s
-- later.  Linux ignores the release (-EBUSY, nothing sent): the FM asks
-- again after its timeout.  A deferring host answers once the use stops.
scenario{ name = "release-in-use", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 3, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB" }
host{ name = "h0", device = "dcd0" }

at("1s", function()
	add{ host = "h0", size = "64MiB", use = 1.0, use_for = "3500ms", hold = "1s" }
end)
