scenario{ duration = "10s" }
