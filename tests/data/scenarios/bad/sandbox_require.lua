scenario{ duration = "10s" }
require "../../../etc/passwd"
