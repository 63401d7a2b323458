-- validate: a release that cuts into two extents.
--
-- Two adds of 128 MiB sit side by side; the FM asks for [64 MiB, 192 MiB),
-- half of each.  Linux releases whole extents: both go.
scenario{ name = "partial-release", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB" }
host{ name = "h0", device = "dcd0" }

at("1s", function()
	add{ host = "h0", size = "128MiB" }
end)
at("1100ms", function()
	add{ host = "h0", size = "128MiB" }
end)
at("3s", function()
	release{ host = "h0", device = "dcd0", start = "64MiB", length = "128MiB" }
end)
