-- A small synthetic experiment for the executor tests; environment variables pick the executor
-- settings, so one script serves the inline reference and every failure scenario.
local duet = require "duet"

local function env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    return default
  end
  return value
end

local worker = {}
for word in env("DUET_TEST_WORKER", ""):gmatch("%S+") do
  worker[#worker + 1] = word
end

local options = {
  worker = worker,
  retries = tonumber(env("DUET_TEST_RETRIES", "1")),
  timeout = tonumber(env("DUET_TEST_TIMEOUT", "0")),
  on_failure = env("DUET_TEST_ON_FAILURE", "stop"),
}

local executor
if env("DUET_TEST_EXECUTOR", "local") == "slurm" then
  options.jobs = tonumber(env("DUET_TEST_JOBS", "2"))
  options.partition = "debug"
  options.mem = "100M"
  options.poll_seconds = 0.2
  options.requeues = 2
  executor = duet.executor.slurm(options)
else
  options.jobs = tonumber(env("DUET_TEST_JOBS", "3"))
  executor = duet.executor.processes(options)
end

return duet.experiment {
  name = "executor_test",
  seed = 7,
  backend = duet.backend.synthetic { domains = 4, items = 500 },
  tasks = { duet.task { name = "bump", width = 0.3, noise = 0.05 } },
  methods = { duet.method.uniform {}, duet.method.random_search {} },
  budget = { points = 200, iterations = 4, samples = 2 },
  trials = 2,
  executor = executor,
}
