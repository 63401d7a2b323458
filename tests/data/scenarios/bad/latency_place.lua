scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB", latencies = { host_online_per_block = "1ms" } }
