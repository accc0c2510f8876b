-- A DUET run small enough for Valgrind (about a minute under memcheck): the GP, the acquisition
-- search, the influence selector, snapshots and the journal all run.
local duet = require "duet"
return duet.experiment {
  name = "valgrind", seed = 8,
  backend = duet.backend.synthetic { domains = 3, items = 60 },
  tasks = { duet.task { name = "a", noise = 0.01 } },
  methods = { duet.method.duet { restarts = 1, fit_iterations = 10, candidates = 64 } },
  budget = { points = 12, iterations = 4 },
  warm_start = { design = "vertices" },
}
