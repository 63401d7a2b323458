scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
host{ name = "web", device = "dcd0" }
poisson{ host = "wbe", rate = "1/s" }
