-- Every kind of declaration, with defaults left out where possible.
print("loaded")
scenario{ name = "decls", duration = "90s", seed = 42,
	  request_sizes = { "1GiB", param("sz", 2) * 1024 * 1024 * 1024 } }

fm{ alloc = "worst-fit", reissue = 5, force_after_timeout = false }

device{ name = "a", profile = "qemu", regions = { { length = "8GiB" }, { length = "8GiB" } } }
device{ name = "b", regions = { { length = "8GiB" }, { length = "8GiB", sanitize = true } },
	max_extents = 100, alloc = "best-fit", latencies = { fm_api_cmd = "250us" } }
device{ name = "c", regions = { { length = "1GiB" },
				{ length = "768MiB", block_size = "64KiB" } } }

host{ name = "h0", device = "a" }
host{ name = "h1", policy = "interleave", busy_release = "ignore",
      interleave = { ways = 2, granularity = "4KiB", devices = { "a", "b" } },
      latencies = { host_extent_create = "1ms" } }

poisson{ host = "h0", rate = "2/s", size = exponential("1GiB"), hold = "10s" }
periodic{ host = "h1", name = "tenant-b", period = "500ms", size = "4GiB",
	  hold = lognormal("2s", 0.3) }
burst{ host = "h0", at = "3s", count = 5, size = uniform("1GiB", "2GiB"), hold = exp("1s") }

request{ at = "1s", host = "h0", size = 1 }
trace("trace.csv")
