-- Applies `--set key.path=value` overrides to an experiment table before it is validated.
--
-- A path walks the experiment's tables by key. In the lists `tasks` and `methods` a segment may
-- be a position (tasks.1) or a name (methods.duet: the method's `name`, or its type when it has
-- none). The value is read as the type of the value it replaces: a number, a boolean, a string,
-- or a comma-separated list. A key the script did not set is read as a list of numbers when it
-- is comma-separated numbers, as a number when it looks like one, as a boolean for true and
-- false, and as a string otherwise. The C validator then checks it against the option's
-- declared type. Each override is recorded in the table's `_set` field so
-- that an error about it names the override instead of a script line.

local overrides = {}

local function split(text, sep)
  local parts = {}
  for part in (text .. sep):gmatch("(.-)%" .. sep) do
    parts[#parts + 1] = part
  end
  return parts
end

local function find_in_list(list, segment)
  local index = tonumber(segment)
  if index and list[index] ~= nil then
    return list[index]
  end
  for _, item in ipairs(list) do
    if type(item) == "table" and (item.name == segment or (item.name == nil and item._type == segment)) then
      return item
    end
  end
  return nil
end

local function parse_scalar(text)
  if text == "true" then
    return true
  elseif text == "false" then
    return false
  end
  local number = math.tointeger(tonumber(text)) or tonumber(text)
  if number ~= nil then
    return number
  end
  return text
end

local function parse_like(old, text)
  local kind = type(old)
  if kind == "number" then
    local number = math.tointeger(tonumber(text)) or tonumber(text)
    if number == nil then
      error(("expected a number to replace %s, got '%s'"):format(tostring(old), text), 0)
    end
    return number
  elseif kind == "boolean" then
    if text ~= "true" and text ~= "false" then
      error(("expected true or false, got '%s'"):format(text), 0)
    end
    return text == "true"
  elseif kind == "string" then
    return text
  elseif kind == "table" then
    if #old == 0 and next(old) ~= nil then
      local keys = {}
      for key in pairs(old) do
        if type(key) == "string" and key:sub(1, 1) ~= "_" then
          keys[#keys + 1] = key
        end
      end
      table.sort(keys)
      error(("this is a table of options; set one of its keys instead (%s)"):format(table.concat(keys, ", ")), 0)
    end
    local list = {}
    if text ~= "" then
      for _, part in ipairs(split(text, ",")) do
        list[#list + 1] = parse_scalar(part)
      end
    end
    return list
  elseif kind == "nil" then
    -- A key the script leaves out: comma-separated numbers are a list (optimum, ratios).
    if text:find(",", 1, true) then
      local list = {}
      for _, part in ipairs(split(text, ",")) do
        list[#list + 1] = tonumber(part)
        if list[#list] == nil then
          return text
        end
      end
      return list
    end
    return parse_scalar(text)
  end
  error(("the value at this path is a %s and cannot be set from the command line"):format(kind), 0)
end

-- Describes what can follow the path that led to table `t`, for an error about `segment`.
function overrides.hint(t, segment, value)
  if value ~= nil then
    return ("it is a %s (%s) in the script; write it as a table there to set its options"):format(
      type(value), tostring(value))
  end
  local names = {}
  if #t > 0 then
    for _, item in ipairs(t) do
      if type(item) == "table" then
        names[#names + 1] = tostring(item.name or item._type)
      end
    end
    return ("use a name (%s) or a position 1..%d"):format(table.concat(names, ", "), #t)
  end
  for key, item in pairs(t) do
    if type(key) == "string" and key:sub(1, 1) ~= "_" and type(item) == "table" then
      names[#names + 1] = key
    end
  end
  table.sort(names)
  if #names == 0 then
    return "this level has no nested tables; the last segment names the key to set"
  end
  return ("the tables here are %s"):format(table.concat(names, ", "))
end

-- Applies one override "a.b.c=value" to the experiment table `experiment`.
function overrides.apply(experiment, assignment)
  local path, text = assignment:match("^([^=]+)=(.*)$")
  if path == nil then
    error("expected key.path=value", 0)
  end
  local segments = split(path, ".")
  local t = experiment
  for i = 1, #segments - 1 do
    local segment = segments[i]
    local nested = t[segment]
    if nested == nil and #t > 0 then
      nested = find_in_list(t, segment)
    end
    if nested == nil and (segment == "budget" or segment == "warm_start") and t == experiment then
      nested = {}
      t[segment] = nested
    end
    if type(nested) ~= "table" then
      error(("'%s' does not name a table of the experiment; %s"):format(
        table.concat(segments, ".", 1, i), overrides.hint(t, segment, nested)), 0)
    end
    t = nested
  end
  local key = segments[#segments]
  if key == "" or key:sub(1, 1) == "_" then
    error(("'%s' is not a settable key"):format(path), 0)
  end
  t[key] = parse_like(t[key], text)
  t._set = t._set or {}
  t._set[key] = "--set " .. assignment
end

return overrides
