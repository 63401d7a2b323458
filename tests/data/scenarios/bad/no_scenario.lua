device{ name = "dcd0", capacity = "16GiB" }
