-- The session: handshake, :Aliasd status, completion from the daemon,
-- window/showMessage, restart after a crash, give-up after repeated crashes.
local uv = vim.uv or vim.loop
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

H.run('session', function()
  H.load_plugin()
  local log = H.capture_notify()
  local aliasd = require('aliasd')
  local session = require('aliasd.session')
  aliasd.setup(H.setup_opts())

  H.out('## handshake and :Aliasd status')
  local lines
  aliasd.status(function(_, _, l)
    lines = l
  end)
  H.wait('status', function()
    return lines
  end)
  local st = session.state()
  H.eq(st.phase, 'ready', 'session phase')
  H.eq(st.info.protocolVersion, 1, 'protocol version')
  H.eq(st.info.serverInfo.name, 'aliasd', 'serverInfo.name')
  local text = table.concat(lines, '\n')
  H.contains(text, 'protocol 1', 'status')
  H.contains(text, 'base URL:      ' .. vim.env.ALIASD_BASE_URL, 'status')
  H.contains(text, 'token storage: file', 'status')
  H.contains(text, 'data dir:      ' .. vim.env.ALIASD_HOME, 'status')
  H.contains(vim.fn.execute('messages'), 'base URL:', ':messages after status')
  local status = H.record_daemon_pid()
  H.ok(status.pid and status.pid > 0, 'alias/status pid')

  H.out('## a crash restarts the bridge')
  local pid = session.state().pid
  H.ok(pid and pid > 0, 'bridge pid')
  uv.kill(pid, 'sigkill')
  H.wait_notify(log, 'aliasd exited')
  H.wait('the bridge to come back', function()
    local s = session.state()
    return s.phase == 'ready' and s.pid ~= pid
  end)
  lines = nil
  aliasd.status(function(_, _, l)
    lines = l
  end)
  H.wait('status after the restart', function()
    return lines
  end)
  H.ok(true, 'status works after the restart')

  H.out('## repeated crashes: the plugin gives up and says so')
  aliasd.setup(vim.tbl_deep_extend('force', H.setup_opts(), { restart = { max = 1, window_ms = 60000 } }))
  H.cmd('Aliasd restart') -- forgets the crash above
  for i = 1, 2 do
    local before = session.state()
    if before.phase ~= 'ready' then
      H.request('alias/status')
      before = session.state()
    end
    uv.kill(before.pid, 'sigkill')
    H.wait('crash ' .. i .. ' to be noticed', function()
      return session.state().pid ~= before.pid
    end)
  end
  H.wait_notify(log, 'not restarting')
  local _, err = aliasd.request_sync('alias/status', vim.empty_dict(), 5000)
  H.ok(err and err.message:find('crashed too often', 1, true), 'a request after giving up fails: ' .. vim.inspect(err))
  H.cmd('Aliasd restart')
  H.request('alias/status')
  H.ok(true, ':Aliasd restart starts it again')

  H.out('## :Aliasd log keeps the session events')
  H.cmd('Aliasd log')
  local logbuf = H.wait_buffer('^aliasd://log$')
  H.contains(table.concat(H.lines(logbuf), '\n'), 'exited: code', 'aliasd://log')

  H.out('## completion asks the daemon')
  H.add_token('work', assert(vim.env.ALIASD_TEST_TOKEN))
  H.add_token('spare', assert(vim.env.ALIASD_TEST_TOKEN_CATALOG))
  H.eq(vim.fn.getcompletion('Aliasd token use ', 'cmdline'), { 'spare', 'work' }, 'complete token names')
  H.eq(vim.fn.getcompletion('Aliasd token use w', 'cmdline'), { 'work' }, 'complete token names from "w"')
  local eps, eerr = aliasd.request_sync('alias/endpoints', vim.empty_dict(), 20000)
  if eerr then
    H.skip('endpoint completion', 'alias/endpoints: ' .. require('aliasd.util').rpc_error(eerr))
  elseif #(eps.endpoints or {}) == 0 then
    H.skip('endpoint completion', 'alias/endpoints returned no endpoints')
  else
    local paths = vim.fn.getcompletion('Aliasd call GET /cat', 'cmdline')
    H.eq(paths, { '/catalog', '/catalog/{id}' }, 'complete GET paths from "/cat"')
    paths = vim.fn.getcompletion('Aliasd call GET /api/v1/orders', 'cmdline')
    H.ok(vim.tbl_contains(paths, '/api/v1/orders/{id}'), 'complete full paths: ' .. table.concat(paths, ' '))
    H.eq(vim.fn.getcompletion('Aliasd call GET /catalog q', 'cmdline'), { 'query=' }, 'complete parameters of /catalog')
    H.eq(vim.fn.getcompletion('Aliasd call DELETE /listings/abc ', 'cmdline'), { '--body=', '--cache=', '--profile=' },
      'complete a DELETE with only path parameters')
    local enum = vim.fn.getcompletion('Aliasd call GET /pricing_insights/availability product_condition=', 'cmdline')
    H.ok(vim.tbl_contains(enum, 'product_condition=PRODUCT_CONDITION_NEW'), 'complete enum values: ' .. table.concat(enum, ' '))
    -- <Tab> on a real command line, with the bridge stopped: completion
    -- starts it, waits (bounded) and offers the paths.
    H.cmd('Aliasd stop')
    require('aliasd.commands').forget()
    _G.aliasd_test_grab = function()
      _G.aliasd_test_cmdline = vim.fn.getcmdline()
      return ''
    end
    local keys = vim.api.nvim_replace_termcodes(':Aliasd call GET /catalog/<Tab><C-\\>ev:lua.aliasd_test_grab()<CR><Esc>', true, false, true)
    vim.v.errmsg = ''
    vim.api.nvim_feedkeys(keys, 'tx', false)
    H.eq(_G.aliasd_test_cmdline, 'Aliasd call GET /catalog/{id}', 'command line after <Tab>')
    H.eq(vim.v.errmsg, '', 'v:errmsg after <Tab>')
    local pag = vim.fn.getcompletion('Aliasd paginate /l', 'cmdline')
    H.ok(vim.tbl_contains(pag, '/listings') and not vim.tbl_contains(pag, '/listings/{id}'),
      'complete paginated paths from "/l" (list endpoints only): ' .. table.concat(pag, ' '))
  end
end)
