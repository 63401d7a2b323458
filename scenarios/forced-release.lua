-- forced-release: reclaiming capacity that is still in use.
--
-- Two hosts run the same tenants on devices of their own; half of the
-- releases come while the tenant still uses the memory (for 20 s more on
-- average).  The host "ignorer" runs the Linux policy: it answers such a
-- release with nothing, so the FM asks again after release_timeout and, after
-- `reissue` tries, forces it: the memory still in use is lost, and Linux
-- keeps the extent it lost (later offers overlapping it are rejected).  The
-- host "deferrer" runs the "interleave" policy on a 1-way region: it defers
-- the release until the tenant stops, then releases; a forced release drops
-- the extent.  Late in the run a script tears down the deferrer's region and
-- then fails the ignorer's device (everything it lends is forced away).
--
-- Compare reclaim_latency_ns, releases.ignored / deferred / retried /
-- forced, forced_release.lost_in_use_bytes and stranded_byte_s.ignored_release.
--
-- Try: dcdsim run scenarios/forced-release.lua -D force=false
--      dcdsim run scenarios/forced-release.lua -D release_timeout=30s

scenario{
	name = "forced-release",
	duration = param("duration", "2h"),
	sample_period = "10s",
}

fm{ release_timeout = param("release_timeout", "5s"), reissue = param("reissue", 2),
    force_after_timeout = param("force", true) }

device{ name = "dcd0", capacity = "64GiB" }
device{ name = "dcd1", capacity = "64GiB" }

host{ name = "ignorer", policy = "linux", device = "dcd0" }
host{ name = "deferrer", policy = "interleave", device = "dcd1" }

for _, name in ipairs({ "ignorer", "deferrer" }) do
	poisson{ host = name, rate = "0.5/s", size = exponential("1GiB"),
		 hold = exponential("30s"), use = 0.8,
		 busy_release = param("busy_" .. name, 0.5), busy_tail = exponential("20s") }
end

-- One tenant on each host that never stops using its memory: released at
-- 30 min, by the FM's usual path, which must end in a forced release.
local pinned = {}
at("10min", function()
	for _, name in ipairs({ "ignorer", "deferrer" }) do
		pinned[name] = add{ host = name, size = "8GiB", use = 1.0, use_for = "never" }
	end
end)
at("30min", function()
	for _, r in pairs(pinned) do
		release(r)
	end
end)

at("100min", function()
	teardown("deferrer")
end)
at("110min", function()
	fail_device("dcd0")
end)
