local t = {}
for i = 1, 1e9 do pn = string.rep("x", 966466) .. i end
