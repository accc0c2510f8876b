-- Presets for the llm backend: the models, training domains, evaluation tasks and LoRA settings
-- of "DUET: Optimizing Training Data Mixtures via Feedback from Unseen Evaluation Tasks"
-- (Chen, Lau, Foo, Low; arXiv 2502.00270), and executors that run the Python worker.
--
--     local llm = duet.llm
--     backend = llm.backend { model = "llama3_8b", pool = "llm/pool.h5" },
--     tasks = { llm.task "truthfulqa", llm.task "gsm8k" },
--     executor = llm.slurm { partition = "gpu" },
--
-- Each call builds a fresh table whose recorded place is the line of the call, so validation
-- errors point at the experiment script, not at this file.
local duet = require "duet"

local llm = {}

-- Records the caller of the preset function (two levels up) as the place that wrote t; the preset
-- must not tail-call this, or its frame is gone.
local function from_caller(t)
  local info = debug.getinfo(3, "Sl")
  if info ~= nil then
    t._where = info.short_src .. ":" .. tostring(info.currentline)
  end
  return t
end

-- Model presets: Llama-3-8B-Instruct (the paper's main model) and Qwen2.5-7B-Instruct (its
-- repeat in the appendix). A value not listed here is used as a model id or folder as it is.
llm.models = {
  llama3_8b = "meta-llama/Meta-Llama-3-8B-Instruct",
  qwen25_7b = "Qwen/Qwen2.5-7B-Instruct",
}

-- The nine training domains, in the pool file's order.
llm.domains = {
  "wikitext", "gsm8k", "pubmedqa", "headqa_en", "sciq", "triviaqa", "truthfulqa", "hellaswag",
  "commonsense_qa",
}

-- The reference LoRA fine-tuning settings: rank 16, alpha 16, dropout 0.05 on q_proj and v_proj,
-- AdamW at 3e-4, batch 8, 10 warmup steps, one epoch, bf16, 256-token sequences; evaluation
-- samples generation tasks at temperature 0.75 so that the feedback is noisy.
llm.settings = {
  lora_rank = 16,
  lora_alpha = 16,
  lora_dropout = 0.05,
  lora_targets = { "q_proj", "v_proj" },
  learning_rate = 3e-4,
  batch_size = 8,
  warmup_steps = 10,
  epochs = 1,
  max_length = 256,
  precision = "bf16",
  temperature = 0.75,
}

-- The four evaluation tasks: (a) TruthfulQA in-domain (its domain stays in the pool); (b) GSM8K,
-- (c) PubMedQA + HeadQA and (d) CommonsenseQA + TriviaQA out-of-domain, their own domains removed
-- from the pool. The feedback of a multi-benchmark task is the equal-weight mean.
llm.tasks = {
  truthfulqa = { evaluate = { "truthfulqa" }, remove = {} },
  gsm8k = { evaluate = { "gsm8k" }, remove = { "gsm8k" } },
  pubmedqa_headqa = { evaluate = { "pubmedqa", "headqa" }, remove = { "pubmedqa", "headqa_en" } },
  commonsenseqa_triviaqa = {
    evaluate = { "commonsense_qa", "triviaqa" },
    remove = { "commonsense_qa", "triviaqa" },
  },
}

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do
    if type(v) == "table" then
      out[k] = copy(v)
    else
      out[k] = v
    end
  end
  return out
end

local function merge(base, opts, what)
  if opts ~= nil and type(opts) ~= "table" then
    error(("duet.llm.%s takes a table of options, got a %s"):format(what, type(opts)), 3)
  end
  local out = copy(base)
  for k, v in pairs(opts or {}) do
    out[k] = v
  end
  return out
end

-- duet.backend.llm with the reference settings; `model` may be a preset name.
function llm.backend(opts)
  local o = merge(llm.settings, opts, "backend")
  if o.model == nil then
    error("duet.llm.backend needs a model: llama3_8b, qwen25_7b, or a model id or folder", 2)
  end
  o.model = llm.models[o.model] or o.model
  o.pool = o.pool or "llm/pool.h5"
  local builder = duet.backend.llm
  local t = builder(o)
  from_caller(t)
  return t
end

-- The duet.task of one of the four paper tasks, by its key in llm.tasks; opts may rename it.
function llm.task(key, opts)
  local preset = llm.tasks[key]
  if preset == nil then
    local keys = {}
    for k in pairs(llm.tasks) do
      keys[#keys + 1] = k
    end
    table.sort(keys)
    error(("unknown llm task '%s'; the presets are %s"):format(tostring(key), table.concat(keys, ", ")), 2)
  end
  local o = merge(preset, opts, "task")
  o.name = o.name or key
  local t = duet.task(o)
  from_caller(t)
  return t
end

-- The worker command: the Python package duet_llm under /usr/bin/python3 unless given.
llm.worker = { "python3", "-m", "duet_llm", "worker" }

-- A Slurm executor for GPU nodes: one GPU, 8 CPUs and 64 GB per evaluation, 4 hours at most.
function llm.slurm(opts)
  local o = merge({
    worker = llm.worker, gpus = "1", cpus = 8, mem = "64G", timeout = 4 * 3600, retries = 1,
  }, opts, "slurm")
  local t = duet.executor.slurm(o)
  from_caller(t)
  return t
end

-- A local executor for a GPU host: `jobs` workers at once (give each its own GPU by setting
-- CUDA_VISIBLE_DEVICES in the worker command when jobs > 1).
function llm.processes(opts)
  local o = merge({ worker = llm.worker, jobs = 1, timeout = 4 * 3600, retries = 1 }, opts, "processes")
  local t = duet.executor.processes(o)
  from_caller(t)
  return t
end

return llm
