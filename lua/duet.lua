-- The Lua half of the duet module: builders that experiment scripts use to declare an experiment.
--
-- Every builder copies its options and records where it was called (`_where`, "script.lua:LINE"),
-- so that the C validator can report a bad value at the line that wrote it. Builders check only
-- what Lua can check at once (the kind of argument, known backend, method and selector names);
-- types and ranges of options are checked in C against each component's option table.

local core = require "duet.core"

local duet = {}

duet.version = core.version

-- "script.lua:LINE" of the caller `level` frames above the function calling this, or nil when
-- the builder was tail-called (as in `return duet.experiment { ... }`), which leaves no caller
-- frame; the C loader then finds the line in the script's text.
local function where(level)
  local builder = debug.getinfo(level, "t")
  local info = debug.getinfo(level + 1, "Sl")
  if info == nil or (builder and builder.istailcall) or info.currentline < 0 then
    return nil
  end
  return info.short_src .. ":" .. tostring(info.currentline)
end

local function copy_options(kind, name, opts, level)
  if opts == nil then
    opts = {}
  end
  if type(opts) ~= "table" then
    error(("%s '%s' takes a table of options, as in duet.%s.%s { ... }, got a %s")
      :format(kind, name, kind, name, type(opts)), level + 1)
  end
  local t = {}
  for k, v in pairs(opts) do
    t[k] = v
  end
  return t
end

-- A namespace whose fields are builders for the registered names of one kind.
local function namespace(kind, names)
  local known = {}
  for _, n in ipairs(names) do
    known[n] = true
  end
  return setmetatable({}, {
    __index = function(_, name)
      if not known[name] then
        error(("unknown %s '%s'; registered %ss are: %s (see `duet help %ss`)")
          :format(kind, tostring(name), kind, table.concat(names, ", "), kind), 2)
      end
      return function(opts)
        local t = copy_options(kind, name, opts, 2)
        t._kind = kind
        t._type = name
        t._where = where(2)
        return t
      end
    end,
  })
end

duet.backend = namespace("backend", core.backends())
duet.method = namespace("method", core.methods())
duet.selector = namespace("selector", core.selectors())
duet.executor = namespace("executor", core.executors())

-- `local` is a Lua keyword, so the local executor (worker processes on this machine) is built
-- with duet.executor.processes { jobs = 4 } (duet.executor["local"] works too).
rawset(duet.executor, "processes", function(opts)
  local t = copy_options("executor", "processes", opts, 1)
  t._kind = "executor"
  t._type = "local"
  t._where = where(2)
  return t
end)

-- A method written in Lua: `propose(state, iteration, rng)` returns a list of n ratios and
-- `observe(state, obs)` receives {iteration, ratios, utility, samples, warm_start}. The optional
-- `init(env)` returns the state table passed to both.
function duet.method.lua(opts)
  local t = copy_options("method", "lua", opts, 1)
  if type(t.propose) ~= "function" then
    error("duet.method.lua needs a 'propose' function, as in propose = function(state, t, rng) ... end", 2)
  end
  t._kind = "method"
  t._type = "lua"
  t._where = where(2)
  return t
end

-- A task of the experiment's backend: `name` plus the backend's task options.
function duet.task(opts)
  if type(opts) ~= "table" then
    error(("duet.task takes a table of options, got a %s"):format(type(opts)), 2)
  end
  local t = copy_options("task", "task", opts, 1)
  t._kind = "task"
  t._where = where(2)
  return t
end

-- The experiment: the table an experiment script returns.
function duet.experiment(opts)
  if type(opts) ~= "table" then
    error(("duet.experiment takes a table, as in return duet.experiment { name = ..., ... }, got a %s")
      :format(type(opts)), 2)
  end
  local t = copy_options("experiment", "experiment", opts, 1)
  t._kind = "experiment"
  t._where = where(2)
  return t
end

-- Presets for the embedded backend, loaded on first use.
setmetatable(duet, {
  __index = function(_, key)
    if key == "embedded" or key == "llm" or key == "presets" then
      local ok, preset = pcall(require, "duet." .. key)
      if not ok then
        error(("the duet.%s presets could not be loaded: %s"):format(key, preset), 2)
      end
      rawset(duet, key, preset)
      return preset
    end
    return nil
  end,
})

return duet
