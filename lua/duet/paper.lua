-- Settings shared by the scripts in experiments/paper/, which reproduce the figures of Chen,
-- Lau, Foo and Low, "DUET: Optimizing Training Data Mixtures via Feedback from Unseen Evaluation
-- Tasks" (arXiv 2502.00270) on the embedded CPU backend. Keeping them here makes the main figure
-- and the ablations comparable: same pool, tasks, budget and seed.
local duet = require "duet"

local paper = {}

-- The nine-domain pool of real text (data/main9.h5, built by `make data`). Each evaluation
-- trains the character model for at most 10 L-BFGS iterations (the backend default is 15), which
-- keeps the main figure within 15 minutes on 2 cores.
function paper.backend()
  return duet.backend.embedded { pool = "main9", max_iter = 10 }
end

-- The four panels: (a) in-domain, (b) out-of-domain, (c) and (d) out-of-domain pairs.
function paper.tasks()
  local tasks = {}
  for _, t in ipairs(duet.embedded.panels) do
    tasks[#tasks + 1] = duet.task(t)
  end
  return tasks
end

-- T = 10 iterations with k = 1 inner sample, as in the paper's main figure; M = 500 records
-- per training subset (the paper fine-tunes on 10,000 examples; the embedded model is smaller).
paper.budget = { points = 500, iterations = 10, samples = 1 }

-- Trials per method and task (the reference code repeats 10; 5 keeps the figure under the time
-- budget on 2 cores).
paper.trials = 5

paper.seed = 2025

-- The paper initializes the Gaussian process with 50 random mixtures; these evaluations are
-- stored under warm_start/ and are not counted as iterations of the curves. Only DUET and its
-- ablations observe them; the baselines spend their whole budget in their T iterations.
paper.warm_start = { design = "dirichlet", count = 50 }

-- Proxy settings of the task-agnostic baselines, lighter than their defaults so that their
-- proxy runs (one per task) take seconds on the embedded model.
paper.doremi = { steps = 100, reference_steps = 100 }
paper.online_mixing = { steps = 250 }
paper.aioli = { rounds = 5, round_steps = 10, probe_steps = 5, probe_sweeps = 1 }

return paper
