-- Ablation of DUET's components: the uniform mixture, Bayesian optimization with uniform
-- selection (DUET-UR), and Bayesian optimization with influence-weighted selection (DUET-IF).
-- The paper reports uniform < DUET-UR < DUET-IF.
local duet = require "duet"
local paper = require "duet.paper"

return duet.experiment {
  name = "paper-components",
  seed = paper.seed,
  backend = paper.backend(),
  tasks = paper.tasks(),
  methods = {
    duet.method.uniform {},
    duet.method.duet_ur {},
    duet.method.duet_if {},
  },
  budget = paper.budget,
  trials = paper.trials,
  warm_start = paper.warm_start,
}
