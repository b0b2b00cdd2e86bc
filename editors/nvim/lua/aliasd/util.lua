-- Small pure helpers: JSON display, times, command-line arguments.
local M = {}

-- vim.tbl_islist is deprecated from 0.10 in favour of vim.islist.
local islist = vim.islist or vim.tbl_islist

--- vim.NIL (JSON null) as nil.
function M.nn(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

function M.notify(msg, level)
  vim.notify('aliasd: ' .. msg, level or vim.log.levels.INFO)
end

-- JSON display --------------------------------------------------------------

local function encode_string(s)
  -- vim.json escapes "/" as "\/"; every "\/" it writes is that escape.
  return (vim.json.encode(s):gsub('\\/', '/'))
end

local function is_empty_dict(t)
  return next(t) == nil and getmetatable(t) ~= nil
end

local function is_list(t)
  if getmetatable(t) ~= nil and next(t) == nil then
    return false
  end
  local n = 0
  for k in pairs(t) do
    if type(k) ~= 'number' then
      return false
    end
    n = n + 1
  end
  for i = 1, n do
    if t[i] == nil then
      return false
    end
  end
  return true
end

local function pretty(v, indent, out, step)
  local t = type(v)
  if v == vim.NIL or v == nil then
    out[#out + 1] = 'null'
  elseif t == 'string' then
    out[#out + 1] = encode_string(v)
  elseif t == 'number' or t == 'boolean' then
    out[#out + 1] = vim.json.encode(v)
  elseif t == 'table' then
    local inner = indent .. step
    if is_empty_dict(v) then
      out[#out + 1] = '{}'
    elseif is_list(v) then
      if #v == 0 then
        out[#out + 1] = '[]'
        return
      end
      out[#out + 1] = '[\n'
      for i, item in ipairs(v) do
        out[#out + 1] = inner
        pretty(item, inner, out, step)
        out[#out + 1] = i < #v and ',\n' or '\n'
      end
      out[#out + 1] = indent .. ']'
    else
      local keys = {}
      for k in pairs(v) do
        keys[#keys + 1] = tostring(k)
      end
      table.sort(keys)
      out[#out + 1] = '{\n'
      for i, k in ipairs(keys) do
        local item = v[k]
        if item == nil then
          item = v[tonumber(k)]
        end
        out[#out + 1] = inner .. encode_string(k) .. ': '
        pretty(item, inner, out, step)
        out[#out + 1] = i < #keys and ',\n' or '\n'
      end
      out[#out + 1] = indent .. '}'
    end
  else
    out[#out + 1] = encode_string(tostring(v))
  end
end

--- Pretty-print a decoded JSON value (keys sorted, two-space indent) as lines.
---@return string[]
function M.json_lines(v)
  local out = {}
  pretty(v, '', out, '  ')
  return vim.split(table.concat(out), '\n', { plain = true })
end

-- Times ---------------------------------------------------------------------

-- Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
-- days_from_civil).
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Seconds since the epoch of an RFC 3339 time, or nil.
---@param s string
---@return number|nil
function M.parse_time(s)
  if type(s) ~= 'string' then
    return nil
  end
  local y, mo, d, h, mi, sec, rest = s:match('^(%d%d%d%d)-(%d%d)-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$')
  if not y then
    return nil
  end
  local frac = 0
  local f = rest:match('^%.(%d+)')
  if f then
    frac = tonumber('0.' .. f)
    rest = rest:sub(#f + 2)
  end
  local offset = 0
  if rest == 'Z' or rest == 'z' then
    offset = 0
  else
    local sign, oh, om = rest:match('^([+-])(%d%d):(%d%d)$')
    if not sign then
      return nil
    end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == '+' and 1 or -1)
  end
  local days = days_from_civil(tonumber(y), tonumber(mo), tonumber(d))
  return days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec) + frac - offset
end

--- "now", "42s ago", "5m ago", "3h ago", "2d ago".
---@param t number|nil  epoch seconds
---@param now number|nil
function M.relative(t, now)
  if not t then
    return '?'
  end
  now = now or os.time()
  local d = math.floor(now - t)
  if d < 5 then
    return 'now'
  elseif d < 60 then
    return d .. 's ago'
  elseif d < 3600 then
    return math.floor(d / 60) .. 'm ago'
  elseif d < 86400 then
    return math.floor(d / 3600) .. 'h ago'
  end
  return math.floor(d / 86400) .. 'd ago'
end

-- Paths and arguments -------------------------------------------------------

M.api_prefix = '/api/v1'

--- "/catalog" and "catalog" become "/api/v1/catalog"; "/api/..." stays.
function M.api_path(p)
  if p:sub(1, 1) ~= '/' then
    p = '/' .. p
  end
  if p == '/api' or p:sub(1, 5) == '/api/' then
    return p
  end
  return M.api_prefix .. p
end

--- The part of an API path after /api/v1 ("/catalog/{id}").
function M.short_path(p)
  if p:sub(1, #M.api_prefix + 1) == M.api_prefix .. '/' then
    return p:sub(#M.api_prefix + 1)
  end
  return p
end

M.methods = { GET = true, POST = true, PUT = true, PATCH = true, DELETE = true, HEAD = true }

local function add_value(map, key, value)
  local cur = map[key]
  if cur == nil then
    map[key] = value
  elseif type(cur) == 'table' and islist(cur) then
    table.insert(cur, value)
  else
    map[key] = { cur, value }
  end
end

--- Parse the words after "call": [METHOD] PATH key=value... key:=json
--- --body=JSON --cache=MODE --profile=NAME. Returns a request table or nil
--- and an error message.
---@param words string[]
---@param opts {default_method: string|nil, flags: table<string, boolean>|nil}|nil
---@return table|nil, string|nil
function M.parse_call(words, opts)
  opts = opts or {}
  local allowed = opts.flags or { body = true, cache = true, profile = true }
  local req = { query = {} , flags = {} }
  local i = 1
  if words[i] and M.methods[words[i]:upper()] and words[i]:sub(1, 1) ~= '/' then
    req.method = words[i]:upper()
    i = i + 1
  else
    req.method = opts.default_method
  end
  if not req.method then
    return nil, 'expected a method (GET, POST, DELETE, ...) then a path'
  end
  local path = words[i]
  if not path or path:gsub('%?.*$', ''):find('=', 1, true) or path:sub(1, 2) == '--' then
    return nil, 'expected a path such as /catalog after ' .. req.method
  end
  if path:find('%s') then
    return nil, ('path %q contains white space'):format(path)
  end
  local q = path:find('?', 1, true)
  if q then
    for pair in path:sub(q + 1):gmatch('[^&]+') do
      local k, v = pair:match('^([^=]*)=?(.*)$')
      add_value(req.query, M.url_decode(k), M.url_decode(v))
    end
    path = path:sub(1, q - 1)
  end
  req.path = M.api_path(path)
  i = i + 1
  for j = i, #words do
    local w = words[j]
    local flag, fval = w:match('^%-%-([%w%-]+)=(.*)$')
    if flag then
      if not allowed[flag] then
        return nil, ('unknown option --%s'):format(flag)
      end
      req.flags[flag] = fval
    else
      local k, v = w:match('^([^=:]+):=(.*)$')
      if k then
        local ok, decoded = pcall(vim.json.decode, v)
        if not ok then
          return nil, ('%s:= takes JSON, got %s'):format(k, v)
        end
        add_value(req.query, k, decoded)
      else
        k, v = w:match('^([^=]+)=(.*)$')
        if not k then
          return nil, ('expected key=value, got %q'):format(w)
        end
        add_value(req.query, k, v)
      end
    end
  end
  if req.flags.body then
    local text = req.flags.body
    if text:sub(1, 1) == '@' then
      local f = io.open(vim.fn.expand(text:sub(2)), 'rb')
      if not f then
        return nil, 'cannot read body file ' .. text:sub(2)
      end
      text = f:read('*a')
      f:close()
    end
    local ok, decoded = pcall(vim.json.decode, text)
    if not ok then
      return nil, '--body is not valid JSON: ' .. tostring(decoded):gsub('^.-: ', '')
    end
    req.body = decoded
  end
  if req.flags.cache and not ({ default = true, ['no-cache'] = true, ['only-if-cached'] = true })[req.flags.cache] then
    return nil, '--cache must be default, no-cache or only-if-cached'
  end
  return req
end

function M.url_decode(s)
  s = s:gsub('+', ' ')
  return (s:gsub('%%(%x%x)', function(h)
    return string.char(tonumber(h, 16))
  end))
end

--- Decode an encoded query string into the map alias/request takes
--- (repeated keys become lists).
function M.query_map(qs)
  local map = {}
  if type(qs) ~= 'string' or qs == '' then
    return map
  end
  qs = qs:gsub('^%?', '')
  for pair in qs:gmatch('[^&]+') do
    local k, v = pair:match('^([^=]*)=?(.*)$')
    add_value(map, M.url_decode(k), M.url_decode(v))
  end
  return map
end

--- Encode a query map for display: keys sorted, lists repeated.
function M.query_string(map)
  local keys = vim.tbl_keys(map or {})
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = map[k]
    local list = (type(v) == 'table' and islist(v) and #v > 0) and v or { v }
    for _, item in ipairs(list) do
      local s = type(item) == 'table' and vim.json.encode(item) or tostring(item)
      parts[#parts + 1] = k .. '=' .. s
    end
  end
  return table.concat(parts, '&')
end

--- Open a buffer in a window the way `how` says ("split", "vsplit", "tab", "current").
function M.open_buffer(buf, how)
  if how == 'tab' then
    vim.cmd('tab split')
  elseif how == 'vsplit' then
    vim.cmd('vsplit')
  elseif how == 'split' then
    vim.cmd('split')
  end
  vim.api.nvim_win_set_buf(0, buf)
  return vim.api.nvim_get_current_win()
end

--- The buffer whose name is exactly name, or nil.
function M.find_buffer(name)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_valid(b) and vim.api.nvim_buf_get_name(b) == name then
      return b
    end
  end
  return nil
end

--- A scratch buffer with a name; an existing buffer of that name is reused.
function M.scratch(name, filetype)
  local buf = M.find_buffer(name)
  if not buf then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
  end
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].swapfile = false
  if filetype and vim.bo[buf].filetype ~= filetype then
    vim.bo[buf].filetype = filetype
  end
  return buf
end

function M.set_lines(buf, lines)
  local was = vim.bo[buf].modifiable
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = was
  vim.bo[buf].modified = false
end

--- Describe an RPC error for a message.
function M.rpc_error(err)
  if type(err) ~= 'table' then
    return tostring(err)
  end
  local msg = M.nn(err.message) or 'unknown error'
  -- -32099/-32098 are this client's own (process gone, timeout): the
  -- message says it all.
  if err.code and err.code ~= -32099 and err.code ~= -32098 then
    msg = msg .. (' (%d)'):format(err.code)
  end
  return msg
end

return M
