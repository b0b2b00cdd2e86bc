-- Test helpers for headless Neovim. A test script:
--   local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')
--   H.run('name', function() ... end)
-- H.run ends Neovim with :qall! when every check passed and :cquit 1 on
-- the first failure; the runner's trailing `cquit 3` catches a script that
-- died before reaching either.
local H = {}

H.plugin_dir = assert(vim.env.ALIASD_NVIM_PLUGIN, 'ALIASD_NVIM_PLUGIN must point at editors/nvim')
H.checks = 0

local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end
H.out = out

local Failure = {}

function H.fail(msg)
  error(setmetatable({ msg = msg }, Failure), 2)
end

function H.ok(cond, what)
  H.checks = H.checks + 1
  if not cond then
    H.fail(what)
  end
  out('  ok ' .. what)
end

--- eq(got, want, what): messages read "what = got, want want".
function H.eq(got, want, what)
  H.checks = H.checks + 1
  if not vim.deep_equal(got, want) then
    H.fail(('%s = %s, want %s'):format(what, vim.inspect(got), vim.inspect(want)))
  end
  out('  ok ' .. what .. ' = ' .. vim.inspect(want):gsub('\n%s*', ' '))
end

--- contains(haystack, needle, what): plain substring.
function H.contains(s, needle, what)
  H.checks = H.checks + 1
  if type(s) ~= 'string' or not s:find(needle, 1, true) then
    H.fail(('%s = %s, want it to contain %q'):format(what, vim.inspect(s), needle))
  end
  out(('  ok %s contains %q'):format(what, needle))
end

--- not_contains(s, needle, what, label): label names the needle in the
--- output (pass one for secrets, so the test log never prints them).
function H.not_contains(s, needle, what, label)
  H.checks = H.checks + 1
  label = label or ('%q'):format(needle)
  if type(s) == 'string' and s:find(needle, 1, true) then
    H.fail(('%s contains %s, want it absent'):format(what, label))
  end
  out(('  ok %s does not contain %s'):format(what, label))
end

--- Wait (generously: the machine is shared) until fn() is truthy.
function H.wait(what, fn, ms)
  local value
  local ok = vim.wait(ms or 20000, function()
    value = fn()
    return value
  end, 20)
  if not ok then
    H.fail('timed out waiting for ' .. what)
  end
  return value
end

--- Record a check that cannot run against this daemon yet, with why.
--- The runner lists skips in its summary; a skip is not a pass.
function H.skip(what, why)
  out(('SKIP %s: %s'):format(what, why))
end

--- Wait for a buffer whose name matches a Lua pattern; returns it.
function H.wait_buffer(pattern, ms)
  return H.wait('a buffer named like ' .. pattern, function()
    return H.buffers(pattern)[1]
  end, ms)
end

--- Run a Neovim command; a Vim error fails the test with its message.
function H.cmd(c)
  local ok, err = pcall(vim.cmd, c)
  if not ok then
    H.fail((':%s failed: %s'):format(c, tostring(err)))
  end
end

--- Call a request synchronously; an RPC error fails the test.
function H.request(method, params, ms)
  local result, err = require('aliasd').request_sync(method, params or vim.empty_dict(), ms or 20000)
  if err then
    H.fail(('%s: %s'):format(method, require('aliasd.util').rpc_error(err)))
  end
  return result
end

--- Add a token through the API (tests of other features use this).
function H.add_token(name, token)
  H.request('alias/token/add', { name = name, token = token })
  local list = H.request('alias/token/list')
  for _, t in ipairs(list.tokens or {}) do
    if t.name == name then
      return t
    end
  end
  H.fail('token ' .. name .. ' missing from alias/token/list after alias/token/add')
end

--- Put the plugin on 'runtimepath' and source plugin/aliasd.lua as
--- Neovim's startup would.
function H.load_plugin()
  vim.opt.runtimepath:prepend(H.plugin_dir)
  vim.cmd('runtime! plugin/aliasd.lua')
end

