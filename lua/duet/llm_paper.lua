-- The DUET paper's LLM experiments (Chen, Lau, Foo and Low, arXiv 2502.00270) as experiment
-- builders: the main figure (four tasks, DUET against the baselines) and the ablations, for
-- Llama-3-8B-Instruct and Qwen2.5-7B-Instruct. They need a GPU host or cluster with the model
-- weights, the Hugging Face datasets and the Python worker (docs/llm.md); nothing here runs on
-- a machine without them.
--
-- Task-agnostic baselines that train a proxy model (doremi, online_mixing, aioli) need proxy
-- training that the LLM worker does not provide; evaluate their published or separately
-- computed weights with duet.method.fixed { ratios = { ... } } instead.
local duet = require "duet"
local llm = duet.llm

local paper = {}

-- M = 10,000 training examples per evaluation, T = 10 iterations, k = 1, as in the paper.
paper.budget = { points = 10000, iterations = 10, samples = 1 }
paper.trials = 5
paper.seed = 2025
paper.warm_start = { design = "dirichlet", count = 50 }

local function tasks(opts)
  local list = {}
  for _, key in ipairs({ "truthfulqa", "gsm8k", "pubmedqa_headqa", "commonsenseqa_triviaqa" }) do
    list[#list + 1] = llm.task(key)
  end
  return list
end

-- A complete experiment for `model` (llama3_8b or qwen25_7b) with the given methods.
function paper.experiment(name, model, methods, opts)
  opts = opts or {}
  return duet.experiment {
    name = name,
    description = opts.description,
    seed = paper.seed,
    backend = llm.backend { model = model, pool = "llm/pool.h5", scores = "llm/scores.h5" },
    tasks = opts.tasks or tasks(),
    methods = methods,
    budget = opts.budget or paper.budget,
    trials = paper.trials,
    warm_start = paper.warm_start,
    executor = llm.slurm {},
  }
end

-- The main figure's methods.
function paper.main_methods()
  return {
    duet.method.duet {},
    duet.method.uniform {},
    duet.method.random_search {},
    duet.method.regmix {},
    duet.method.select_influence {},
  }
end

-- The ablations: components (uniform, DUET-UR, DUET-IF), selectors (IF, RH, uniform) and k.
function paper.ablation_methods()
  local methods = {
    duet.method.uniform { name = "uniform_mixture" },
    duet.method.duet_ur {},
    duet.method.duet_if {},
    duet.method.duet_rh {},
  }
  for _, k in ipairs({ 2, 4, 8 }) do
    methods[#methods + 1] = duet.method.duet_if { name = "duet_if_k" .. k, samples = k }
  end
  return methods
end

return paper
