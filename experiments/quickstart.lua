-- Quickstart: DUET against the uniform mixture on the embedded backend, a character language
-- model trained on real text for every proposed mixture. The task is the Jargon File, which the
-- optimizer never sees: it only receives the bits per character of each trained model on a
-- sample of it, and chooses how to mix the other eight domains (Brown press, learned and
-- fiction, WordNet glosses, spam and ham mail, the King James Bible, FOLDOC).
--     make quickstart                  (fetches the data, builds, runs this, draws the figure)
--     duet run experiments/quickstart.lua --jobs 2
--     duet plot results/quickstart.h5
local duet = require "duet"

return duet.experiment {
  name = "quickstart",
  description = "DUET against the uniform mixture on the out-of-domain Jargon File task.",
  seed = 1,
  backend = duet.backend.embedded { pool = "main9" },
  tasks = { duet.task(duet.embedded.tasks.b) },
  methods = {
    duet.method.duet {},
    duet.method.uniform {},
  },
  budget = { points = 1000, iterations = 6, samples = 1 },
  trials = 3,
  warm_start = { design = "uniform" },
}
