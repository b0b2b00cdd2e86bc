-- Protocol cases the real daemon does not produce, against the fake in
-- fake_server.sh: a protocol version mismatch, window/showMessage,
-- window/logMessage, a garbage frame, server -> client requests.
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

local fake = vim.env.ALIASD_NVIM_TESTS .. '/fake_server.sh'

local function frames(path)
  local out = {}
  for line in (H.read(path) or ''):gmatch('[^\n]+') do
    local ok, msg = pcall(vim.json.decode, line)
    if ok then
      table.insert(out, msg)
    end
  end
  return out
end

H.run('protocol', function()
  H.load_plugin()
  local log = H.capture_notify()
  local aliasd = require('aliasd')
  local session = require('aliasd.session')
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')

  H.out('## a daemon speaking protocol 2 is refused with a clear message')
  local v2log = dir .. '/v2.log'
  aliasd.setup({ cmd = { 'bash', fake }, env = { FAKE_MODE = 'version2', FAKE_LOG = v2log } })
  local _, err = aliasd.request_sync('alias/status', vim.empty_dict(), 10000)
  H.ok(err ~= nil, 'alias/status fails against protocol 2')
  H.contains(err.message, 'aliasd speaks protocol 2, this plugin speaks 1', 'error of the request')
  H.wait_notify(log, 'aliasd speaks protocol 2')
  local sent = frames(v2log)
  H.eq(sent[1].method, 'initialize', 'first frame sent')
  H.eq(sent[1].params.clientInfo.name, 'neovim', 'initialize clientInfo.name')
  H.ok(type(sent[1].params.processId) == 'number', 'initialize processId is a number')
  for _, f in ipairs(sent) do
    H.ok(f.method ~= 'alias/status', 'no alias/status reached a daemon of another protocol (' .. tostring(f.method) .. ')')
  end
  H.wait('the refused bridge to end', function()
    return session.state().pid == nil
  end)

  H.out('## messages, a garbage frame and server requests from a chatty daemon')
  local chatlog = dir .. '/chatty.log'
  aliasd.setup({ cmd = { 'bash', fake }, env = { FAKE_MODE = 'chatty', FAKE_LOG = chatlog } })
  local st = H.request('alias/status', vim.empty_dict(), 10000)
  H.eq(st.baseUrl, 'http://fake', 'alias/status from the fake')
  local m = H.wait_notify(log, 'fake warning shown')
  H.eq(m.level, vim.log.levels.WARN, 'window/showMessage type 2 level')
  H.wait('window/logMessage in the session log', function()
    return table.concat(session.log_lines(), '\n'):find('daemon: fake log line', 1, true)
  end)
  H.wait('the garbage frame in the session log', function()
    return table.concat(session.log_lines(), '\n'):find('protocol error: frame body is not a JSON object', 1, true)
  end)
  local answers = H.wait('answers to both server requests', function()
    local got = {}
    for _, f in ipairs(frames(chatlog)) do
      if f.id == 'srv-1' or f.id == 'srv-2' then
        got[f.id] = f
      end
    end
    if got['srv-1'] and got['srv-2'] then
      return got
    end
    return nil
  end)
  H.eq(answers['srv-1'].result, vim.NIL, 'answer to window/workDoneProgress/create')
  H.eq(answers['srv-2'].error.code, -32601, 'answer to an unknown server request')
  -- The session survived all of it.
  st = H.request('alias/status', vim.empty_dict(), 10000)
  H.eq(st.mode, 'standalone', 'alias/status after the chatter')
  H.eq(session.state().phase, 'ready', 'session phase after the chatter')

  H.out('## shutdown and exit on stop')
  H.cmd('Aliasd stop')
  local methods = {}
  for _, f in ipairs(frames(chatlog)) do
    if f.method then
      table.insert(methods, f.method)
    end
  end
  H.eq(vim.list_slice(methods, #methods - 1), { 'shutdown', 'exit' }, 'last two frames sent')
  H.eq(methods[2], 'initialized', 'second frame sent')
end)
