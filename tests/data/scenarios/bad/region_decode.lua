scenario{ duration = "10s" }
device{ name = "dcd0", regions = {
	{ length = "1GiB", decode_length = "512MiB" },
} }
