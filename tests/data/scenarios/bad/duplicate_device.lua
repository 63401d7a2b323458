scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB" }
device{ name = "dcd0", capacity = "32GiB" }
