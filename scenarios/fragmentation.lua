-- fragmentation: small requests, small blocks, partial releases and the
-- device's extent limit.
--
-- Two hosts share one 16 GiB device.  Tenants ask for lognormal sizes
-- (median 128 MiB) and hold them for minutes; the device serves each add
-- with Free selection, gathering up to 8 extents from whatever free space
-- is left.  A balloon driver trims tenants: every few seconds the FM takes
-- back the top quarter of one extent (a forced prescriptive release of part
-- of it, which splits the extent on the device).  Free space breaks into
-- small pieces, each add needs more extents, and requests start to fail on
-- the extent limit long before capacity runs out.
--
-- The hosts run the "interleave" policy on 1-way regions: unlike Linux,
-- which ignores forced releases and keeps the extents it lost (later offers
-- overlapping them are rejected), it drops what was forced away.
--
-- Try: dcdsim run scenarios/fragmentation.lua -D block_size=256MiB
--      dcdsim run scenarios/fragmentation.lua -D max_extents=1024
--      dcdsim run scenarios/fragmentation.lua -D trim_period=1h   (no trimming)

local block = param("block_size", "2MiB")
local trim_period = param("trim_period", "5s")
local rate = param("rate", "0.25/s")

scenario{
	name = "fragmentation",
	duration = param("duration", "4h"),
	sample_period = "10s",
	request_sizes = { "256MiB", "64MiB", "1GiB" },
}

fm{ max_extents_per_add = 8 }

device{ name = "dcd0", capacity = "16GiB", block_size = block,
	max_extents = param("max_extents", 256), free_max_extents = 8 }

for _, name in ipairs({ "a", "b" }) do
	host{ name = name, policy = "interleave", device = "dcd0" }
	poisson{ host = name, rate = rate, size = lognormal("128MiB", 1.0),
		 hold = exponential("2min"), use = 0.5 }
end

-- The balloon: the top quarter of a random online extent, in whole blocks.
local bs = bytes(block)

every(trim_period, function()
	local h = ({ "a", "b" })[math.random(2)]
	local online = {}
	for _, e in ipairs(extents(h)) do
		if e.state == "online" then
			online[#online + 1] = e
		end
	end
	if #online == 0 then
		return
	end
	local e = online[math.random(#online)]
	local trim = e.length // 4 // bs * bs
	if trim > 0 then
		force_release{ host = h, device = e.device, start = e.start + e.length - trim,
			       length = trim }
	end
end)
