scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
host{ name = "web", device = "dcd0" }
trace("bad_host.csv")
