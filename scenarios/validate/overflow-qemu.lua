-- validate: a chain split by event-log overflow (qemu profile).
--
-- The qemu device keeps 8 records per host and drops the rest.  The device
-- is filled with 2 MiB extents and every other one released, so that its
-- free space is 2 MiB holes; then two adds land together whose chains
-- need 4 and 8 records: the log overflows inside the second chain and the
-- host never sees its closing record.  A host with a chain timeout
-- answers it empty; one without (Linux v9) never does.
scenario{ name = "overflow-qemu", duration = "2min" }
fm{ alloc = "first-fit", release_timeout = "1s", reissue = 1, force_after_timeout = true }
device{ name = "dcd0", profile = "qemu", capacity = "256MiB" }
host{ name = "h0", device = "dcd0" }

local small = {}
for i = 1, 128 do
	at(ns("1s") + i * ns("20ms"), function()
		small[i] = add{ host = "h0", size = "2MiB", select = "prescriptive" }
	end)
end
for i = 1, 128, 2 do
	at(ns("4s") + i * ns("20ms"), function()
		release(small[i])
	end)
end
at("8s", function()
	add{ host = "h0", size = "8MiB", select = "prescriptive", hold = "5s" }
	add{ host = "h0", size = "16MiB", select = "prescriptive", hold = "5s" }
end)
