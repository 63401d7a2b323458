-- profiles: the same hosts and tenants on a device that follows the CXL
-- spec and on one that behaves like QEMU's emulation.
--
-- spec: a 32-record event log per host; when an offer would overflow it the
-- FM command fails with Retry Required and the FM retries with backoff; the
-- device may choose the DPA itself (Free selection).
-- qemu: an 8-record log that drops records on overflow (a chain can lose
-- its closing record and stay unanswered), prescriptive adds only (the FM
-- chooses the DPA), 512 extents, no tags.
--
-- Tenants arrive in bursts (a batch job starting several workers at once)
-- over a Poisson background; once free space is fragmented an add is
-- served in up to 8 extents, so a burst needs more records than a log
-- holds.  On the qemu device a dropped closing record leaves its chain
-- unanswered, and since QEMU answers offers strictly in order, every later
-- offer waits behind it.  With a chain timeout the host ends a chain where
-- the log reports an overflow and, when QEMU refuses a later answer,
-- answers the stuck offer empty and tries again: watch requests.rejected,
-- stranded_byte_s.dropped_chain, accept_latency_ns.host.1 (qemu) against
-- accept_latency_ns.host.0 (spec), event_log.retries and
-- event_log.overflows.  Without one (Linux v9) the qemu host stays stuck
-- after the first dropped closing record: stranded_byte_s.unanswered_offer
-- and blocked.no_capacity grow instead.
--
-- Try: dcdsim run scenarios/profiles.lua -D burst=12
--      dcdsim run scenarios/profiles.lua -D chain_timeout=0s

local burst = param("burst", 4)
local chain_timeout = param("chain_timeout", "20s")

scenario{
	name = "profiles",
	duration = param("duration", "2h"),
	sample_period = "10s",
	request_sizes = { "1GiB", "2MiB" },
}

fm{ retry_backoff = "100us", retry_backoff_max = "10ms", retry_max = 8 }

device{ name = "spec", profile = "spec", capacity = "64GiB" }
device{ name = "qemu", profile = "qemu", capacity = "64GiB" }

for _, profile in ipairs({ "spec", "qemu" }) do
	local h = "host-" .. profile
	host{ name = h, policy = "linux", device = profile, chain_timeout = chain_timeout }
	poisson{ host = h, rate = "0.2/s", size = lognormal("512MiB", 1.0),
		 hold = exponential("1min"), use = 0.5 }
	periodic{ host = h, name = h .. "-batch", period = "5min", start = "1min",
		  burst = burst, size = uniform("256MiB", "2GiB"), hold = exponential("2min"),
		  use = 0.7 }
end
