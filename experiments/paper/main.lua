-- Main figure: best-so-far feedback over 10 iterations, DUET against the baselines, one panel
-- per task: (a) in-domain, (b) out-of-domain, (c) and (d) out-of-domain pairs.
--     duet run experiments/paper/main.lua --jobs 2
--     duet plot results/paper-main.h5 --figure best
local duet = require "duet"
local paper = require "duet.paper"

return duet.experiment {
  name = "paper-main",
  description = "DUET against data-mixing and data-selection baselines on four embedded tasks.",
  seed = paper.seed,
  backend = paper.backend(),
  tasks = paper.tasks(),
  methods = {
    duet.method.duet {},
    duet.method.uniform {},
    duet.method.random_search {},
    duet.method.doremi(paper.doremi),
    duet.method.online_mixing(paper.online_mixing),
    duet.method.aioli(paper.aioli),
    duet.method.regmix { warm_start = false },
    duet.method.select_less {},
    duet.method.select_influence {},
  },
  budget = paper.budget,
  trials = paper.trials,
  warm_start = paper.warm_start,
}
