local duet = require "duet"
local e = duet.experiment { name = "x", backend = duet.backend.synthetic {},
  budget = { points = 10, iterations = 3 },
  tasks = { duet.task { name = "a" } }, methods = { duet.method.uniform {} } }
e._where = nil
return setmetatable(e, { __index = function() error("boom") end })
