scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
device{ name = "dcd1", capacity = "32GiB" }
host{ name = "h0", policy = "interleave", interleave = { devices = { "dcd0", "dcd1" } } }
