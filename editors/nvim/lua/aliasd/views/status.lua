-- :Aliasd status: alias/status as a few lines of text.
local session = require('aliasd.session')
local util = require('aliasd.util')

local M = {}

--- Lines describing an alias/status result.
---@param st table
---@return string[]
function M.lines(st)
  local g = function(k)
    return util.nn(st[k])
  end
  local lines = {}
  local mode = g('mode') or '?'
  local head = ('aliasd %s, protocol %s, API %s, %s daemon'):format(
    g('version') or '?', tostring(g('protocolVersion') or '?'), g('apiVersion') or '?', mode)
  if g('pid') then
    head = head .. (' (pid %d'):format(g('pid'))
    if g('sessions') then
      head = head .. (', %d sessions'):format(g('sessions'))
    end
    head = head .. ')'
  end
  table.insert(lines, head)
  table.insert(lines, 'base URL:      ' .. (g('baseUrl') or '?'))
  local profile = g('profile')
  if profile and profile ~= '' then
    local fp = g('fingerprint')
    table.insert(lines, 'profile:       ' .. profile .. (fp and fp ~= '' and (' (' .. fp .. ')') or ''))
  else
    table.insert(lines, 'profile:       none (add one with :Aliasd token add NAME)')
  end
  table.insert(lines, 'token storage: ' .. (g('tokenStorage') or '?'))
  table.insert(lines, 'data dir:      ' .. (g('dataDir') or '?'))
  if g('configFile') then
    table.insert(lines, 'config file:   ' .. g('configFile'))
  end
  for _, gov in ipairs(g('governors') or {}) do
    gov = util.nn(gov) or {}
    local s = ('rate governor: %s %.2f/s burst %s'):format(util.nn(gov.fingerprint) or '?', util.nn(gov.rate) or 0,
      tostring(util.nn(gov.burst) or '?'))
    if util.nn(gov.limited) then
      s = s .. ' LIMITED' .. (util.nn(gov.reason) and (': ' .. gov.reason) or '')
    end
    table.insert(lines, s)
  end
  for _, w in ipairs(g('warnings') or {}) do
    table.insert(lines, 'warning: ' .. tostring(w))
  end
  return lines
end

--- Ask alias/status and echo it; cb(err, result, lines).
function M.show(cb)
  cb = cb or function() end
  return session.request('alias/status', vim.empty_dict(), function(err, result)
    if err then
      util.notify('status failed: ' .. util.rpc_error(err), vim.log.levels.ERROR)
      cb(err, nil, nil)
      return
    end
    local lines = M.lines(util.nn(result) or {})
    local chunks = {}
    for i, l in ipairs(lines) do
      table.insert(chunks, { l .. (i < #lines and '\n' or ''), i == 1 and 'Title' or 'Normal' })
    end
    vim.api.nvim_echo(chunks, true, {})
    cb(nil, result, lines)
  end)
end

return M
