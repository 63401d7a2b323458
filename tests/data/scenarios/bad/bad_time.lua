scenario{ duration = "10 seconds" }
