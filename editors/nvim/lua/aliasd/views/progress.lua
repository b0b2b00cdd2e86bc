-- $/progress (LSP work-done progress) from aliasd, shown with vim.notify or
-- echo as config.progress says.
local session = require('aliasd.session')
local config = require('aliasd.config')
local util = require('aliasd.util')

local M = {}

-- titles remembers each token's title from its "begin" step.
local titles = {}
local attached = false

--- Format one step as a message line, or nil for an unknown kind.
---@param token any
---@param value table
---@return string|nil
function M.format(token, value)
  value = util.nn(value) or {}
  local key = tostring(util.nn(token))
  if value.kind == 'begin' then
    titles[key] = util.nn(value.title) or 'working'
  end
  local title = titles[key] or util.nn(value.title) or 'working'
  local msg = util.nn(value.message)
  local pct = util.nn(value.percentage)
  local s = 'aliasd: ' .. title
  if value.kind == 'end' then
    titles[key] = nil
    return s .. ': ' .. (msg or 'done')
  elseif value.kind ~= 'begin' and value.kind ~= 'report' then
    return nil
  end
  if msg then
    s = s .. ': ' .. msg
  end
  if pct then
    s = s .. (' (%d%%)'):format(pct)
  end
  return s
end

function M.handle(params)
  local line = M.format(params.token, params.value)
  local mode = config.options.progress
  if not line or not mode then
    return
  end
  if mode == 'echo' then
    vim.api.nvim_echo({ { line } }, false, {})
  else
    vim.notify(line, vim.log.levels.INFO)
  end
end

--- Subscribe once to $/progress.
function M.attach()
  if attached then
    return
  end
  attached = true
  session.on('$/progress', M.handle)
end

return M
