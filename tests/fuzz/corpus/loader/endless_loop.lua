local duet = require "duet"
while true do end
