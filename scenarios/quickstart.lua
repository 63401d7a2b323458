-- quickstart: the default scenario of `dcdsim run`.
--
-- Three spec devices shared by four hosts: two Linux hosts with 1-way
-- regions, a host interleaving 2 ways over the devices the other two use
-- (the proposed "interleave" policy), and a Linux host with a device of its
-- own (with 1 GiB blocks).  Tenants come and go with Poisson and periodic
-- arrivals.  Some still use their memory when the release comes: Linux
-- ignores such a release, so the FM asks again after a timeout (and would
-- force it after three tries).  The interleaved tenants sometimes have
-- their capacity forced away, and a script forces a release from under a
-- tenant that never lets go.
--
-- Try: dcdsim run -D web_rate=1/s   (more load on dcd0)
--      dcdsim run -D duration=10min

scenario{
	name = "quickstart",
	duration = param("duration", "12h"),
	sample_period = "30s",
	request_sizes = { "256MiB", "1GiB" },
}

fm{ alloc = "first-fit", release_timeout = "2s", reissue = 3, force_after_timeout = true }

device{ name = "dcd0", capacity = "64GiB" }
device{ name = "dcd1", capacity = "64GiB" }
device{ name = "dcd2", capacity = "64GiB", block_size = "1GiB" }

host{ name = "web", policy = "linux", device = "dcd0" }
host{ name = "db", policy = "linux", device = "dcd1" }
host{ name = "analytics", policy = "interleave",
      interleave = { granularity = "4KiB", devices = { "dcd0", "dcd1" } } }
host{ name = "batch", policy = "linux", device = "dcd2" }

poisson{ host = "web", rate = param("web_rate", "0.25/s"), size = exponential("2GiB"),
	 hold = exponential("20s"), use = 0.6, busy_release = 0.1,
	 busy_tail = uniform("100ms", "3s") }
poisson{ host = "db", rate = "0.1/s", size = uniform("1GiB", "8GiB"),
	 hold = lognormal("30s", 0.5), use = 0.9, busy_release = 0.1,
	 busy_tail = uniform("100ms", "3s") }
periodic{ host = "analytics", period = "20s", size = fixed("8GiB"),
	  hold = exponential("30s"), use = 0.5, forced = 0.05 }
poisson{ host = "batch", rate = "0.05/s", size = pareto("1GiB", 1.5),
	 hold = weibull("60s", 0.8), use = 0.4 }

-- A tenant that never lets go: its capacity is forced away while in use.
local stubborn
at("1min", function()
	stubborn = add{ host = "analytics", size = "16GiB", use = 1.0 }
end)
at("30min", function()
	force_release(stubborn)
end)
