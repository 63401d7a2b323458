param("rate", 1)

param("rate", 2)
