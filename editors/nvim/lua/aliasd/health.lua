-- :checkhealth aliasd. Uses its own short-lived bridge so it can report a
-- broken session without depending on it; every call is time-bounded.
local M = {}

-- Health reporting differs by release: 0.7 has only the health#report_*
-- functions, 0.8 has vim.health.report_*, 0.9+ vim.health.start/ok/...
local report = {}
do
  local h = vim.health
  if h and h.start then
    report = { start = h.start, ok = h.ok, info = h.info, warn = h.warn, error = h.error }
  elseif h and h.report_start then
    report = { start = h.report_start, ok = h.report_ok, info = h.report_info, warn = h.report_warn, error = h.report_error }
  else
    local function vimfn(name)
      return function(msg, advice)
        if advice then
          vim.fn['health#report_' .. name](msg, advice)
        else
          vim.fn['health#report_' .. name](msg)
        end
      end
    end
    report = {
      start = vimfn('start'),
      ok = vimfn('ok'),
      info = vimfn('info'),
      warn = vimfn('warn'),
      error = vimfn('error'),
    }
  end
end

local function advice(list)
  if type(list) == 'string' then
    return { list }
  end
  return list
end

function M.check()
  local config = require('aliasd.config')
  local rpc = require('aliasd.rpc')
  local util = require('aliasd.util')
  local session = require('aliasd.session')
  local opts = config.options
  local timeout = math.min(opts.request_timeout_ms, 10000)

  report.start('aliasd: Neovim')
  local v = vim.version()
  report.ok(('Neovim %d.%d.%d (0.7.2 or newer is supported)'):format(v.major, v.minor, v.patch))

  report.start('aliasd: binary')
  local bin = opts.cmd[1]
  if vim.fn.executable(bin) ~= 1 then
    report.error(('%s is not executable or not on $PATH'):format(bin),
      advice({ 'Build it with `go build ./cmd/aliasd` and put it on $PATH', 'or set cmd in require("aliasd").setup({ cmd = { "/path/to/aliasd", "stdio" } })' }))
    return
  end
  report.ok(('found %s (command: %s)'):format(vim.fn.exepath(bin), table.concat(opts.cmd, ' ')))
  local envs = vim.tbl_keys(opts.env or {})
  table.sort(envs)
  if #envs > 0 then
    report.info('extra environment: ' .. table.concat(envs, ', '))
  end

  report.start('aliasd: handshake')
  local st = session.state()
  if st.gave_up then
    report.warn('the session stopped restarting aliasd after repeated crashes', advice('see :Aliasd log, then :Aliasd restart'))
  end
  local stderr = {}
  local client, err = rpc.start({
    cmd = opts.cmd,
    env = opts.env,
    on_stderr = function(line)
      table.insert(stderr, line)
    end,
    on_request = function()
      return vim.NIL
    end,
  })
  if not client then
    report.error('cannot start aliasd: ' .. tostring(err))
    return
  end
  local function finish()
    client:stop(1000)
  end
  local init, ierr = client:request_sync('initialize', {
    processId = vim.fn.getpid(),
    clientInfo = { name = 'neovim', version = ('%d.%d.%d'):format(v.major, v.minor, v.patch) },
    rootUri = vim.NIL,
    capabilities = vim.empty_dict(),
  }, timeout)
  if ierr then
    vim.wait(100, function()
      return false
    end)
    local tail = table.concat(vim.list_slice(stderr, math.max(1, #stderr - 4)), ' | ')
    report.error('initialize failed: ' .. util.rpc_error(ierr) .. (tail ~= '' and ('; stderr: ' .. tail) or ''),
      advice('run `' .. table.concat(opts.cmd, ' ') .. '` in a terminal to see why'))
    finish()
    return
  end
  init = util.nn(init) or {}
  local server = util.nn(init.serverInfo) or {}
  local exp = util.nn((util.nn(init.capabilities) or {}).experimental) or {}
  client:notify('initialized', vim.empty_dict())
  local status, serr = client:request_sync('alias/status', vim.empty_dict(), timeout)
  status = util.nn(status)
  local pv = util.nn(exp.protocolVersion) or (status and util.nn(status.protocolVersion))
  if pv == session.protocol_version then
    report.ok(('%s %s speaks protocol %d'):format(util.nn(server.name) or 'aliasd', util.nn(server.version) or '?', pv))
  else
    report.error(('aliasd speaks protocol %s, this plugin speaks %d'):format(tostring(pv), session.protocol_version),
      advice('install matching versions of the plugin and the binary'))
  end

  report.start('aliasd: daemon and tokens')
  if serr or not status then
    report.error('alias/status failed: ' .. util.rpc_error(serr))
    finish()
    return
  end
  report.ok(('%s daemon, data in %s'):format(util.nn(status.mode) or '?', util.nn(status.dataDir) or '?'))
  local storage = util.nn(status.tokenStorage) or ''
  if storage == 'keyring' then
    report.ok('tokens are stored in the OS keyring')
  elseif storage == 'file' then
    local said = false
    for _, w in ipairs(util.nn(status.warnings) or {}) do
      said = said or tostring(w):find('file', 1, true) ~= nil
    end
    if not said then
      report.warn('tokens are stored in a file (token_storage = "file"), not the OS keyring',
        advice('fine for CI and headless machines; start a Secret Service to use the keyring'))
    end
  elseif storage == 'env' then
    report.ok('the token comes from $ALIASD_TOKEN (never stored)')
  else
    report.warn(('token storage: %q'):format(storage))
  end
  for _, w in ipairs(util.nn(status.warnings) or {}) do
    report.warn(tostring(w))
  end
  local profile = util.nn(status.profile) or ''

  report.start('aliasd: API')
  report.info('base URL: ' .. (util.nn(status.baseUrl) or '?'))
  if profile == '' then
    report.warn('no active token, so the API was not called', advice(':Aliasd token add NAME, then :Aliasd token use NAME'))
    finish()
    return
  end
  local ver, verr = client:request_sync('alias/token/verify', vim.empty_dict(), timeout)
  ver = util.nn(ver)
  if verr or not ver then
    report.error('alias/token/verify failed: ' .. util.rpc_error(verr))
  elseif util.nn(ver.ok) then
    report.ok(('API reachable, token %s works (%s, request-id %s)'):format(profile, tostring(util.nn(ver.status)),
      util.nn(ver.requestId) or '-'))
  else
    local d = util.nn(ver.diagnostic) or {}
    local status_code = util.nn(ver.status) or 0
    local what = status_code == 0 and 'API not reachable' or ('token %s rejected (%d)'):format(profile, status_code)
    report.error(('%s: %s (request-id %s)'):format(what, util.nn(d.title) or '?', util.nn(ver.requestId) or '-'),
      advice(util.nn(d.hint) or 'check the base URL and the token'))
  end
  finish()
end

return M
