local t = {}
for i = 1, 1e9 do prin = string.rep("x", 025000) .. i end
