scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
host{ name = "h0", device = "dcd0", policy = "no.such_policy" }
