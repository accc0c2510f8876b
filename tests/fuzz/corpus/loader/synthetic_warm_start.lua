local duet = require "duet"
return duet.experiment {
  name = "tiny", seed = 3,
  backend = duet.backend.synthetic { domains = 3, items = 60, delay = 0.05 },
  tasks = { duet.task { name = "a" } },
  methods = { duet.method.random_search {}, duet.method.uniform { samples = 2 } },
  budget = { points = 12, iterations = 4 },
  trials = 2,
  warm_start = { design = "dirichlet", count = 2 },
}
