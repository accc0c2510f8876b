-- Quickstart: the uniform mixture and random search on the synthetic backend, whose best
-- mixture is known, so the results include exact regret. Run with
--     duet run experiments/quickstart.lua
-- then draw the figure with
--     duet plot results/quickstart.h5
local duet = require "duet"

return duet.experiment {
  name = "quickstart",
  description = "Uniform mixture against random search on a synthetic benchmark with a known optimum.",
  seed = 1,
  backend = duet.backend.synthetic { domains = 5, items = 4000 },
  tasks = {
    duet.task { name = "bump", width = 0.25, noise = 0.02 },
  },
  methods = {
    duet.method.uniform {},
    duet.method.random_search {},
  },
  budget = { points = 1000, iterations = 15, samples = 1 },
  trials = 5,
}
