-- interleave: 1-, 2- and 4-way interleave sets side by side.
--
-- Seven devices, three hosts running the proposed "interleave" policy (Linux
-- supports only 1-way DC regions so far): one region on a single device, one
-- striped over two, one over four.  The tenants ask for the same capacity
-- at the same rate; an N-way request becomes N matching extents at the same
-- DPA offset on every device of the set, each offered through its own
-- device's event log, and the region extent comes online only when all N
-- pieces are accepted (the wait shows as the `assembly` stage; pieces that
-- wait count as stranded half-built interleave).  Compare
-- accept_latency_ns.ways.1/.2/.4 stage by stage, blocked.no_contiguous and
-- stranded_byte_s.half_built_interleave.  At 40 min one device of the
-- 4-way set fails: the FM forces away everything it lends, and the host
-- drops whole region extents, the other devices' pieces included.
--
-- Try: dcdsim run scenarios/interleave.lua -D granularity=256B
--      dcdsim run scenarios/interleave.lua -D assembly_timeout=10ms

local granularity = param("granularity", "4KiB")
local assembly_timeout = param("assembly_timeout", "1s")
local rate = param("rate", "0.2/s")

scenario{
	name = "interleave",
	duration = param("duration", "1h"),
	sample_period = "10s",
	request_sizes = { "256MiB", "1GiB", "4GiB" },
}

for d = 0, 6 do
	device{ name = "dcd" .. d, capacity = "64GiB" }
end

local sets = {
	{ name = "one-way", devices = { "dcd0" } },
	{ name = "two-way", devices = { "dcd1", "dcd2" } },
	{ name = "four-way", devices = { "dcd3", "dcd4", "dcd5", "dcd6" } },
}

for _, set in ipairs(sets) do
	host{ name = set.name, policy = "interleave", assembly_timeout = assembly_timeout,
	      interleave = { granularity = granularity, devices = set.devices } }
	poisson{ host = set.name, rate = rate, size = lognormal("2GiB", 0.7),
		 hold = exponential("30s"), use = 0.5 }
end

at("40min", function()
	fail_device("dcd6")
end)
