-- Presets of the embedded backend: pool files and evaluation tasks.
--
-- Pool presets name the pool files that `duet data import --preset NAME` writes (data/NAME.h5).
-- Task presets are plain tables of the embedded task options plus a name, mirroring the four
-- panels of Chen, Lau, Foo and Low, "DUET: Optimizing Training Data Mixtures via Feedback from
-- Unseen Evaluation Tasks" (arXiv 2502.00270): (a) one in-domain task, (b) one out-of-domain
-- task, (c) and (d) out-of-domain pairs. Use them as
--     tasks = { duet.task(duet.embedded.tasks.a) }
-- or copy one and change its fields. The feedback spread of each preset (uniform mixture, best
-- and worst single domain, best of random mixtures, noise) is recorded in
-- docs/embedded-backend.md and measured again by `duet bench presets`.
local embedded = {}

embedded.pools = {
  main9 = {
    file = "main9.h5",
    summary = "nine domains of different kinds (the default)",
    domains = { "brown_press", "brown_learned", "brown_fiction", "wordnet", "spam", "ham",
                "kjv", "foldoc", "jargon" },
  },
  full = {
    file = "full.h5",
    summary = "every source unit as its own domain (26 domains)",
  },
}

embedded.tasks = {
  -- (a) in-domain: the task's own domain stays in the training pool.
  a = { name = "ham_in_domain", type = "lm", eval = { "ham" }, setting = "in-domain",
        metric = "bpc" },
  -- (b) out-of-domain: the Jargon File, learned from the other eight domains.
  b = { name = "jargon", type = "lm", eval = { "jargon" }, setting = "out-of-domain",
        metric = "bpc" },
  -- (c) out-of-domain pair: the two computing dictionaries, learned from the other seven
  -- domains, among which only the mailing-list mail (ham) is about computing.
  c = { name = "foldoc_jargon", type = "lm", eval = { "foldoc", "jargon" },
        setting = "out-of-domain", metric = "bpc" },
  -- (d) out-of-domain pair: fiction and scripture, scored as sampled next-character accuracy
  -- at temperature 0.75, the sampling temperature of the DUET paper's evaluations.
  d = { name = "fiction_kjv", type = "lm", eval = { "brown_fiction", "kjv" },
        setting = "out-of-domain", metric = "accuracy", temperature = 0.75 },
}

-- The panels in order, for loops: for _, t in ipairs(duet.embedded.panels) do ... end
embedded.panels = { embedded.tasks.a, embedded.tasks.b, embedded.tasks.c, embedded.tasks.d }

return embedded
