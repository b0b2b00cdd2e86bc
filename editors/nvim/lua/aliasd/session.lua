-- The one supervised connection to aliasd: started on first use, handshake
-- and protocol check, requests queued until ready, server notifications
-- routed to subscribers, restarted after a crash within a budget, stopped on
-- exit.
local rpc = require('aliasd.rpc')
local config = require('aliasd.config')
local util = require('aliasd.util')

local M = {}

--- The contract version this plugin speaks (rpc.ProtocolVersion).
M.protocol_version = 1

local levels = vim.log.levels

-- state is the session's only mutable state; every access happens on the
-- main loop (rpc callbacks are scheduled there).
local state = {
  client = nil, ---@type aliasd.RpcClient|nil
  phase = 'stopped', -- stopped | starting | ready | failed
  queue = {}, -- requests waiting for "ready": {method, params, cb, handle}
  info = nil, -- {serverInfo, protocolVersion, methods}
  exits = {}, -- times (ms) of unexpected exits inside the restart window
  gave_up = false,
  stopping = false,
  listeners = {}, -- method -> {fn...}
  log = {},
  generation = 0, -- bumps on every start, so stale callbacks can tell
  left = false, -- VimLeavePre ran
}

local function now_ms()
  return (vim.uv or vim.loop).now()
end

local function log(line)
  local max = config.options.log_max_lines
  if max == 0 then
    return
  end
  table.insert(state.log, os.date('%H:%M:%S ') .. line)
  while #state.log > max do
    table.remove(state.log, 1)
  end
end
M.log = log

--- Lines of daemon stderr, window/logMessage and session events.
function M.log_lines()
  return vim.deepcopy(state.log)
end

--- Subscribe to a server notification. Returns a function that unsubscribes.
---@param method string
---@param fn fun(params: any)
function M.on(method, fn)
  state.listeners[method] = state.listeners[method] or {}
  table.insert(state.listeners[method], fn)
  return function()
    local list = state.listeners[method] or {}
    for i, f in ipairs(list) do
      if f == fn then
        table.remove(list, i)
        return
      end
    end
  end
end

local function emit(method, params)
  for _, fn in ipairs(vim.list_slice(state.listeners[method] or {}, 1)) do
    local ok, err = pcall(fn, params)
    if not ok then
      log(('listener for %s failed: %s'):format(method, tostring(err)))
    end
  end
end

local message_levels = { [1] = levels.ERROR, [2] = levels.WARN, [3] = levels.INFO, [4] = levels.DEBUG }

local function on_notification(method, params)
  params = util.nn(params) or {}
  if method == 'window/showMessage' then
    vim.notify('aliasd: ' .. tostring(params.message), message_levels[params.type] or levels.INFO)
  elseif method == 'window/logMessage' then
    log('daemon: ' .. tostring(params.message))
  end
  emit(method, params)
  if method == 'alias/history/appended' then
    pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'AliasdHistoryAppended', modeline = false })
  end
end

local function on_request(method, _)
  if method == 'window/workDoneProgress/create' or method == 'window/showMessageRequest' then
    return vim.NIL
  end
  return nil, { code = rpc.codes.method_not_found, message = 'the Neovim plugin does not handle ' .. method }
end

local function fail_queue(err)
  local queue = state.queue
  state.queue = {}
  for _, q in ipairs(queue) do
    q.cb(err, nil)
  end
end

local function flush_queue()
  local queue = state.queue
  state.queue = {}
  for _, q in ipairs(queue) do
    if not q.cancelled then
      q.handle.id = state.client:request(q.method, q.params, q.cb)
    end
  end
end

