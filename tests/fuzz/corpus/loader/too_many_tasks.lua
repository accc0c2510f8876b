local duet = require "duet"
local tasks = {}
for i = 1, 1000000 do tasks[i] = duet.task { name = "t" .. i } end
return duet.experiment { name = "x", backend = duet.backend.synthetic { domains = 1000000 },
  budget = { points = 100000000, iterations = 100000, samples = 1024 }, trials = 100000,
  tasks = tasks, methods = { duet.method.uniform {} } }
