local duet = require "duet"
return duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iteratons = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
