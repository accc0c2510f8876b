-- The DUET paper's main figure with llama3_8b: DUET against the baselines on (a) TruthfulQA
-- in-domain, (b) GSM8K, (c) PubMedQA + HeadQA and (d) CommonsenseQA + TriviaQA out-of-domain.
-- Needs a GPU cluster with Slurm and the Python worker (docs/llm.md); set the partition with
--     duet run experiments/llm/llama3_8b_main.lua --set executor.partition=gpu
local paper = require "duet.llm_paper"

return paper.experiment("llm-llama3_8b-main", "llama3_8b", paper.main_methods(), {
  description = "DUET against the baselines, four tasks, llama3_8b with LoRA.",
})
