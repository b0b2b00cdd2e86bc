-- Responses of :Aliasd call and :Aliasd paginate in scratch JSON buffers.
-- The buffer holds only the JSON (so JSON tools work on it); status, time
-- and request ID are in the buffer name, in b:aliasd and, from Neovim 0.8,
-- in the winbar.
local session = require('aliasd.session')
local config = require('aliasd.config')
local util = require('aliasd.util')

local M = {}

local levels = vim.log.levels
local counter = 0

local has_winbar = vim.fn.exists('+winbar') == 1

local function find_window()
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    local ok, mark = pcall(vim.api.nvim_buf_get_var, vim.api.nvim_win_get_buf(win), 'aliasd_response')
    if ok and mark then
      return win
    end
  end
  return nil
end

---@class aliasd.ResponseMeta
---@field title string     short line: "200 GET /api/v1/catalog 12ms <request-id>"
---@field winbar string  plain text for the winbar (Neovim 0.8+)
---@field info table       stored in b:aliasd

--- Show decoded JSON in a new scratch buffer; returns the buffer.
---@param value any
---@param meta aliasd.ResponseMeta
function M.show(value, meta)
  counter = counter + 1
  local name = ('aliasd://%d %s'):format(counter, meta.title)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  local lines
  local ft = 'json'
  if type(value) == 'string' then
    lines = vim.split(value, '\n', { plain = true })
    ft = 'text'
  else
    lines = util.json_lines(value)
  end
  util.set_lines(buf, lines)
  vim.bo[buf].filetype = ft
  vim.bo[buf].modifiable = false
  vim.api.nvim_buf_set_var(buf, 'aliasd_response', true)
  vim.api.nvim_buf_set_var(buf, 'aliasd', meta.info)
  vim.api.nvim_buf_set_var(buf, 'aliasd_winbar', meta.winbar)

  local win = config.options.response.reuse_window and find_window() or nil
  if win then
    vim.api.nvim_set_current_win(win)
    vim.api.nvim_win_set_buf(win, buf)
  else
    win = util.open_buffer(buf, config.options.response.open)
  end
  if has_winbar then
    -- The winbar reads the shown buffer's variable, so it never goes stale
    -- when the window later shows something else.
    vim.wo[win].winbar = "%{get(b:, 'aliasd_winbar', '')}"
  end
  return buf
end

local function diag_text(diag, err)
  diag = util.nn(diag)
  err = util.nn(err)
  if diag then
    local s = util.nn(diag.title) or ''
    local hint = util.nn(diag.hint)
    if hint and hint ~= '' then
      s = s .. ' - ' .. hint
    end
    return s
  end
  if err then
    return ('%s: %s'):format(util.nn(err.codeName) or tostring(util.nn(err.code)), util.nn(err.message) or '')
  end
  return nil
end
M.diag_text = diag_text

local function status_text(status)
  status = util.nn(status) or 0
  if status == 0 then
    return 'ERR'
  end
  return tostring(status)
end
M.status_text = status_text

--- Make one API call (alias/request) and show its body.
---@param req {method: string, path: string, query: table|nil, body: any, profile: string|nil, cache: string|nil}
---@param cb fun(err: table|nil, result: table|nil, buf: integer|nil)|nil
function M.call(req, cb)
  cb = cb or function() end
  local params = {
    method = req.method:upper(),
    path = util.api_path(req.path),
    profile = req.profile,
    cache = req.cache,
  }
  if req.query and next(req.query) then
    params.query = req.query
  end
  if req.body ~= nil then
    params.body = req.body
  end
  local target = params.method .. ' ' .. params.path
  return session.request('alias/request', params, function(err, result)
    if err then
      util.notify(target .. ' failed: ' .. util.rpc_error(err), levels.ERROR)
      cb(err, nil, nil)
      return
    end
    result = util.nn(result) or {}
    local status = status_text(result.status)
    local rid = util.nn(result.requestId) or ''
    local ms = math.floor((util.nn(result.durationMs) or 0) + 0.5)
    local cache = util.nn(result.cache) or ''
    local info = {
      method = params.method,
      path = params.path,
      query = params.query and util.query_string(params.query) or '',
      status = util.nn(result.status) or 0,
      requestId = rid,
      durationMs = util.nn(result.durationMs) or 0,
      cache = cache,
      historyId = util.nn(result.historyId) or '',
    }
    local title = ('%s %s %s %dms %s'):format(status, params.method, params.path, ms, rid)
    local winbar = ('%s %s %s · %d ms · cache %s · request-id %s'):format(status, params.method, params.path, ms, cache, rid)
    local body = util.nn(result.body)
    local buf = M.show(body == nil and vim.NIL or body, { title = title, winbar = winbar, info = info })
    local diag = diag_text(result.diagnostic, result.error)
    local summary = ('%s %s %s in %d ms (%s), request-id %s'):format(status, params.method, params.path, ms, cache, rid)
    if (util.nn(result.status) or 0) >= 400 or (util.nn(result.status) or 0) == 0 then
      util.notify(summary .. (diag and (': ' .. diag) or ''), levels.WARN)
    else
      util.notify(summary)
    end
    cb(nil, result, buf)
  end)
end

local progress_token = 0

--- Walk the pages of a list endpoint (alias/paginate) with $/progress.
---@param req {path: string, query: table|nil, maxPages: integer|nil, maxItems: integer|nil, profile: string|nil}
---@param cb fun(err: table|nil, result: table|nil, buf: integer|nil)|nil
function M.paginate(req, cb)
  cb = cb or function() end
  require('aliasd.views.progress').attach()
  progress_token = progress_token + 1
  local params = {
    path = util.api_path(req.path),
    maxPages = req.maxPages,
    maxItems = req.maxItems,
    profile = req.profile,
    workDoneToken = ('aliasd.nvim/paginate/%d'):format(progress_token),
  }
  if req.query and next(req.query) then
    params.query = req.query
  end
  return session.request('alias/paginate', params, function(err, result)
    if err then
      util.notify('paginate ' .. params.path .. ' failed: ' .. util.rpc_error(err), levels.ERROR)
      cb(err, nil, nil)
      return
    end
    result = util.nn(result) or {}
    local items = util.nn(result.items) or {}
    local pages = util.nn(result.pages) or 0
    local rids = util.nn(result.requestIds) or {}
    local truncated = util.nn(result.truncated) and ' (truncated)' or ''
    local info = {
      path = params.path,
      pages = pages,
      items = #items,
      requestIds = rids,
      truncated = util.nn(result.truncated) or false,
      status = util.nn(result.status) or 0,
    }
    local title = ('PAGINATE %s %d pages %d items%s'):format(params.path, pages, #items, truncated)
    local winbar = ('%d pages %s · %d items%s · last request-id %s'):format(pages, params.path, #items, truncated,
      rids[#rids] or '')
    local buf = M.show(items, { title = title, winbar = winbar, info = info })
    local diag = diag_text(result.diagnostic, result.error)
    local summary = ('%s: %d items from %d pages%s'):format(params.path, #items, pages, truncated)
    local st = util.nn(result.status) or 0
    if util.nn(result.error) or st == 0 or st >= 400 then
      util.notify(('%s; stopped at %s: %s'):format(summary, status_text(st), diag or '?'), levels.WARN)
    elseif diag then
      util.notify(summary .. ': ' .. diag)
    else
      util.notify(summary)
    end
    cb(nil, result, buf)
  end)
end

return M
