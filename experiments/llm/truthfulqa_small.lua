-- DUET on TruthfulQA with Llama-3-8B-Instruct, as in the paper's main figure (task a), against
-- the uniform mixture and random search, on a Slurm cluster with GPUs. Before running, export
-- the pool on a host with the Hugging Face datasets (see docs/llm.md):
--     python3 -m duet_llm export-pool --out data/llm/pool.h5
-- then run
--     duet run experiments/llm_truthfulqa.lua --set executor.partition=gpu
local duet = require "duet"
local llm = duet.llm

return duet.experiment {
  name = "llm_truthfulqa",
  description = "Mixtures of nine instruction domains for TruthfulQA, Llama-3-8B-Instruct with LoRA.",
  seed = 1,
  backend = llm.backend { model = "llama3_8b", pool = "llm/pool.h5" },
  tasks = { llm.task "truthfulqa" },
  methods = {
    duet.method.uniform {},
    duet.method.random_search {},
  },
  budget = { points = 10000, iterations = 10, samples = 1 },
  trials = 3,
  executor = llm.slurm {},
}
