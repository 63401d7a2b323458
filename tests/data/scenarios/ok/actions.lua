-- Scripted actions during the run.
assert(bytes("2MiB") == 2097152 and bytes(5) == 5 and ns("1ms") == 1000000)
scenario{ duration = "20s" }
device{ name = "d0", capacity = "16GiB" }
host{ name = "h0", device = "d0" }
host{ name = "h1", device = "d0" }

local n = 0
every("1s", function(t)
	n = n + 1
	print("tick " .. t)
	if n == 3 then
		return false
	end
end)

local r
at("4s", function()
	r = add{ host = "h0", size = "2GiB", use = 1.0 }
	print("added " .. tostring(r))
	at(now() + ns("500ms"), function(t)
		print("later " .. t)
	end)
end)
at("6s", function()
	local e = extents("h0")
	assert(#e == 1 and e[1].device == "d0" and e[1].length == bytes("2GiB"), #e)
	assert(e[1].state == "online" and e[1].in_use == bytes("2GiB") and e[1].request == r.id)
	assert(#extents("h1") == 0)
end)
at("8s", function()
	force_release(r)
end)
at("9s", function()
	add{ host = "h1", size = "1GiB", use = 0.5 }
	add{ host = "h1", size = "1GiB", hold = "5s" }
	add{ host = "h0", size = "1GiB" }
end)
at("12s", function()
	fail_device("d0")
end)
at("14s", function()
	teardown("h1")
	release{ host = "h0", tag = 3 }
	assert(now() == 14000000000)
	print("done")
end)
