scenario{ duration = "10s", seed = param("seed", 1) }
