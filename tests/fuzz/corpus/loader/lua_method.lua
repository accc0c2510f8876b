local duet = require "duet"
return duet.experiment {
  name = "lua-method", seed = 5,
  backend = duet.backend.synthetic { domains = 4, items = 200 },
  tasks = { duet.task { name = "t", optimum = { 0.7, 0.1, 0.1, 0.1 }, noise = 0.01 } },
  methods = {
    duet.method.duet { restarts = 1, candidates = 64, selector = duet.selector.uniform {} },
    duet.method.lua {
      name = "cycle",
      init = function(env) return { n = env.n } end,
      propose = function(state, t, rng)
        local r = {}
        for i = 1, state.n do r[i] = 0.5 / (state.n - 1) end
        r[(t - 1) % state.n + 1] = 0.5
        return r
      end,
    },
  },
  budget = { points = 100, iterations = 12, samples = 2 }, trials = 3,
  warm_start = { design = "vertices" },
}
