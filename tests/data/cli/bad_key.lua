-- A scenario mistake: an unknown key in device{} (exit 2, file:line).
scenario{ name = "bad", duration = "1s" }
device{ name = "d0", capacity = "8GiB", blok_size = "2MiB" }