local function last_stderr(n)
  local out = {}
  for i = math.max(1, #state.log - n + 1), #state.log do
    local line = state.log[i]
    if line:find('stderr: ', 1, true) and not line:find('level=INFO', 1, true) and not line:find('level=DEBUG', 1, true) then
      table.insert(out, (state.log[i]:gsub('^.-stderr: ', '')))
    end
  end
  return table.concat(out, ' | ')
end

local function fail_start(reason)
  local client = state.client
  state.client = nil
  -- The refused bridge is stopped on purpose: its exit is no crash, and
  -- nothing it still sends matters.
  state.generation = state.generation + 1
  state.phase = 'failed'
  log('start failed: ' .. reason)
  local err = { code = rpc.codes.closed, message = reason }
  fail_queue(err)
  if client and client:is_running() then
    client:stop(500)
  end
  util.notify(reason, levels.ERROR)
end

local function version_string()
  local v = vim.version()
  return ('%d.%d.%d'):format(v.major, v.minor, v.patch)
end

local function ready(info)
  state.info = info
  state.phase = 'ready'
  log(('ready: %s %s, protocol %s'):format(info.serverInfo.name or '?', info.serverInfo.version or '?', tostring(info.protocolVersion)))
  state.client:notify('initialized', vim.empty_dict())
  flush_queue()
end

local function check_protocol(pv, info)
  if pv ~= M.protocol_version then
    fail_start(('aliasd speaks protocol %s, this plugin speaks %d: update the plugin or the binary'):format(
      tostring(pv), M.protocol_version))
    return
  end
  info.protocolVersion = pv
  ready(info)
end

local function handshake(gen)
  local client = state.client
  local params = {
    processId = vim.fn.getpid(),
    clientInfo = { name = 'neovim', version = version_string() },
    rootUri = vim.NIL,
    capabilities = {
      window = { workDoneProgress = true, showMessage = vim.empty_dict() },
    },
  }
  client:request('initialize', params, function(err, result)
    if gen ~= state.generation then
      return
    end
    if err then
      fail_start('initialize failed: ' .. util.rpc_error(err))
      return
    end
    result = util.nn(result) or {}
    local caps = util.nn(result.capabilities) or {}
    local exp = util.nn(caps.experimental) or {}
    local info = {
      serverInfo = util.nn(result.serverInfo) or {},
      methods = util.nn(exp.methods) or {},
    }
    local pv = util.nn(exp.protocolVersion)
    if pv ~= nil then
      check_protocol(pv, info)
      return
    end
    -- Older servers may report the version only in alias/status.
    client:request('alias/status', vim.empty_dict(), function(serr, status)
      if gen ~= state.generation then
        return
      end
      if serr then
        fail_start('alias/status failed during the handshake: ' .. util.rpc_error(serr))
        return
      end
      check_protocol(util.nn((util.nn(status) or {}).protocolVersion), info)
    end)
  end)
end

local function on_exit(gen, code, signal)
  if gen ~= state.generation then
    return
  end
  local was = state.phase
  state.client = nil
  log(('exited: code %s, signal %s'):format(tostring(code), tostring(signal)))
  if state.stopping or state.left then
    state.phase = 'stopped'
    return
  end
  local t = now_ms()
  table.insert(state.exits, t)
  local window = config.options.restart.window_ms
  while #state.exits > 0 and state.exits[1] < t - window do
    table.remove(state.exits, 1)
  end
  local detail = last_stderr(5)
  if detail ~= '' then
    detail = ': ' .. detail
  end
  local how = (signal and signal ~= 0) and ('killed by signal %d'):format(signal) or ('code %d'):format(code or -1)
  if was == 'starting' then
    fail_start(('%s exited during start (%s)%s'):format(config.options.cmd[1], how, detail))
    if #state.exits > config.options.restart.max then
      state.gave_up = true
    end
    return
  end
  state.phase = 'stopped'
  fail_queue({ code = rpc.codes.closed, message = 'aliasd exited' })
  if #state.exits > config.options.restart.max then
    state.gave_up = true
    util.notify(('aliasd exited %d times within %d s; not restarting. See :Aliasd log, then :Aliasd restart'):format(
      #state.exits, math.floor(window / 1000)), levels.ERROR)
    return
  end
  util.notify(('aliasd exited (%s)%s; restarting'):format(how, detail), levels.WARN)
  vim.defer_fn(function()
    if state.phase == 'stopped' and not state.gave_up and not state.left then
      M.start()
    end
  end, 200 * #state.exits)
end

local leave_autocmd = false

--- Start the daemon bridge if it is not running. Returns false and a reason
--- when it cannot start.
---@return boolean, string|nil
function M.start()
  if state.phase == 'ready' or state.phase == 'starting' then
    return true
  end
  if state.gave_up then
    return false, 'aliasd crashed too often; run :Aliasd restart'
  end
  local opts = config.options
  if vim.fn.executable(opts.cmd[1]) ~= 1 then
    local reason = ('%s not found on $PATH (set cmd in require("aliasd").setup())'):format(opts.cmd[1])
    state.phase = 'failed'
    return false, reason
  end
  state.generation = state.generation + 1
  local gen = state.generation
  state.stopping = false
  local client, err = rpc.start({
    cmd = opts.cmd,
    env = opts.env,
    on_notification = function(method, params)
      if gen == state.generation then
        on_notification(method, params)
      end
    end,
    on_request = on_request,
    on_stderr = function(line)
      log('stderr: ' .. line)
    end,
    on_exit = function(code, signal)
      on_exit(gen, code, signal)
    end,
    on_protocol_error = function(reason)
      log('protocol error: ' .. reason)
    end,
  })
  if not client then
    state.phase = 'failed'
    log(err)
    return false, err
  end
  state.client = client
  state.phase = 'starting'
  log(('started %s (pid %d)'):format(table.concat(opts.cmd, ' '), client.pid))
  if not leave_autocmd then
    leave_autocmd = true
    vim.api.nvim_create_autocmd('VimLeavePre', {
      group = vim.api.nvim_create_augroup('aliasd_session', { clear = true }),
      callback = function()
        state.left = true
        M.stop(300)
      end,
    })
  end
  handshake(gen)
  return true
end

---@class aliasd.RequestHandle
---@field id integer|nil  the JSON-RPC id once sent

--- Send a request; cb(err, result) runs on the main loop. Starts the
--- daemon if needed; waits for the handshake.
---@return aliasd.RequestHandle
function M.request(method, params, cb)
  local handle = {}
  if params == nil then
    params = vim.empty_dict()
  end
  local ok, reason = M.start()
  if not ok then
    vim.schedule(function()
      cb({ code = rpc.codes.closed, message = reason }, nil)
    end)
    return handle
  end
  if state.phase == 'ready' then
    handle.id = state.client:request(method, params, cb)
  else
    local q = { method = method, params = params, cb = cb, handle = handle }
    handle.queued = q
    table.insert(state.queue, q)
  end
  return handle
end

--- Request and wait at most timeout_ms (default request_timeout_ms).
---@return any result, aliasd.RpcError|nil err
function M.request_sync(method, params, timeout_ms)
  timeout_ms = timeout_ms or config.options.request_timeout_ms
  local done, res, rerr = false, nil, nil
  local handle = M.request(method, params, function(err, result)
    done, res, rerr = true, result, err
  end)
  vim.wait(timeout_ms, function()
    return done
  end, 10)
  if not done then
    M.cancel(handle)
    return nil, { code = rpc.codes.timeout, message = ('%s timed out after %d ms'):format(method, timeout_ms) }
  end
  return res, rerr
end

--- Cancel a request made with request().
---@param handle aliasd.RequestHandle
function M.cancel(handle)
  if handle.queued then
    handle.queued.cancelled = true
  end
  if handle.id and state.client then
    state.client:cancel(handle.id)
  end
end

--- Cancel every request in flight. Returns how many.
function M.cancel_all()
  local n = 0
  for _, q in ipairs(state.queue) do
    q.cancelled = true
    n = n + 1
  end
  if state.client then
    for _, id in ipairs(state.client:in_flight()) do
      state.client:cancel(id)
      n = n + 1
    end
  end
  return n
end

--- Stop the daemon bridge (the shared daemon keeps running for others).
function M.stop(timeout_ms)
  state.stopping = true
  -- Whatever the old bridge still sends (a relay may report the closing
  -- connection) is from a session we ended: drop it.
  state.generation = state.generation + 1
  local client = state.client
  state.client = nil
  state.phase = 'stopped'
  fail_queue({ code = rpc.codes.closed, message = 'aliasd stopped' })
  if client and client:is_running() then
    client:stop(timeout_ms or 1000)
  end
end

--- Stop, forget crashes, start again.
function M.restart()
  M.stop()
  state.gave_up = false
  state.exits = {}
  state.phase = 'stopped'
  return M.start()
end

--- phase, initialize info and the bridge's pid.
function M.state()
  return {
    phase = state.phase,
    info = state.info and vim.deepcopy(state.info) or nil,
    pid = state.client and state.client.pid or nil,
    gave_up = state.gave_up,
  }
end

--- Forget the endpoint list and other per-daemon caches (setup() calls this).
function M.reset()
  if state.client then
    M.stop(500)
  end
  state.gave_up = false
  state.exits = {}
  state.phase = 'stopped'
end

return M
