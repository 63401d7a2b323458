-- A scenario whose inline host policy answers in the wrong shape: dcdsim
-- run exits 2 with the line of the callback and the simulated time, and
-- never marks the run complete (tests/unit/test_cli.c).
scenario{ name = "broken_policy", duration = "5s" }
device{ name = "d0", capacity = "8GiB" }
host{ name = "h0", device = "d0", policy = {
	on_chain = function(host, chain)
		return #chain
	end,
} }
workload{ host = "h0", rate = 20, size = "256MiB", hold = "300ms" }
