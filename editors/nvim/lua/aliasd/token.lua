-- :Aliasd token add/use/list/verify/remove. A token is read with
-- inputsecret(), sent once to the daemon and dropped: never stored, logged
-- or echoed here.
local session = require('aliasd.session')
local util = require('aliasd.util')

local M = {}

local levels = vim.log.levels

-- shown holds the daemon warnings already shown: the same warning (e.g.
-- "tokens are stored in a plain file") comes with every token call.
local shown = {}

local function warnings(result)
  for _, w in ipairs(util.nn((util.nn(result) or {}).warnings) or {}) do
    w = tostring(w)
    if not shown[w] then
      shown[w] = true
      util.notify(w, levels.WARN)
    end
  end
end

local function check_name(name)
  if type(name) ~= 'string' or name == '' then
    return 'a token name is required'
  end
  if name:find('[%s/\\]') then
    return ('token name %q may not contain spaces or slashes'):format(name)
  end
  return nil
end

--- Ask for a token with inputsecret() and store it under name; cb(err, result).
function M.add(name, cb)
  cb = cb or function() end
  local bad = check_name(name)
  if bad then
    util.notify(bad, levels.ERROR)
    cb({ message = bad }, nil)
    return
  end
  local secret = vim.fn.inputsecret(('aliasd token for %s: '):format(name))
  vim.cmd('redraw')
  secret = vim.trim(secret or '')
  if secret == '' then
    util.notify('token add cancelled: no token entered', levels.WARN)
    cb({ message = 'cancelled' }, nil)
    return
  end
  session.request('alias/token/add', { name = name, token = secret }, function(err, result)
    if err then
      util.notify(('token add %s failed: %s'):format(name, util.rpc_error(err)), levels.ERROR)
      cb(err, nil)
      return
    end
    result = util.nn(result) or {}
    util.notify(('token %s added (fingerprint %s, storage %s)'):format(
      util.nn(result.name) or name, util.nn(result.fingerprint) or '?', util.nn(result.storage) or '?'))
    warnings(result)
    cb(nil, result)
  end)
  secret = nil -- luacheck: ignore
end

--- Lines for a token list.
function M.lines(result)
  local lines = {}
  for _, t in ipairs(util.nn((util.nn(result) or {}).tokens) or {}) do
    table.insert(lines, ('%s %-16s %-20s %s'):format(util.nn(t.active) and '*' or ' ', util.nn(t.name) or '?',
      util.nn(t.fingerprint) or '?', util.nn(t.storage) or '?'))
  end
  if #lines == 0 then
    lines = { 'no tokens; add one with :Aliasd token add NAME' }
  end
  return lines
end

local function echo(lines)
  vim.api.nvim_echo({ { table.concat(lines, '\n') } }, true, {})
end

function M.list(cb)
  cb = cb or function() end
  session.request('alias/token/list', vim.empty_dict(), function(err, result)
    if err then
      util.notify('token list failed: ' .. util.rpc_error(err), levels.ERROR)
      return cb(err, nil)
    end
    local lines = M.lines(result)
    echo(lines)
    warnings(result)
    cb(nil, result, lines)
  end)
end

-- named runs a token method that takes a profile name; on success it calls
-- done(result), then hands the result on.
local function named(method, verb, name, cb, done)
  cb = cb or function() end
  local bad = check_name(name)
  if bad then
    util.notify(bad, levels.ERROR)
    return cb({ message = bad }, nil)
  end
  session.request(method, { name = name }, function(err, result)
    if err then
      util.notify(('token %s %s failed: %s'):format(verb, name, util.rpc_error(err)), levels.ERROR)
      return cb(err, nil)
    end
    done(result)
    cb(nil, result)
  end)
end

function M.use(name, cb)
  named('alias/token/use', 'use', name, cb, function(result)
    util.notify('active token: ' .. name)
    warnings(result)
  end)
end

function M.remove(name, cb)
  named('alias/token/remove', 'remove', name, cb, function()
    util.notify('removed token ' .. name)
  end)
end

--- Check a token (the active one when name is nil) against the API.
function M.verify(name, cb)
  cb = cb or function() end
  local params = (name and name ~= '') and { name = name } or vim.empty_dict()
  session.request('alias/token/verify', params, function(err, result)
    if err then
      util.notify('token verify failed: ' .. util.rpc_error(err), levels.ERROR)
      return cb(err, nil)
    end
    result = util.nn(result) or {}
    local who = util.nn(result.name) or name or 'active token'
    local rid = util.nn(result.requestId) or '-'
    if util.nn(result.ok) then
      util.notify(('token %s works (%s, request-id %s)'):format(who, tostring(util.nn(result.status)), rid))
    else
      local d = require('aliasd.views.response').diag_text(result.diagnostic, nil)
      util.notify(('token %s failed (%s, request-id %s)%s'):format(who, tostring(util.nn(result.status) or 'no response'),
        rid, d and (': ' .. d) or ''), levels.WARN)
    end
    cb(nil, result)
  end)
end

--- Profile names, for completion (bounded by timeout_ms).
function M.names(timeout_ms)
  local result, err = session.request_sync('alias/token/list', vim.empty_dict(), timeout_ms)
  if err then
    return {}
  end
  local names = {}
  for _, t in ipairs(util.nn((util.nn(result) or {}).tokens) or {}) do
    table.insert(names, util.nn(t.name))
  end
  return names
end

return M
