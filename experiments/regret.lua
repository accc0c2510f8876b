-- Regret on the synthetic backend, whose optimum is known: simple, cumulative and average
-- regret of DUET against the baselines, and the error of the best-of-k estimator against k, to
-- check the shape of the DUET paper's Theorems 3.2 (the estimator error shrinks as k grows) and
-- 4.1 (average regret R_T / T falls with T, faster for larger k).
--     duet run experiments/regret.lua --sync never
--     duet plot results/regret.h5 --figure regret
--     duet plot results/regret.h5 --figure kerror
local duet = require "duet"

local methods = { duet.method.uniform {}, duet.method.random_search {} }
for _, k in ipairs({ 1, 2, 4, 8 }) do
  methods[#methods + 1] = duet.method.duet_ur { name = "duet_ur_k" .. k, samples = k }
end
for _, k in ipairs({ 1, 2, 4, 8 }) do
  methods[#methods + 1] = duet.method.duet { name = "duet_k" .. k, samples = k }
end

return duet.experiment {
  name = "regret",
  description = "Regret and best-of-k estimator error on a synthetic benchmark with a known optimum.",
  seed = 7,
  backend = duet.backend.synthetic { domains = 6, items = 4000, gold_fraction = 0.3 },
  tasks = {
    -- subset_error gives every subset a truncated-exponential error, the assumption of
    -- Theorem 3.2, so the best of k subsets approaches the best one as k grows.
    duet.task { name = "interior", width = 0.3, quality = 0.3, noise = 0.02, subset_error = 0.05 },
  },
  methods = methods,
  budget = { points = 1000, iterations = 30, samples = 1 },
  trials = 10,
  warm_start = { design = "uniform" },
}
