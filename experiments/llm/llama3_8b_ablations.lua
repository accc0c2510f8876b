-- The DUET paper's ablations with llama3_8b: components (uniform mixture, DUET-UR, DUET-IF),
-- selectors (influence, remove-harmful) and inner samples k in {1, 2, 4, 8}, on the four tasks.
-- Needs a GPU cluster with Slurm and the Python worker (docs/llm.md).
local paper = require "duet.llm_paper"

return paper.experiment("llm-llama3_8b-ablations", "llama3_8b", paper.ablation_methods(), {
  description = "Ablations of DUET, four tasks, llama3_8b with LoRA.",
})
