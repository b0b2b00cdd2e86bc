-- :Aliasd history: one line per recorded call, newest first, updated live
-- from alias/history/appended. Line 1 is a header; entries follow.
local session = require('aliasd.session')
local config = require('aliasd.config')
local util = require('aliasd.util')
local response = require('aliasd.views.response')

local M = {}

local levels = vim.log.levels
local NAME = 'aliasd://history'
local ns = vim.api.nvim_create_namespace('aliasd_history')

---@class aliasd.HistoryView
---@field buf integer
---@field entries table[]         newest first
---@field ids table<string, boolean>
---@field next string|nil         cursor of the next page
---@field filter {errorsOnly: boolean, status: string|nil, path: string|nil}
---@field error string|nil        last load error, shown in place of entries
---@field loading boolean
---@field unsubscribe fun()|nil
---@field timer any

-- views maps a buffer number to its view. Only the main loop touches it.
---@type table<integer, aliasd.HistoryView>
local views = {}

--- The daemon's path filter form: "/catalog", "catalog" or
--- "/api/v1/catalog?x" all become "/api/v1/catalog".
function M.normalize_path(p)
  p = vim.trim(p or ''):gsub('[?#].*$', '')
  if p == '' then
    return nil
  end
  return util.api_path(p)
end

--- Whether an entry is an error the way the daemon counts them: no
--- response, a 4xx/5xx, or a diagnostic of severity error.
function M.is_error(e)
  local status = util.nn(e.status) or 0
  local diag = util.nn(e.diagnostic)
  return status == 0 or status >= 400 or (diag ~= nil and util.nn(diag.severity) == 'error')
end

