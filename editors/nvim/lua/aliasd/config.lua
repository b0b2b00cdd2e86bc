-- Options of the aliasd plugin: annotated defaults, validation, merging.
local M = {}

---@class aliasd.HistoryKeymaps
---@field details string|false   open the entry under the cursor (alias/history/get)
---@field yank string|false      yank the request ID into the unnamed and "+" registers
---@field rerun string|false     run the entry's request again
---@field errors string|false    toggle "errors only"
---@field status string|false    filter by status class (2xx, 4xx, ...) or code
---@field path string|false      filter by path
---@field refresh string|false   reload the list from the daemon
---@field more string|false      load the next page
---@field close string|false     close the window

---@class aliasd.HistoryConfig
---@field page_size integer      entries fetched per alias/history/list call
---@field open string            how the buffer opens: "split", "vsplit", "tab" or "current"
---@field refresh_ms integer     how often relative times are redrawn (0 = never)
---@field keymaps aliasd.HistoryKeymaps

---@class aliasd.ResponseConfig
---@field open string            how a response buffer opens: "split", "vsplit", "tab" or "current"
---@field reuse_window boolean   show new responses in a window that already shows one

---@class aliasd.RestartConfig
---@field max integer            unexpected exits tolerated within window_ms before giving up
---@field window_ms integer

---@class aliasd.Config
---@field cmd string[]           command that starts the stdio bridge to the shared daemon
---@field env table<string,string>  extra environment for that command (ALIASD_HOME, ALIASD_BASE_URL, ...)
---@field request_timeout_ms integer  bound on every call the plugin waits for (completion, health)
---@field completion_timeout_ms integer  bound on daemon look-ups made while completing a command line
---@field progress "notify"|"echo"|false  where $/progress of :Aliasd paginate goes
---@field log_max_lines integer  lines of daemon stderr and window/logMessage kept for :Aliasd log
---@field history aliasd.HistoryConfig
---@field response aliasd.ResponseConfig
---@field restart aliasd.RestartConfig

---@type aliasd.Config
M.defaults = {
  cmd = { 'aliasd', 'stdio' },
  env = {},
  request_timeout_ms = 10000,
  completion_timeout_ms = 1500,
  progress = 'notify',
  log_max_lines = 1000,
  history = {
    page_size = 100,
    open = 'split',
    refresh_ms = 15000,
    keymaps = {
      details = '<CR>',
      yank = 'y',
      rerun = 'r',
      errors = 'e',
      status = 's',
      path = 'p',
      refresh = 'R',
      more = 'M',
      close = 'q',
    },
  },
  response = {
    open = 'split',
    reuse_window = true,
  },
  restart = {
    max = 3,
    window_ms = 60000,
  },
}

local open_modes = { split = true, vsplit = true, tab = true, current = true }

-- Each rule: path -> { type(s), optional check(value) -> ok, what it must be }.
local rules = {
  cmd = {
    'table',
    function(v)
      if #v == 0 then
        return false
      end
      for _, s in ipairs(v) do
        if type(s) ~= 'string' or s == '' then
          return false
        end
      end
      return true
    end,
    'a non-empty list of non-empty strings',
  },
  env = {
    'table',
    function(v)
      for k, s in pairs(v) do
        if type(k) ~= 'string' or (type(s) ~= 'string' and type(s) ~= 'number') then
          return false
        end
      end
      return true
    end,
    'a table of NAME = "value" strings',
  },
  request_timeout_ms = { 'number', function(v) return v > 0 end, 'a positive number' },
  completion_timeout_ms = { 'number', function(v) return v > 0 end, 'a positive number' },
  progress = {
    { 'string', 'boolean' },
    function(v) return v == false or v == 'notify' or v == 'echo' end,
    '"notify", "echo" or false',
  },
  log_max_lines = { 'number', function(v) return v >= 0 end, 'a number >= 0' },
  ['history.page_size'] = {
    'number',
    function(v) return v >= 1 and v <= 1000 and v == math.floor(v) end,
    'an integer from 1 to 1000',
  },
  ['history.open'] = { 'string', function(v) return open_modes[v] end, 'split, vsplit, tab or current' },
  ['history.refresh_ms'] = { 'number', function(v) return v >= 0 end, 'a number >= 0' },
  ['response.open'] = { 'string', function(v) return open_modes[v] end, 'split, vsplit, tab or current' },
  ['response.reuse_window'] = { 'boolean' },
  ['restart.max'] = { 'number', function(v) return v >= 0 end, 'a number >= 0' },
  ['restart.window_ms'] = { 'number', function(v) return v > 0 end, 'a positive number' },
}
for name in pairs(M.defaults.history.keymaps) do
  rules['history.keymaps.' .. name] = {
    { 'string', 'boolean' },
    function(v) return v == false or (type(v) == 'string' and v ~= '') end,
    'a key sequence or false',
  }
end

-- Tables whose keys are the user's, not ours: not walked for unknown keys.
local open_tables = { env = true }

local function check_type(value, types)
  if type(types) == 'string' then
    types = { types }
  end
  for _, t in ipairs(types) do
    if type(value) == t then
      return true
    end
  end
  return false, table.concat(types, ' or ')
end

-- validate walks opts against the defaults' shape. It returns a list of
-- problems (unknown keys) that are only worth a warning, and raises an error
-- naming the first option with a bad value.
local function validate(opts, defaults, prefix, warnings)
  for key, value in pairs(opts) do
    local path = prefix .. tostring(key)
    local rule = rules[path]
    local default = type(key) == 'string' and defaults[key] or nil
    if default == nil and rule == nil then
      table.insert(warnings, ('unknown option %q'):format(path))
    elseif rule then
      local ok, want = check_type(value, rule[1])
      if not ok then
        error(('aliasd: option %s must be %s, got %s'):format(path, rule[3] or want, type(value)), 0)
      end
      if rule[2] and not rule[2](value) then
        error(('aliasd: option %s must be %s, got %s'):format(path, rule[3], vim.inspect(value)), 0)
      end
    elseif type(default) == 'table' and not open_tables[path] then
      if type(value) ~= 'table' then
        error(('aliasd: option %s must be a table, got %s'):format(path, type(value)), 0)
      end
      validate(value, default, path .. '.', warnings)
    end
  end
end

---@type aliasd.Config
M.options = vim.deepcopy(M.defaults)

--- Merge user options over the defaults. Raises an error naming the option
--- when a value has the wrong type; returns warnings for unknown keys.
---@param opts table|nil
---@return aliasd.Config options, string[] warnings
function M.merge(opts)
  opts = opts or {}
  if type(opts) ~= 'table' then
    error(('aliasd: setup() takes a table, got %s'):format(type(opts)), 0)
  end
  local warnings = {}
  validate(opts, M.defaults, '', warnings)
  table.sort(warnings)
  local merged = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- Lists replace, they do not merge index by index.
  if opts.cmd then
    merged.cmd = vim.deepcopy(opts.cmd)
  end
  return merged, warnings
end

--- Replace the active options (called by setup()).
---@param opts table|nil
---@return string[] warnings
function M.set(opts)
  local merged, warnings = M.merge(opts)
  M.options = merged
  return warnings
end

return M
