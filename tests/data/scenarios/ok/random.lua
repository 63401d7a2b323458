-- math.random at load time and in a callback.
scenario{ duration = "1s", seed = 5 }
print(math.random(1000000))
device{ name = "d0", capacity = "1GiB" }
host{ name = "h0", device = "d0" }
at(0, function()
	print(math.random(1000000))
end)
