-- Named settings of DUET matching its paper, its reference code, or this project's defaults.
-- Each preset has the method options (`method`), the warm start (`warm_start`), the budget
-- (`budget`) and the selector (`selector`), to be used as
--     methods = { duet.method.duet(duet.presets.paper.method) },
--     warm_start = duet.presets.paper.warm_start,
--     budget = duet.presets.paper.budget,
-- Sources: Chen, Lau, Foo and Low, "DUET: Optimizing Training Data Mixtures via Feedback from
-- Unseen Evaluation Tasks" (arXiv 2502.00270) for "paper"; the authors' public code for
-- "reference". Each returned table is a fresh copy, so a script may change it.
local presets = {}

local settings = {
  -- This project's defaults: Matern-5/2 with one length-scale per domain and BoTorch's priors,
  -- outputs standardized, IGP-UCB exploration, the uniform mixture as warm start.
  project = {
    method = {},
    selector = "influence",
    warm_start = { design = "uniform" },
    budget = { points = 10000, iterations = 10, samples = 1 },
  },
  -- The paper's text: a squared-exponential kernel with maximum-likelihood length-scales,
  -- GP-UCB with the beta_t schedule of Chowdhury and Gopalan (2017), 50 random mixtures as warm
  -- start, k = 1, M = 10,000, T = 10.
  paper = {
    method = { kernel = "se", prior = "none", acquisition = "ucb", beta = "igp-ucb" },
    selector = "influence",
    warm_start = { design = "dirichlet", count = 50 },
    budget = { points = 10000, iterations = 10, samples = 1 },
  },
  -- The reference code: BoTorch 0.11 SingleTaskGP (Matern-5/2, ARD, Gamma priors), UCB with
  -- constant beta = 1, the acquisition optimized from 50 raw samples and 20 restarts, shares
  -- below 0.05 set to zero, the uniform mixture as the only warm start, M = 5,000. Two of its
  -- faults are not repeated: zeroed shares are renormalized (the code lets the budget shrink),
  -- and subsets are drawn without replacement (the code draws with replacement).
  reference = {
    method = { kernel = "matern52", prior = "botorch", acquisition = "ucb", beta = "constant",
               beta_value = 1, candidates = 50, refine = 20, drop_below = 0.05 },
    selector = "influence",
    warm_start = { design = "uniform" },
    budget = { points = 5000, iterations = 10, samples = 1 },
  },
}

local function copy(t)
  local out = {}
  for k, v in pairs(t) do
    out[k] = type(v) == "table" and copy(v) or v
  end
  return out
end

return setmetatable(presets, {
  __index = function(_, name)
    local s = settings[name]
    if s == nil then
      error(("unknown DUET preset '%s'; the presets are project, paper and reference"):format(tostring(name)), 2)
    end
    return copy(s)
  end,
})
