-- Ablation of the inner selector under the same Bayesian optimization: influence-weighted (IF),
-- remove-harmful (RH), LESS gradient cosine, log-determinant diversity and uniform. The paper
-- reports IF above the other selectors.
local duet = require "duet"
local paper = require "duet.paper"

return duet.experiment {
  name = "paper-selectors",
  seed = paper.seed,
  backend = paper.backend(),
  tasks = paper.tasks(),
  methods = {
    duet.method.duet_if {},
    duet.method.duet_rh {},
    duet.method.duet_less {},
    duet.method.duet_logdet {},
    duet.method.duet_ur {},
  },
  budget = paper.budget,
  trials = paper.trials,
  warm_start = paper.warm_start,
}
