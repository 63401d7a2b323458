scenario{ duration = "10s" }
trace("../ok/trace.csv")
