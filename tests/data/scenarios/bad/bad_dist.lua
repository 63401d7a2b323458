scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
host{ name = "h0", device = "dcd0" }
poisson{ host = "h0", rate = "1/s",
	 size = { dist = "exponentail", mean = "1GiB" } }
