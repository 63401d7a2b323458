-- validate: a forced release while the memory is in use.
--
-- The memory is gone at once and what was in use is lost whatever the
-- host does; a host that ignores the record (Linux) keeps a stale extent
-- that blocks the range, one that drops it can be offered the DPA again.
scenario{ name = "forced-in-use", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB" }
host{ name = "h0", device = "dcd0" }

local r
at("1s", function()
	r = add{ host = "h0", size = "64MiB", use = 0.5 }
end)
at("2s", function()
	force_release(r)
end)
at("3s", function()
	add{ host = "h0", size = "64MiB", hold = "1s" }
end)
