-- :Aliasd errors: failed calls from the history in the quickfix list.
local session = require('aliasd.session')
local config = require('aliasd.config')
local util = require('aliasd.util')
local response = require('aliasd.views.response')

local M = {}

local qf_types = { error = 'E', warning = 'W', info = 'I' }

--- One quickfix item for a history entry.
---@param e table  rpc.HistoryEntry
function M.item(e)
  local diag = util.nn(e.diagnostic)
  local parts = { response.status_text(e.status), util.nn(e.method) or '?', util.nn(e.path) or '?' }
  local text = table.concat(parts, ' ')
  local d = response.diag_text(e.diagnostic, e.error)
  if d then
    text = text .. ': ' .. d
  end
  local rid = util.nn(e.requestId)
  text = text .. ' [request-id ' .. ((rid and rid ~= '') and rid or '-') .. ']'
  local t = util.parse_time(util.nn(e.time))
  if t then
    text = text .. ' ' .. util.relative(t)
  end
  return {
    text = text,
    type = diag and qf_types[util.nn(diag.severity)] or 'E',
    valid = 0,
  }
end

--- Fetch failed calls and fill the quickfix list; cb(err, items).
function M.fill(cb)
  cb = cb or function() end
  local params = { errorsOnly = true, limit = config.options.history.page_size }
  return session.request('alias/history/list', params, function(err, result)
    if err then
      util.notify('errors: ' .. util.rpc_error(err), vim.log.levels.ERROR)
      cb(err, nil)
      return
    end
    local items = {}
    for _, e in ipairs(util.nn((util.nn(result) or {}).entries) or {}) do
      table.insert(items, M.item(e))
    end
    vim.fn.setqflist({}, ' ', { title = 'aliasd errors', items = items })
    if #items == 0 then
      util.notify('no failed calls in the history')
    else
      vim.cmd('copen')
    end
    cb(nil, items)
  end)
end

return M
