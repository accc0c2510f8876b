-- The DUET paper's ablations with qwen25_7b: components (uniform mixture, DUET-UR, DUET-IF),
-- selectors (influence, remove-harmful) and inner samples k in {1, 2, 4, 8}, on the four tasks.
-- Needs a GPU cluster with Slurm and the Python worker (docs/llm.md).
local paper = require "duet.llm_paper"

return paper.experiment("llm-qwen25_7b-ablations", "qwen25_7b", paper.ablation_methods(), {
  description = "Ablations of DUET, four tasks, qwen25_7b with LoRA.",
})
