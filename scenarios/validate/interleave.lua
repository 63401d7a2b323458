-- validate: interleave pieces arriving late or never.
--
-- h0 interleaves 2 ways over dcd0 and a slow dcd1: dcd1's piece of each
-- add arrives long after dcd0's.  dcd1 tracks no tags, so it refuses its
-- piece of a tagged add: dcd0's piece waits for a partner that never
-- comes, until the host gives it back.  (A 1-way policy refuses this host:
-- the scenario is then skipped.)
scenario{ name = "interleave", duration = "2min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB" }
device{ name = "dcd1", capacity = "1GiB", max_tags = 0,
	latencies = { fm_api_cmd = "300ms" } }
host{ name = "h0", policy = "interleave",
      interleave = { granularity = "4KiB", devices = { "dcd0", "dcd1" } } }

at("1s", function()
	add{ host = "h0", size = "128MiB", use = 0.5, use_for = "2s", hold = "4s" }
end)
at("10s", function()
	add{ host = "h0", size = "128MiB", tag = 9, hold = "4s" }
end)
