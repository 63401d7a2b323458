-- validate: extent-limit exhaustion.
--
-- The device tracks at most 6 extents: adds beyond are refused (blocked,
-- extent_limit) until releases free some; then adds go through again.
scenario{ name = "extent-limit", duration = "1min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB", max_extents = 6 }
host{ name = "h0", device = "dcd0" }

for i = 1, 10 do
	at(ns("1s") + i * ns("100ms"), function()
		add{ host = "h0", size = "8MiB", hold = "3s" }
	end)
end
for i = 1, 4 do
	at(ns("6s") + i * ns("100ms"), function()
		add{ host = "h0", size = "8MiB", hold = "2s" }
	end)
end
