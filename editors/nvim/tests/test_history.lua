-- :Aliasd history: the buffer's lines, the keys (y, e, s, p, <CR>, r, q)
-- and the live update after a call from another process.
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

local function call(method, path, query)
  local res = H.request('alias/request', { method = method, path = path, query = query })
  H.ok(type(res.requestId) == 'string' and res.requestId ~= '', ('%s %s answered %s with request-id %s'):format(
    method, path, tostring(res.status), tostring(res.requestId)))
  return res
end

local function entry_rows(buf)
  local rows = {}
  for i, l in ipairs(H.lines(buf)) do
    if i > 1 then
      table.insert(rows, l)
    end
  end
  return rows
end

local function wait_rows(buf, what, pred)
  return H.wait(what, function()
    local rows = entry_rows(buf)
    if pred(rows) then
      return rows
    end
    return nil
  end)
end

local function find_row(buf, needle)
  for i, l in ipairs(H.lines(buf)) do
    if i > 1 and l:find(needle, 1, true) then
      return i
    end
  end
  return nil
end

H.run('history', function()
  H.load_plugin()
  local log = H.capture_notify()
  local aliasd = require('aliasd')
  aliasd.setup(H.setup_opts())
  H.add_token('work', assert(vim.env.ALIASD_TEST_TOKEN))
  H.request('alias/token/use', { name = 'work' })
  H.record_daemon_pid()

  local ok_call = call('GET', '/api/v1/catalog', { query = 'dunk' })
  local missing = call('GET', '/api/v1/catalog/no-such-item-here')
  H.eq(missing.status, 404, 'status of the missing item')

  H.out('## the buffer lists both calls, newest first')
  H.cmd('Aliasd history')
  local buf = H.wait_buffer('^aliasd://history$')
  H.eq(vim.api.nvim_get_current_buf(), buf, 'current buffer')
  H.eq(vim.bo[buf].filetype, 'aliasd-history', 'history filetype')
  local rows = wait_rows(buf, 'two history rows', function(r)
    return #r >= 2 and r[1]:find(missing.requestId, 1, true)
  end)
  H.contains(H.lines(buf)[1], 'aliasd history: ', 'header line')
  local r404 = rows[1]
  H.ok(r404:match('^%s*%S+%s?%S*%s+404%s+GET%s+/api/v1/catalog/no%-such%-item%-here%s+'), 'row of the 404: ' .. r404)
  H.contains(r404, missing.requestId, 'row of the 404')
  if missing.diagnostic and missing.diagnostic.title then
    H.contains(r404, missing.diagnostic.title, 'row of the 404 (diagnostic title)')
  end
  H.ok(r404:match('^%s*now%s') or r404:match('^%s*%d+s ago%s'), 'row of the 404 starts with a relative time: ' .. r404)
  H.ok(rows[2]:match('^%s*%S+%s?%S*%s+200%s+GET%s+/api/v1/catalog%s+'), 'row of the 200: ' .. rows[2])
  H.contains(rows[2], ok_call.requestId, 'row of the 200')

  H.out('## y yanks the request ID')
  vim.fn.setreg('"', 'before')
  vim.api.nvim_win_set_cursor(0, { find_row(buf, ok_call.requestId), 0 })
  H.cmd('normal y')
  H.eq(vim.fn.getreg('"'), ok_call.requestId, 'unnamed register after y')
  if vim.fn.has('clipboard') == 1 then
    H.eq(vim.fn.getreg('+'), ok_call.requestId, '+ register after y')
  else
    H.out('  (no clipboard provider here: the + register is not written)')
  end
  H.wait_notify(log, 'yanked request ID ' .. ok_call.requestId)

  H.out('## e toggles errors only')
  H.cmd('normal e')
  wait_rows(buf, 'errors-only rows', function(r)
    return #r == 1 and r[1]:find(missing.requestId, 1, true)
  end)
  H.contains(H.lines(buf)[1], '[errors]', 'header with errors only')
  H.cmd('normal e')
  wait_rows(buf, 'all rows again', function(r)
    return #r >= 2
  end)

  H.out('## s filters by status class, p by path')
  local real_select, real_input = vim.ui.select, vim.ui.input
  local offered
  vim.ui.select = function(items, _, on_choice)
    offered = items
    on_choice('2xx')
  end
  H.cmd('normal s')
  H.eq(offered, { 'all', '2xx', '3xx', '4xx', '5xx' }, 'status choices')
  wait_rows(buf, 'rows of status 2xx', function(r)
    return #r >= 1 and r[1]:find(ok_call.requestId, 1, true) and not table.concat(r, '\n'):find(missing.requestId, 1, true)
  end)
  H.contains(H.lines(buf)[1], '[status 2xx]', 'header with status filter')
  vim.ui.select = function(_, _, on_choice)
    on_choice('all')
  end
  H.cmd('normal s')
  vim.ui.input = function(_, on_confirm)
    on_confirm('/catalog/no-such')
  end
  H.cmd('normal p')
  wait_rows(buf, 'rows of path /api/v1/catalog/no-such', function(r)
    return #r == 1 and r[1]:find(missing.requestId, 1, true)
  end)
  H.contains(H.lines(buf)[1], '[path /api/v1/catalog/no-such]', 'header with path filter')
  vim.ui.input = function(_, on_confirm)
    on_confirm('')
  end
  H.cmd('normal p')
  wait_rows(buf, 'all rows after clearing the path', function(r)
    return #r >= 2
  end)
  vim.ui.select, vim.ui.input = real_select, real_input

  H.out('## <CR> opens the details')
  vim.api.nvim_win_set_cursor(0, { find_row(buf, missing.requestId), 0 })
  H.cmd('execute "normal \\<CR>"')
  local dbuf = H.wait_buffer('^aliasd://history/')
  local dtext = table.concat(H.lines(dbuf), '\n')
  H.contains(dtext, 'GET /api/v1/catalog/no-such-item-here', 'details')
  H.contains(dtext, missing.requestId, 'details')
  H.ok(dtext:match('status%s+404'), 'details show status 404')
  H.contains(dtext, '## response body', 'details')
  vim.cmd('close')

  H.out('## r re-runs the request; the new call appears live')
  vim.api.nvim_set_current_win(vim.fn.win_findbuf(buf)[1])
  local before = #entry_rows(buf)
  vim.api.nvim_win_set_cursor(0, { find_row(buf, ok_call.requestId), 0 })
  H.cmd('normal r')
  local rbuf = H.wait_buffer('^aliasd://%d+ 200 GET /api/v1/catalog ')
  local rinfo = vim.api.nvim_buf_get_var(rbuf, 'aliasd')
  H.eq(rinfo.query, 'query=dunk', 're-run query')
  H.ok(rinfo.requestId ~= ok_call.requestId, 're-run got a new request ID')
  wait_rows(buf, 'the re-run in the history buffer', function(r)
    return #r == before + 1 and r[1]:find(rinfo.requestId, 1, true)
  end)

  H.out('## a call from another process appears live')
  local st = H.request('alias/status')
  local bin, env = vim.env.ALIASD_BIN, {
    ALIASD_HOME = vim.env.ALIASD_HOME,
    ALIASD_BASE_URL = vim.env.ALIASD_BASE_URL,
  }
  local out, code = {}, nil
  local job = vim.fn.jobstart({ bin, 'call', 'GET', '/api/v1/catalog', 'query=from-the-cli' }, {
    env = env,
    stderr_buffered = true,
    stdout_buffered = true,
    on_stderr = function(_, data)
      vim.list_extend(out, data)
    end,
    on_exit = function(_, c)
      code = c
    end,
  })
  H.ok(job > 0, 'started aliasd call')
  H.wait('aliasd call to exit', function()
    return code
  end, 60000)
  local stderr = table.concat(out, '\n')
  local cli_rid = stderr:match('request%-id: (%S+)')
  if code == 0 and cli_rid then
    H.ok(true, 'aliasd call printed request-id ' .. cli_rid)
    local row = wait_rows(buf, 'the CLI call in the history buffer', function(r)
      return r[1] and r[1]:find(cli_rid, 1, true)
    end)
    H.contains(row[1], '/api/v1/catalog', 'row of the CLI call')
  elseif st.mode == 'shared' then
    H.skip('live update from the CLI', ('aliasd call exited %s: %s'):format(tostring(code), stderr:sub(1, 200)))
    -- A second editor session on the same shared daemon must do.
    local rpc = require('aliasd.rpc')
    local notes = {}
    local other = assert(rpc.start({ cmd = { bin, 'stdio' }, env = env, on_notification = function(m_)
      table.insert(notes, m_)
    end }))
    local init, ierr = other:request_sync('initialize', { clientInfo = { name = 'second' }, capabilities = vim.empty_dict() }, 20000)
    H.ok(init and not ierr, 'second client initialized')
    other:notify('initialized', vim.empty_dict())
    local res = other:request_sync('alias/request', { method = 'GET', path = '/api/v1/catalog', query = { query = 'second' } }, 20000)
    H.ok(res and res.requestId, 'second client call')
    wait_rows(buf, 'the second client call in the history buffer', function(r)
      return r[1] and r[1]:find(res.requestId, 1, true)
    end)
    other:stop(2000)
  else
    H.skip('live update from another process', ('the daemon runs %s and aliasd call exited %s: %s'):format(
      tostring(st.mode), tostring(code), stderr:sub(1, 200)))
  end

  H.out('## q closes the buffer')
  vim.api.nvim_set_current_win(vim.fn.win_findbuf(buf)[1])
  H.cmd('normal q')
  H.eq(vim.api.nvim_buf_is_valid(buf), false, 'history buffer valid after q')
  H.eq(require('aliasd.views.history').view(buf), nil, 'history view state after q')
end)