--- Whether an entry passes the view's filters: the same rules the daemon
--- applies to alias/history/list, for entries that arrive live.
function M.matches(filter, e)
  local status = util.nn(e.status) or 0
  if filter.errorsOnly and not M.is_error(e) then
    return false
  end
  local want = filter.status
  if want and want ~= '' then
    local class = want:match('^(%d)[xX][xX]$')
    if class then
      if math.floor(status / 100) ~= tonumber(class) then
        return false
      end
    elseif tostring(status) ~= want then
      return false
    end
  end
  local prefix = filter.path and M.normalize_path(filter.path)
  if prefix then
    local path = M.normalize_path(util.nn(e.path) or '') or ''
    if path:sub(1, #prefix) ~= prefix then
      return false
    end
  end
  return true
end

local function status_hl(status)
  status = status or 0
  if status == 0 or status >= 500 then
    return 'ErrorMsg'
  elseif status >= 400 then
    return 'WarningMsg'
  elseif status >= 300 then
    return 'Special'
  end
  return 'String'
end

local function header(view)
  local km = config.options.history.keymaps
  local parts = { ('aliasd history: %d entries'):format(#view.entries) }
  local f = view.filter
  if f.errorsOnly then
    table.insert(parts, '[errors]')
  end
  if f.status and f.status ~= '' then
    table.insert(parts, '[status ' .. f.status .. ']')
  end
  if f.path and f.path ~= '' then
    table.insert(parts, '[path ' .. f.path .. ']')
  end
  if view.next then
    table.insert(parts, '[more: ' .. (km.more or '-') .. ']')
  end
  local keys = {}
  for _, k in ipairs({
    { 'details', 'details' }, { 'yank', 'yank id' }, { 'rerun', 're-run' }, { 'errors', 'errors' },
    { 'status', 'status' }, { 'path', 'path' }, { 'refresh', 'refresh' }, { 'close', 'close' },
  }) do
    if km[k[1]] then
      table.insert(keys, km[k[1]] .. ' ' .. k[2])
    end
  end
  return table.concat(parts, ' ') .. '  (' .. table.concat(keys, ', ') .. ')'
end

--- The text of one entry's line and its highlight spans.
---@return string, table[]
function M.format(e, path_width, now)
  local rel = util.relative(util.parse_time(util.nn(e.time)), now)
  local status = util.nn(e.status) or 0
  local rid = util.nn(e.requestId) or ''
  if rid == '' then
    rid = '-'
  end
  local title = ''
  local diag = util.nn(e.diagnostic)
  if diag then
    title = util.nn(diag.title) or ''
  elseif util.nn(e.error) then
    title = util.nn(e.error.message) or ''
  end
  local path = util.nn(e.path) or '?'
  local pw = math.max(path_width, #path)
  local cols = {
    { ('%7s'):format(rel), 'Comment' },
    { ('%3s'):format(response.status_text(status)), status_hl(status) },
    { ('%-6s'):format(util.nn(e.method) or '?'), 'Statement' },
    { path .. string.rep(' ', pw - #path), 'Directory' },
    { rid, 'Identifier' },
    { title, (status >= 400 or status == 0) and 'WarningMsg' or 'Normal' },
  }
  local text, hls, col = '', {}, 0
  for i, c in ipairs(cols) do
    if i > 1 then
      text = text .. '  '
      col = col + 2
    end
    table.insert(hls, { c[2], col, col + #c[1] })
    text = text .. c[1]
    col = col + #c[1]
  end
  return (text:gsub('%s+$', '')), hls
end

local function entry_line(view, id)
  for i, e in ipairs(view.entries) do
    if e.id == id then
      return i + 1
    end
  end
  return nil
end

local function render(view)
  local buf = view.buf
  if not vim.api.nvim_buf_is_valid(buf) then
    return
  end
  -- Keep the cursor on the entry it was on.
  local wins = vim.fn.win_findbuf(buf)
  local keep = {}
  for _, win in ipairs(wins) do
    local row = vim.api.nvim_win_get_cursor(win)[1]
    local e = view.entries_shown and view.entries_shown[row - 1]
    keep[win] = { id = e and e.id, row = row }
  end
  local width = 0
  for _, e in ipairs(view.entries) do
    width = math.max(width, math.min(#(util.nn(e.path) or ''), 48))
  end
  local lines, all_hls = { header(view) }, {}
  local now = os.time()
  if view.error then
    table.insert(lines, 'error: ' .. view.error)
  elseif #view.entries == 0 then
    table.insert(lines, view.loading and 'loading...' or 'no calls recorded yet')
  end
  for _, e in ipairs(view.entries) do
    local text, hls = M.format(e, width, now)
    table.insert(lines, text)
    all_hls[#lines] = hls
  end
  util.set_lines(buf, lines)
  view.entries_shown = vim.list_slice(view.entries, 1)
  vim.api.nvim_buf_clear_namespace(buf, ns, 0, -1)
  -- Extmarks rather than nvim_buf_add_highlight (deprecated in 0.11).
  vim.api.nvim_buf_set_extmark(buf, ns, 0, 0, { end_col = #lines[1], hl_group = 'Title' })
  for lnum, hls in pairs(all_hls) do
    local len = #lines[lnum]
    for _, h in ipairs(hls) do
      local s, e = math.min(h[2], len), math.min(h[3], len)
      if e > s then
        vim.api.nvim_buf_set_extmark(buf, ns, lnum - 1, s, { end_col = e, hl_group = h[1] })
      end
    end
  end
  for win, k in pairs(keep) do
    if vim.api.nvim_win_is_valid(win) then
      local row = (k.id and entry_line(view, k.id)) or math.min(k.row, #lines)
      pcall(vim.api.nvim_win_set_cursor, win, { row, 0 })
    end
  end
end

local function list_params(view, cursor)
  local f = view.filter
  local p = { limit = config.options.history.page_size, cursor = cursor }
  if f.errorsOnly then
    p.errorsOnly = true
  end
  if f.status and f.status ~= '' then
    p.status = f.status
  end
  if f.path and f.path ~= '' then
    p.path = f.path
  end
  return p
end

local function add_entries(view, entries, at_end)
  for _, e in ipairs(entries) do
    e = util.nn(e)
    if e and e.id and not view.ids[e.id] then
      view.ids[e.id] = true
      if at_end then
        table.insert(view.entries, e)
      else
        table.insert(view.entries, 1, e)
      end
    end
  end
end

--- Load the first page (or, with more = true, the next one).
function M.load(view, more, cb)
  cb = cb or function() end
  if more and not view.next then
    util.notify('no more history entries')
    return cb(nil)
  end
  if not more then
    view.entries, view.ids, view.next = {}, {}, nil
  end
  view.loading = true
  view.error = nil
  view.load_gen = (view.load_gen or 0) + 1
  local gen = view.load_gen
  render(view)
  session.request('alias/history/list', list_params(view, more and view.next or nil), function(err, result)
    if gen ~= view.load_gen then
      return -- a newer load (other filters) replaced this one
    end
    view.loading = false
    if err then
      view.error = util.rpc_error(err)
      render(view)
      return cb(err)
    end
    result = util.nn(result) or {}
    add_entries(view, util.nn(result.entries) or {}, true)
    local nxt = util.nn(result.next)
    view.next = (nxt and nxt ~= '') and nxt or nil
    render(view)
    cb(nil)
  end)
end

--- The entry on the cursor line of the current window, or nil.
function M.entry_at_cursor(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  local view = views[buf]
  if not view then
    return nil
  end
  local row = vim.api.nvim_win_get_cursor(0)[1]
  return (view.entries_shown or {})[row - 1]
end

local function on_appended(view, params)
  local e = util.nn(util.nn(params).entry)
  if not e or not vim.api.nvim_buf_is_valid(view.buf) then
    return
  end
  if not M.matches(view.filter, e) then
    return
  end
  add_entries(view, { e }, false)
  render(view)
end

--- Fetch one entry whole (alias/history/get) and pass it to on_detail; a
--- failure is reported and given to cb.
local function get_detail(e, cb, on_detail)
  session.request('alias/history/get', { id = e.id }, function(err, d)
    if err then
      util.notify('history get failed: ' .. util.rpc_error(err), levels.ERROR)
      return cb(err)
    end
    on_detail(util.nn(d) or {})
  end)
end

--- Show one entry's request and response (alias/history/get) in a scratch buffer.
function M.details(e, cb)
  cb = cb or function() end
  get_detail(e, cb, function(d)
    local lines = M.detail_lines(d)
    local buf = util.scratch('aliasd://history/' .. tostring(e.id), 'aliasd-detail')
    vim.bo[buf].bufhidden = 'wipe'
    util.set_lines(buf, lines)
    vim.bo[buf].modifiable = false
    util.open_buffer(buf, 'split')
    cb(nil, buf)
  end)
end

local function message_lines(lines, label, m)
  m = util.nn(m) or {}
  local headers = util.nn(m.headers) or {}
  local names = vim.tbl_keys(headers)
  table.sort(names)
  if #names > 0 then
    table.insert(lines, '')
    table.insert(lines, '## ' .. label .. ' headers')
    for _, k in ipairs(names) do
      table.insert(lines, k .. ': ' .. tostring(util.nn(headers[k])))
    end
  end
  local body = util.nn(m.body)
  if body and body ~= '' then
    table.insert(lines, '')
    local size = util.nn(m.size)
    table.insert(lines, ('## %s body (%s bytes%s)'):format(label, tostring(size or #body),
      util.nn(m.truncated) and ', truncated' or ''))
    local ok, decoded = pcall(vim.json.decode, body)
    if ok and type(decoded) == 'table' then
      vim.list_extend(lines, util.json_lines(decoded))
    else
      vim.list_extend(lines, vim.split(body, '\n', { plain = true }))
    end
  end
end

--- The text of a history detail (rpc.HistoryDetail).
function M.detail_lines(d)
  local g = function(k)
    return util.nn(d[k])
  end
  local target = (g('method') or '?') .. ' ' .. (g('path') or '?')
  if g('query') and g('query') ~= '' then
    target = target .. '?' .. g('query')
  end
  local lines = { target, '' }
  local function field(name, value)
    if value ~= nil and value ~= '' then
      table.insert(lines, ('%-12s%s'):format(name, tostring(value)))
    end
  end
  field('status', response.status_text(g('status')))
  field('request-id', g('requestId'))
  local rids = g('requestIds') or {}
  if #rids > 1 then
    field('attempts', table.concat(rids, ', '))
  end
  local t = util.parse_time(g('time'))
  field('time', g('time') and (g('time') .. ' (' .. util.relative(t) .. ')'))
  field('duration', g('durationMs') and (('%d ms'):format(math.floor(g('durationMs') + 0.5))))
  field('cache', g('cache'))
  local fp = g('fingerprint')
  field('profile', g('profile') and (g('profile') .. ((fp and fp ~= '') and (' (' .. fp .. ')') or '')))
  field('client', g('client'))
  field('history-id', g('id'))
  local err = g('error')
  if err then
    field('error', ('%s %s: %s'):format(tostring(util.nn(err.code)), util.nn(err.codeName) or '', util.nn(err.message) or ''))
  end
  local diag = g('diagnostic')
  if diag then
    field('diagnostic', ('[%s] %s'):format(util.nn(diag.severity) or '?', util.nn(diag.title) or ''))
    for _, l in ipairs(vim.split(util.nn(diag.detail) or '', '\n', { plain = true })) do
      if l ~= '' then
        table.insert(lines, string.rep(' ', 12) .. l)
      end
    end
    field('hint', util.nn(diag.hint))
  end
  message_lines(lines, 'request', g('request'))
  message_lines(lines, 'response', g('response'))
  return lines
end

--- Run an entry's request again (with the active token).
function M.rerun(e, cb)
  cb = cb or function() end
  local method = (util.nn(e.method) or 'GET'):upper()
  if method ~= 'GET' and method ~= 'HEAD' then
    local choice = vim.fn.confirm(('Run %s %s again?'):format(method, e.path), '&Yes\n&No', 2)
    if choice ~= 1 then
      return cb({ message = 'cancelled' })
    end
  end
  get_detail(e, cb, function(d)
    -- no-cache: a re-run asks the API again (a fresh answer may still be
    -- a 304 revalidation), it does not replay the cached answer.
    local req = { method = method, path = e.path, query = util.query_map(util.nn(e.query)), cache = 'no-cache' }
    local body = util.nn((util.nn(d.request) or {}).body)
    if body and body ~= '' then
      local ok, decoded = pcall(vim.json.decode, body)
      if ok then
        req.body = decoded
      end
    end
    response.call(req, cb)
  end)
end

--- Yank the request ID into the unnamed register and, when a clipboard is
--- available, the "+" register.
function M.yank(e)
  local rid = util.nn(e.requestId) or ''
  if rid == '' then
    util.notify('this entry has no request ID', levels.WARN)
    return nil
  end
  vim.fn.setreg('"', rid)
  local regs = 'the unnamed register'
  if vim.fn.has('clipboard') == 1 then
    if pcall(vim.fn.setreg, '+', rid) then
      regs = 'the unnamed and + registers'
    end
  end
  util.notify(('yanked request ID %s into %s'):format(rid, regs))
  return rid
end

local function set_filter(view, key, value)
  view.filter[key] = value
  M.load(view, false)
end

local function close(buf)
  if #vim.api.nvim_tabpage_list_wins(0) > 1 then
    vim.cmd('close')
  else
    vim.api.nvim_buf_delete(buf, { force = true })
  end
end

local function map_keys(view)
  local km = config.options.history.keymaps
  local buf = view.buf
  local function map(key, desc, fn)
    if key then
      vim.keymap.set('n', key, fn, { buffer = buf, nowait = true, silent = true, desc = 'aliasd: ' .. desc })
    end
  end
  local function with_entry(fn)
    return function()
      local e = M.entry_at_cursor(buf)
      if e then
        fn(e)
      end
    end
  end
  map(km.details, 'open entry details', with_entry(M.details))
  map(km.yank, 'yank request ID', with_entry(M.yank))
  map(km.rerun, 're-run request', with_entry(M.rerun))
  map(km.errors, 'toggle errors only', function()
    set_filter(view, 'errorsOnly', not view.filter.errorsOnly)
  end)
  map(km.status, 'filter by status', function()
    vim.ui.select({ 'all', '2xx', '3xx', '4xx', '5xx' }, { prompt = 'aliasd history: status' }, function(choice)
      if choice then
        set_filter(view, 'status', choice ~= 'all' and choice or nil)
      end
    end)
  end)
  map(km.path, 'filter by path', function()
    vim.ui.input({ prompt = 'aliasd history: path starts with ', default = view.filter.path or '' }, function(input)
      if input then
        set_filter(view, 'path', M.normalize_path(input))
      end
    end)
  end)
  map(km.refresh, 'refresh', function()
    M.load(view, false)
  end)
  map(km.more, 'load more', function()
    M.load(view, true)
  end)
  map(km.close, 'close', function()
    close(buf)
  end)
end

local function start_timer(view)
  local ms = config.options.history.refresh_ms
  if ms <= 0 then
    return
  end
  local uv = vim.uv or vim.loop
  view.timer = uv.new_timer()
  view.timer:start(ms, ms, vim.schedule_wrap(function()
    if views[view.buf] and vim.fn.bufwinnr(view.buf) ~= -1 then
      render(view)
    end
  end))
end

local function dispose(buf)
  local view = views[buf]
  views[buf] = nil
  if not view then
    return
  end
  if view.unsubscribe then
    view.unsubscribe()
  end
  if view.timer then
    view.timer:stop()
    view.timer:close()
  end
end

--- Open (or focus and reload) the history buffer.
---@param filter {errorsOnly: boolean|nil, status: string|nil, path: string|nil}|nil
---@return integer buf
function M.open(filter)
  filter = filter or {}
  local buf = util.find_buffer(NAME)
  local view = buf and views[buf]
  if not view then
    buf = util.scratch(NAME, 'aliasd-history')
    vim.bo[buf].bufhidden = 'wipe'
    vim.bo[buf].modifiable = false
    view = { buf = buf, entries = {}, ids = {}, filter = {} }
    views[buf] = view
    map_keys(view)
    view.unsubscribe = session.on('alias/history/appended', function(params)
      on_appended(view, params)
    end)
    start_timer(view)
    vim.api.nvim_create_autocmd('BufWipeout', {
      buffer = buf,
      once = true,
      callback = function()
        dispose(buf)
      end,
    })
  end
  view.filter = {
    errorsOnly = filter.errorsOnly or false,
    status = filter.status,
    path = M.normalize_path(filter.path),
  }
  local wins = vim.fn.win_findbuf(buf)
  local here = false
  for _, w in ipairs(wins) do
    if vim.api.nvim_win_get_tabpage(w) == vim.api.nvim_get_current_tabpage() then
      vim.api.nvim_set_current_win(w)
      here = true
      break
    end
  end
  if not here then
    util.open_buffer(buf, config.options.history.open)
  end
  vim.wo.wrap = false
  vim.wo.cursorline = true
  M.load(view)
  return buf
end

--- The view of a history buffer (for tests and statuslines).
function M.view(buf)
  return views[buf or vim.api.nvim_get_current_buf()]
end

return M
