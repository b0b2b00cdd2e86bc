-- aliasd for Neovim: the public Lua API. Everything here loads its module
-- on first use, so requiring "aliasd" costs nothing until a command runs.
local M = {}

--- Configure the plugin. Optional: the defaults work when `aliasd` is on
--- $PATH. Raises an error naming the option when a value is wrong; unknown
--- options are reported with a warning. See :help aliasd-config.
---@param opts aliasd.Config|nil
function M.setup(opts)
  local config = require('aliasd.config')
  local before = vim.deepcopy(config.options)
  local warnings = config.set(opts)
  for _, w in ipairs(warnings) do
    vim.notify('aliasd: setup: ' .. w, vim.log.levels.WARN)
  end
  -- A new command or environment takes effect with a new bridge.
  if not vim.deep_equal(before.cmd, config.options.cmd) or not vim.deep_equal(before.env, config.options.env) then
    require('aliasd.session').reset()
    require('aliasd.commands').forget()
  end
  return config.options
end

--- Send any aliasd JSON-RPC request; cb(err, result).
function M.request(method, params, cb)
  return require('aliasd.session').request(method, params, cb)
end

--- Send a request and wait at most timeout_ms (default request_timeout_ms).
---@return any result, table|nil err
function M.request_sync(method, params, timeout_ms)
  return require('aliasd.session').request_sync(method, params, timeout_ms)
end

--- Make one API call and show the response in a scratch JSON buffer.
---@param req {method: string, path: string, query: table|nil, body: any, profile: string|nil, cache: string|nil}
---@param cb fun(err: table|nil, result: table|nil, buf: integer|nil)|nil
function M.call(req, cb)
  return require('aliasd.views.response').call(req, cb)
end

--- Walk every page of a list endpoint, with $/progress, and show the items.
---@param req {path: string, query: table|nil, maxPages: integer|nil, maxItems: integer|nil, profile: string|nil}
function M.paginate(req, cb)
  return require('aliasd.views.response').paginate(req, cb)
end

--- Open the history buffer. filters: {errorsOnly, status, path}.
---@return integer buf
function M.history(filters)
  return require('aliasd.views.history').open(filters)
end

--- Fill the quickfix list with failed calls; cb(err, items).
function M.errors(cb)
  return require('aliasd.views.errors').fill(cb)
end

--- Show alias/status; cb(err, result, lines).
function M.status(cb)
  return require('aliasd.views.status').show(cb)
end

--- Token commands: add (asks with inputsecret), use, list, verify, remove.
M.token = setmetatable({}, {
  __index = function(_, k)
    return require('aliasd.token')[k]
  end,
})

return M
