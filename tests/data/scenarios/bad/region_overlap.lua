scenario{ duration = "10s" }
device{ name = "dcd0", regions = {
	{ length = "1GiB" },
	{ base = "512MiB", length = "1GiB" },
} }
