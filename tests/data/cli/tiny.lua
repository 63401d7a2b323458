-- The CLI tests' scenario: two devices, a 1-way and a 2-way host, a
-- Poisson workload on each with in-use and forced releases.  A run takes a
-- fraction of a second; tests/unit/test_cli.c runs it many times.
local rate = param("rate", 40)

scenario{ name = "tiny", duration = "5s" }

device{ name = "d0", capacity = "8GiB" }
device{ name = "d1", capacity = "8GiB" }

host{ name = "h0", device = "d0" }
host{ name = "h1", policy = "interleave",
      interleave = { ways = 2, granularity = "4KiB", devices = { "d0", "d1" } } }

workload{ name = "w0", host = "h0", rate = rate, size = "256MiB",
          hold = { dist = "exponential", mean = "300ms" },
          use = 0.5, busy_release = 0.3, forced = 0.1 }
workload{ name = "w1", host = "h1", rate = rate, size = "512MiB",
          hold = { dist = "exponential", mean = "300ms" },
          use = 0.5, busy_release = 0.3, forced = 0.1 }