--- The options every end-to-end test uses: the binary under test, the
--- test's own ALIASD_HOME and the mock's base URL.
function H.setup_opts(extra)
  local bin = assert(vim.env.ALIASD_BIN, 'ALIASD_BIN must point at the aliasd binary')
  local opts = {
    cmd = { bin, 'stdio' },
    env = {
      ALIASD_HOME = assert(vim.env.ALIASD_HOME, 'ALIASD_HOME must be set'),
      ALIASD_BASE_URL = assert(vim.env.ALIASD_BASE_URL, 'ALIASD_BASE_URL must be set'),
    },
    history = { refresh_ms = 0 },
  }
  return vim.tbl_deep_extend('force', opts, extra or {})
end

--- Capture vim.notify messages; they are printed to the test output
--- instead of shown (an ERROR from the default vim.notify inside vim.cmd()
--- would turn into a Lua error in 0.7).
function H.capture_notify()
  local log = {}
  vim.notify = function(msg, level)
    table.insert(log, { msg = msg, level = level })
    out(('  notify[%s] %s'):format(tostring(level), tostring(msg)))
  end
  return log
end

--- The first captured message containing needle, waiting for it.
function H.wait_notify(log, needle, ms)
  return H.wait('a message containing ' .. vim.inspect(needle), function()
    for _, m in ipairs(log) do
      if tostring(m.msg):find(needle, 1, true) then
        return m
      end
    end
    return nil
  end, ms)
end

function H.lines(buf)
  return vim.api.nvim_buf_get_lines(buf or 0, 0, -1, false)
end

--- Every buffer whose name matches a Lua pattern.
function H.buffers(pattern)
  local out_ = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_valid(b) and vim.api.nvim_buf_get_name(b):match(pattern) then
      table.insert(out_, b)
    end
  end
  return out_
end

--- Record the shared daemon's pid so the runner can end it after the test.
function H.record_daemon_pid()
  local st = require('aliasd').request_sync('alias/status', vim.empty_dict(), 10000)
  local file = vim.env.ALIASD_TEST_PIDFILE
  if st and st.pid and st.pid ~= vim.NIL and file and st.mode == 'shared' then
    local f = io.open(file, 'a')
    if f then
      f:write(tostring(st.pid) .. '\n')
      f:close()
    end
  end
  return st
end

--- Read a whole file (nil when absent).
function H.read(path)
  local f = io.open(path, 'rb')
  if not f then
    return nil
  end
  local s = f:read('*a')
  f:close()
  return s
end

--- Every regular file under dir (recursively).
function H.files(dir)
  local found = {}
  local function walk(d)
    local handle = (vim.uv or vim.loop).fs_scandir(d)
    if not handle then
      return
    end
    while true do
      local name, t = (vim.uv or vim.loop).fs_scandir_next(handle)
      if not name then
        break
      end
      local p = d .. '/' .. name
      if t == 'directory' then
        walk(p)
      elseif t == 'file' then
        table.insert(found, p)
      end
    end
  end
  walk(dir)
  return found
end

--- Run a test body; end Neovim with the verdict.
function H.run(name, body)
  out('# ' .. name)
  local globals = {}
  for k in pairs(_G) do
    globals[k] = true
  end
  local ok, err = xpcall(function()
    body()
    -- The plugin keeps its state in modules: a new global is a bug (a
    -- missing "local"). Tests name theirs aliasd_test_*.
    local leaked = {}
    for k in pairs(_G) do
      if not globals[k] and not tostring(k):find('^aliasd_test_') then
        table.insert(leaked, tostring(k))
      end
    end
    table.sort(leaked)
    H.eq(leaked, {}, 'globals created while the test ran')
  end, function(e)
    if getmetatable(e) == Failure then
      return e
    end
    return debug.traceback(tostring(e), 2)
  end)
  if ok then
    out(('PASS %s (%d checks)'):format(name, H.checks))
    vim.cmd('qall!')
  else
    local msg = getmetatable(err) == Failure and err.msg or tostring(err)
    out(('FAIL %s: %s'):format(name, msg))
    local tail = {}
    local okl, session = pcall(require, 'aliasd.session')
    if okl then
      tail = session.log_lines()
    end
    for i = math.max(1, #tail - 15), #tail do
      out('  log: ' .. tail[i])
    end
    vim.cmd('cquit 1')
  end
end

return H
