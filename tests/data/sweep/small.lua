-- The sweep tests' scenario (tests/unit/test_sweep.c): one device, a
-- 1-way and a 2-way host, Poisson workloads.  A run of the default
-- duration takes a few hundredths of a second; the kill tests and
-- bench/sweep-speedup lengthen it with -p duration=....
local rate = param("rate", 20)
local size = param("size", "256MiB")

scenario{ name = "small", duration = param("duration", "2s") }

device{ name = "d0", capacity = "8GiB" }
device{ name = "d1", capacity = "8GiB" }

host{ name = "h0", device = "d0" }
host{ name = "h1", policy = "interleave",
      interleave = { ways = 2, granularity = "4KiB", devices = { "d0", "d1" } } }

workload{ name = "w0", host = "h0", rate = rate, size = size,
          hold = { dist = "exponential", mean = "300ms" },
          use = 0.5, busy_release = 0.3, forced = 0.1 }
workload{ name = "w1", host = "h1", rate = rate, size = size,
          hold = { dist = "exponential", mean = "300ms" },
          use = 0.5, busy_release = 0.3, forced = 0.1 }
