-- a misspelt key
scenario{ duration = "10s" }
device{ name = "dcd0", capacity = "16GiB", blok_size = "2MiB" }
