-- JSON-RPC 2.0 over a child process's stdio with LSP Content-Length framing,
-- on luv. Generic: knows nothing of aliasd's methods.
--
-- Why not vim.lsp: start_client() registers the daemon as a language
-- server (it shows up in every LSP status line, :LspStop kills it, 0.7 logs
-- its stderr as errors in lsp.log) and is deprecated from 0.11, and
-- vim.lsp.rpc.start() changed its signature in 0.10. luv is the same in
-- every release (vim.loop, vim.uv from 0.10), so this module is the one
-- thing that has to be right on all of them.
local M = {}

local uv = vim.uv or vim.loop

M.max_header_bytes = 8192

--- Encode one message as a framed string.
---@param msg table
---@return string
function M.encode(msg)
  local body = vim.json.encode(msg)
  return ('Content-Length: %d\r\n\r\n%s'):format(#body, body)
end

--- A stream decoder: feed() it chunks, it calls on_message(msg) for each
--- complete frame and on_error(reason) for a frame it cannot read (the
--- stream continues after a bad JSON body; a bad header drops the buffer).
---@param on_message fun(msg: table)
---@param on_error fun(reason: string)
---@return fun(chunk: string)
function M.decoder(on_message, on_error)
  local buf = ''
  -- While a body is incomplete its chunks wait in parts, so a large answer
  -- is joined once instead of on every read.
  local parts, have = {}, 0
  local want -- body length of the frame being read, nil while reading headers
  return function(chunk)
    if want then
      parts[#parts + 1] = chunk
      have = have + #chunk
      if have < want then
        return
      end
      buf = table.concat(parts)
      parts, have = {}, 0
    else
      buf = buf .. chunk
    end
    while true do
      if not want then
        local head_end = buf:find('\r\n\r\n', 1, true)
        if not head_end then
          if #buf > M.max_header_bytes then
            buf = ''
            on_error('frame header longer than ' .. M.max_header_bytes .. ' bytes')
          end
          return
        end
        local header = buf:sub(1, head_end - 1)
        buf = buf:sub(head_end + 4)
        local len
        for line in (header .. '\r\n'):gmatch('(.-)\r\n') do
          local name, value = line:match('^([^:]+):%s*(.-)%s*$')
          if name and name:lower() == 'content-length' then
            len = tonumber(value)
          end
        end
        if not len or len < 0 or len ~= math.floor(len) then
          -- Skip this header and resynchronise on the next one.
          on_error('frame without a valid Content-Length: ' .. header:sub(1, 80))
        else
          want = len
        end
      end
      if want then
        if #buf < want then
          parts, have = { buf }, #buf
          buf = ''
          return
        end
        local body = buf:sub(1, want)
        buf = buf:sub(want + 1)
        want = nil
        local ok, msg = pcall(vim.json.decode, body)
        if ok and type(msg) == 'table' then
          on_message(msg)
        else
          on_error('frame body is not a JSON object: ' .. body:sub(1, 80))
        end
      end
    end
  end
end

---@class aliasd.RpcError
---@field code integer
---@field message string
---@field data any

---@class aliasd.RpcClient
---@field pid integer|nil
---@field private handle any
---@field private stdin any
---@field private pending table<integer, {method: string, cb: fun(err: aliasd.RpcError|nil, result: any), sync: table|nil}>
---@field private next_id integer
---@field closed boolean
local Client = {}
Client.__index = Client

-- Codes the client itself produces.
M.codes = {
  cancelled = -32800,
  method_not_found = -32601,
  closed = -32099, -- the process is gone (reserved server-error range)
  timeout = -32098,
}

---@class aliasd.RpcStartOpts
---@field cmd string[]
---@field env table<string,string>|nil  added to the current environment
---@field cwd string|nil
---@field on_notification fun(method: string, params: any)|nil
---@field on_request fun(method: string, params: any): any, aliasd.RpcError|nil  server -> client requests
---@field on_stderr fun(line: string)|nil
---@field on_exit fun(code: integer, signal: integer)|nil
---@field on_protocol_error fun(reason: string)|nil

local function environ(extra)
  local env = vim.fn.environ()
  for k, v in pairs(extra or {}) do
    env[k] = tostring(v)
  end
  local list = {}
  for k, v in pairs(env) do
    table.insert(list, k .. '=' .. v)
  end
  return list
end

local function line_splitter(on_line)
  local rest = ''
  return function(chunk)
    rest = rest .. chunk
    while true do
      local nl = rest:find('\n', 1, true)
      if not nl then
        break
      end
      on_line((rest:sub(1, nl - 1):gsub('\r$', '')))
      rest = rest:sub(nl + 1)
    end
  end, function()
    if rest ~= '' then
      on_line(rest)
      rest = ''
    end
  end
end

--- Start the process and return a client, or nil and an error message.
---@param opts aliasd.RpcStartOpts
---@return aliasd.RpcClient|nil, string|nil
function M.start(opts)
  if type(opts.cmd) ~= 'table' or type(opts.cmd[1]) ~= 'string' then
    return nil, 'cmd must be a list of strings'
  end
  local self = setmetatable({
    pending = {},
    next_id = 1,
    closed = false,
    opts = opts,
  }, Client)
  local stdin, stdout, stderr = uv.new_pipe(false), uv.new_pipe(false), uv.new_pipe(false)
  self.stdin = stdin
  local args = {}
  for i = 2, #opts.cmd do
    args[#args + 1] = opts.cmd[i]
  end
  local handle, pid_or_err = uv.spawn(opts.cmd[1], {
    args = args,
    env = environ(opts.env),
    cwd = opts.cwd,
    stdio = { stdin, stdout, stderr },
    detached = false,
  }, function(code, signal)
    self:_closed(code, signal)
  end)
  if not handle then
    for _, p in ipairs({ stdin, stdout, stderr }) do
      p:close()
    end
    return nil, ('cannot start %s: %s'):format(opts.cmd[1], tostring(pid_or_err))
  end
  self.handle = handle
  self.pid = pid_or_err
  self.pipes = { stdin, stdout, stderr }

  local feed = M.decoder(function(msg)
    self:_dispatch(msg)
  end, function(reason)
    if opts.on_protocol_error then
      vim.schedule(function()
        opts.on_protocol_error(reason)
      end)
    end
  end)
  stdout:read_start(function(err, chunk)
    if chunk then
      feed(chunk)
    elseif err then
      self:_protocol_error('reading stdout: ' .. err)
    end
  end)
  local on_err_line, flush_err = line_splitter(function(line)
    if opts.on_stderr then
      vim.schedule(function()
        opts.on_stderr(line)
      end)
    end
  end)
  stderr:read_start(function(_, chunk)
    if chunk then
      on_err_line(chunk)
    else
      flush_err()
    end
  end)
  return self
end

function Client:_protocol_error(reason)
  if self.opts.on_protocol_error then
    vim.schedule(function()
      self.opts.on_protocol_error(reason)
    end)
  end
end

-- _dispatch runs in luv's fast context: it may touch only plain Lua state.
-- Answers to synchronous requests are stored at once; everything else runs
-- on the main loop, in arrival order.
function Client:_dispatch(msg)
  if msg.method == nil and msg.id ~= nil then
    local p = self.pending[msg.id]
    if not p then
      return
    end
    self.pending[msg.id] = nil
    local err = msg.error
    if err == vim.NIL then
      err = nil
    end
    if p.sync then
      p.sync.done, p.sync.err, p.sync.result = true, err, msg.result
      return
    end
    vim.schedule(function()
      p.cb(err, msg.result)
    end)
    return
  end
  if msg.method ~= nil and msg.id ~= nil then
    vim.schedule(function()
      local result, err
      if self.opts.on_request then
        local ok, r, e = pcall(self.opts.on_request, msg.method, msg.params)
        if ok then
          result, err = r, e
        else
          err = { code = -32603, message = tostring(r) }
        end
      else
        err = { code = M.codes.method_not_found, message = 'method not found: ' .. msg.method }
      end
      if err then
        self:_write({ jsonrpc = '2.0', id = msg.id, error = err })
      else
        self:_write({ jsonrpc = '2.0', id = msg.id, result = result == nil and vim.NIL or result })
      end
    end)
    return
  end
  if msg.method ~= nil then
    if self.opts.on_notification then
      vim.schedule(function()
        self.opts.on_notification(msg.method, msg.params)
      end)
    end
  end
end

function Client:_write(msg)
  if self.closed or self.stdin:is_closing() then
    return false
  end
  self.stdin:write(M.encode(msg))
  return true
end

function Client:_closed(code, signal)
  self.closed = true
  for _, p in ipairs(self.pipes or {}) do
    if not p:is_closing() then
      p:close()
    end
  end
  if self.handle and not self.handle:is_closing() then
    self.handle:close()
  end
  local pending = self.pending
  self.pending = {}
  local err = {
    code = M.codes.closed,
    message = ('aliasd exited (code %d, signal %d)'):format(code or -1, signal or 0),
  }
  for _, p in pairs(pending) do
    if p.sync then
      p.sync.done, p.sync.err = true, err
    else
      vim.schedule(function()
        p.cb(err, nil)
      end)
    end
  end
  if self.opts.on_exit then
    vim.schedule(function()
      self.opts.on_exit(code, signal)
    end)
  end
end

--- Send a request; cb(err, result) runs on the main loop.
---@param method string
---@param params any
---@param cb fun(err: aliasd.RpcError|nil, result: any)
---@return integer|nil id  nil when the process is gone (cb has been scheduled with an error)
function Client:request(method, params, cb)
  local id = self.next_id
  self.next_id = id + 1
  if self.closed then
    vim.schedule(function()
      cb({ code = M.codes.closed, message = 'aliasd is not running' }, nil)
    end)
    return nil
  end
  self.pending[id] = { method = method, cb = cb }
  self:_write({ jsonrpc = '2.0', id = id, method = method, params = params })
  return id
end

--- Send a request and wait for its answer at most timeout_ms.
--- On timeout the request is cancelled with $/cancelRequest.
---@return any result, aliasd.RpcError|nil err
function Client:request_sync(method, params, timeout_ms)
  if self.closed then
    return nil, { code = M.codes.closed, message = 'aliasd is not running' }
  end
  local id = self.next_id
  self.next_id = id + 1
  local state = { done = false }
  self.pending[id] = { method = method, sync = state, cb = function() end }
  self:_write({ jsonrpc = '2.0', id = id, method = method, params = params })
  vim.wait(timeout_ms, function()
    return state.done
  end, 10)
  if not state.done then
    self.pending[id] = nil
    self:notify('$/cancelRequest', { id = id })
    return nil, { code = M.codes.timeout, message = ('%s timed out after %d ms'):format(method, timeout_ms) }
  end
  return state.result, state.err
end

--- Cancel a request sent with request(): the server answers it with -32800.
function Client:cancel(id)
  if id and self.pending[id] then
    self:notify('$/cancelRequest', { id = id })
  end
end

--- Ids of the requests still waiting for an answer.
---@return integer[]
function Client:in_flight()
  local ids = {}
  for id in pairs(self.pending) do
    table.insert(ids, id)
  end
  table.sort(ids)
  return ids
end

function Client:notify(method, params)
  return self:_write({ jsonrpc = '2.0', method = method, params = params })
end

--- LSP shutdown sequence, bounded by timeout_ms, then close stdin (the
--- bridge exits on EOF) and, if it is still there, terminate it.
function Client:stop(timeout_ms)
  if self.closed then
    return
  end
  timeout_ms = timeout_ms or 1000
  self:request_sync('shutdown', nil, timeout_ms)
  self:notify('exit', nil)
  if not self.stdin:is_closing() then
    self.stdin:shutdown()
  end
  vim.wait(timeout_ms, function()
    return self.closed
  end, 10)
  if not self.closed and self.handle and not self.handle:is_closing() then
    self.handle:kill('sigterm')
  end
end

function Client:is_running()
  return not self.closed
end

M.Client = Client
return M
