-- The DUET paper's main figure with qwen25_7b: DUET against the baselines on (a) TruthfulQA
-- in-domain, (b) GSM8K, (c) PubMedQA + HeadQA and (d) CommonsenseQA + TriviaQA out-of-domain.
-- Needs a GPU cluster with Slurm and the Python worker (docs/llm.md); set the partition with
--     duet run experiments/llm/qwen25_7b_main.lua --set executor.partition=gpu
local paper = require "duet.llm_paper"

return paper.experiment("llm-qwen25_7b-main", "qwen25_7b", paper.main_methods(), {
  description = "DUET against the baselines, four tasks, qwen25_7b with LoRA.",
})
