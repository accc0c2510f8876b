local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 2 },
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" }, duet.task { name = "a" } },
  methods = { duet.method.random_search { name = "r" }, duet.method.uniform { name = "r" } } }
