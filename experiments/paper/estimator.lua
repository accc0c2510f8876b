-- The estimator distribution: two domains at the fixed mixture r = (0.5, 0.5), many subsets
-- drawn with uniform and with influence-weighted selection, each trained and evaluated. The
-- histogram of their feedback shows how the best of k samples estimates the best subset with
-- that mixture (the paper's estimator histogram).
--     duet plot results/paper-estimator.h5 --figure estimator
local duet = require "duet"
local paper = require "duet.paper"

return duet.experiment {
  name = "paper-estimator",
  seed = paper.seed,
  backend = paper.backend(),
  tasks = {
    duet.task { name = "jargon_two_domains", type = "lm", eval = { "jargon" },
                train = { "foldoc", "ham" }, metric = "bpc" },
  },
  methods = {
    -- With two domains the uniform mixture is r = (0.5, 0.5).
    duet.method.uniform { name = "uniform_selection" },
    duet.method.uniform { name = "influence_selection", selector = "influence" },
  },
  budget = { points = 1000, iterations = 4, samples = 25 },
  trials = 2,
}
