-- validate: chains split by Retry Required (spec profile).
--
-- A spec device with a small event log: an Initiate DC Add whose records
-- do not fit gets Retry Required and the FM tries again later.  Free space
-- is fragmented first so that each add becomes a chain of several extents,
-- then three adds arrive together.
scenario{ name = "retry-spec", duration = "2min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", capacity = "1GiB", log_capacity = 8 }
host{ name = "h0", device = "dcd0" }

local small = {}
for i = 1, 24 do
	at(ns("1s") + i * ns("50ms"), function()
		small[i] = add{ host = "h0", size = "2MiB" }
	end)
end
at("4s", function()
	for i = 1, 24, 2 do
		release(small[i])
	end
end)
at("8s", function()
	for _ = 1, 3 do
		add{ host = "h0", size = "10MiB", hold = "3s" }
	end
end)
