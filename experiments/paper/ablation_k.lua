-- Ablation of the number of inner samples k per iteration (each sample is one trained model; the
-- feedback is the best of the k). The paper reports that larger k gives better mixtures.
local duet = require "duet"
local paper = require "duet.paper"

local methods = {}
for _, k in ipairs({ 1, 2, 4, 8 }) do
  methods[#methods + 1] = duet.method.duet_if { name = "duet_k" .. k, samples = k }
end

return duet.experiment {
  name = "paper-k",
  seed = paper.seed,
  backend = paper.backend(),
  tasks = { duet.task(duet.embedded.tasks.b) },
  methods = methods,
  budget = paper.budget,
  trials = paper.trials,
  warm_start = paper.warm_start,
}
