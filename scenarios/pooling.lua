-- pooling: sixteen hosts sharing a pool of four devices, in the spirit of
-- published memory-pooling studies (e.g. Pond, ASPLOS 2023: VMs on 8-16
-- socket pools, a large share of VM memory never touched).
--
-- Each host runs VMs that arrive as a Poisson process and ask for
-- lognormally sized memory (median 8 GiB) for heavy-tailed lifetimes; about
-- half of a VM's memory is in use.  Twelve hosts take capacity from one
-- pool device each (three per device); four larger hosts interleave two
-- ways over a pair of devices.  The pool holds less than the sum of the
-- hosts' peaks: sweep its size and watch requests.blocked, the extent
-- utilization and the fragmentation of each device.
--
-- Try: dcdsim run scenarios/pooling.lua -D device_capacity=512GiB
--      dcdsim run scenarios/pooling.lua -D vm_rate=0.003/s

local capacity = param("device_capacity", "256GiB")
local vm_rate = param("vm_rate", "0.002/s")

scenario{
	name = "pooling",
	duration = param("duration", "24h"),
	sample_period = "1min",
	request_sizes = { "2GiB", "8GiB", "32GiB" },
}

fm{ alloc = "best-fit", release_timeout = "10s", reissue = 3 }

for d = 0, 3 do
	device{ name = "pool" .. d, capacity = capacity, block_size = "256MiB",
		max_extents = 1024 }
end

-- VMs: lognormal sizes, Weibull lifetimes with a long tail.
local function vms(host, rate)
	poisson{ host = host, rate = rate, size = lognormal("8GiB", 0.8),
		 hold = weibull("30min", 0.6), use = 0.5, busy_release = 0.05,
		 busy_tail = exponential("30s") }
end

for i = 0, 11 do
	local name = ("h%02d"):format(i)
	host{ name = name, policy = "linux", device = "pool" .. (i % 4),
	      memory_block = "256MiB" }
	vms(name, vm_rate)
end
for i = 12, 15 do
	local name = ("h%02d"):format(i)
	local a = (i - 12) % 4
	host{ name = name, policy = "interleave", memory_block = "256MiB",
	      interleave = { granularity = "4KiB",
			     devices = { "pool" .. a, "pool" .. ((a + 1) % 4) } } }
	vms(name, vm_rate)
end
