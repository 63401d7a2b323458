-- A scenario whose at() callback raises during the run: dcdsim run exits
-- 2 with this file's line and the simulated time, and never marks the run
-- complete (tests/unit/test_cli.c).
scenario{ name = "callback_error", duration = "5s" }
device{ name = "d0", capacity = "8GiB" }
host{ name = "h0", device = "d0" }
workload{ host = "h0", rate = 20, size = "256MiB", hold = "300ms" }
at("1s", function()
	local r = add{ host = "h0", size = "256MiB" }
	release(r.missing)
end)
