-- :Aliasd {subcommand}: parsing and completion. Each subcommand loads the
-- module that does the work only when it runs.
local util = require('aliasd.util')
local config = require('aliasd.config')

local M = {}

local levels = vim.log.levels

local function usage(msg)
  util.notify(msg, levels.ERROR)
end

-- endpoints caches alias/endpoints for the life of the bridge.
local endpoints

--- Forget cached daemon data (after setup() changes the command).
function M.forget()
  endpoints = nil
end

--- alias/endpoints, fetched once (bounded by timeout_ms); {} on failure.
function M.endpoints(timeout_ms)
  if endpoints then
    return endpoints
  end
  local session = require('aliasd.session')
  local result, err = session.request_sync('alias/endpoints', vim.empty_dict(), timeout_ms or config.options.completion_timeout_ms)
  if err or not util.nn(result) then
    return {}
  end
  endpoints = util.nn(result.endpoints) or {}
  return endpoints
end

local function template_pattern(path)
  local p = path:gsub('[%^%$%(%)%%%.%[%]%*%+%-%?]', '%%%0')
  p = p:gsub('{[^}]*}', '[^/]+')
  return '^' .. p .. '$'
end

--- The endpoint a concrete method + path belongs to, or nil.
function M.endpoint_for(method, path, list)
  path = util.api_path((path:gsub('%?.*$', '')))
  for _, ep in ipairs(list or M.endpoints()) do
    if ep.method == method and path:match(template_pattern(ep.path)) then
      return ep
    end
  end
  return nil
end

local function parse_flags(words, allowed)
  local flags, rest = {}, {}
  for _, w in ipairs(words) do
    local k, v = w:match('^%-%-([%w%-]+)=(.*)$')
    if k and allowed[k] then
      flags[k] = v
    else
      table.insert(rest, w)
    end
  end
  return flags, rest
end

local function positive_int(flags, name)
  local v = flags[name]
  if v == nil then
    return nil
  end
  local n = tonumber(v)
  if not n or n < 1 or n ~= math.floor(n) then
    return nil, ('--%s takes a whole number >= 1, got %q'):format(name, v)
  end
  return n
end

local sub = {}

sub.call = {
  desc = 'METHOD PATH [key=value ...] [--body=JSON|@file] [--cache=MODE] [--profile=NAME]',
  run = function(args)
    local req, err = util.parse_call(args)
    if not req then
      return usage('call: ' .. err .. '. Usage: :Aliasd call ' .. sub.call.desc)
    end
    require('aliasd').call({
      method = req.method,
      path = req.path,
      query = req.query,
      body = req.body,
      cache = req.flags.cache,
      profile = req.flags.profile,
    })
  end,
}

sub.paginate = {
  desc = '[GET] PATH [key=value ...] [--max-pages=N] [--max-items=N] [--profile=NAME]',
  run = function(args)
    local flags, rest = parse_flags(args, { ['max-pages'] = true, ['max-items'] = true, profile = true })
    local req, err = util.parse_call(rest, { default_method = 'GET', flags = {} })
    if not req then
      return usage('paginate: ' .. err .. '. Usage: :Aliasd paginate ' .. sub.paginate.desc)
    end
    if req.method ~= 'GET' then
      return usage('paginate: only GET list endpoints page, got ' .. req.method)
    end
    local pages, perr = positive_int(flags, 'max-pages')
    local items, ierr = positive_int(flags, 'max-items')
    if perr or ierr then
      return usage('paginate: ' .. (perr or ierr))
    end
    require('aliasd').paginate({
      path = req.path,
      query = req.query,
      maxPages = pages,
      maxItems = items,
      profile = flags.profile,
    })
  end,
}

sub.history = {
  desc = '[errors] [status=4xx|404|0] [path=/listings]',
  run = function(args)
    local filter = {}
    for _, a in ipairs(args) do
      local k, v = a:match('^(%w+)=(.*)$')
      if a == 'errors' then
        filter.errorsOnly = true
      elseif k == 'status' and (v:match('^[1-5][xX][xX]$') or v:match('^%d%d%d$') or v == '0') then
        filter.status = v:lower()
      elseif k == 'path' and v ~= '' then
        filter.path = v
      else
        return usage(('history: unknown argument %q. Usage: :Aliasd history %s'):format(a, sub.history.desc))
      end
    end
    require('aliasd').history(filter)
  end,
}

sub.errors = {
  desc = '',
  run = function(args)
    if #args > 0 then
      return usage('errors takes no arguments')
    end
    require('aliasd').errors()
  end,
}

sub.status = {
  desc = '',
  run = function()
    require('aliasd').status()
  end,
}

local token_sub = {
  add = function(a)
    if #a ~= 1 then
      return usage('usage: :Aliasd token add NAME (the token is asked for, never typed on the command line)')
    end
    require('aliasd.token').add(a[1])
  end,
  use = function(a)
    if #a ~= 1 then
      return usage('usage: :Aliasd token use NAME')
    end
    require('aliasd.token').use(a[1])
  end,
  list = function()
    require('aliasd.token').list()
  end,
  verify = function(a)
    require('aliasd.token').verify(a[1])
  end,
  remove = function(a)
    if #a ~= 1 then
      return usage('usage: :Aliasd token remove NAME')
    end
    require('aliasd.token').remove(a[1])
  end,
}

sub.token = {
  desc = 'add NAME | use NAME | list | verify [NAME] | remove NAME',
  run = function(args)
    local fn = token_sub[args[1] or '']
    if not fn then
      return usage('usage: :Aliasd token ' .. sub.token.desc)
    end
    fn(vim.list_slice(args, 2))
  end,
}

sub.cache = {
  desc = 'stats | clear [PATH-PREFIX]',
  run = function(args)
    local session = require('aliasd.session')
    if args[1] == 'stats' then
      session.request('alias/cache/stats', vim.empty_dict(), function(err, r)
        if err then
          return usage('cache stats: ' .. util.rpc_error(err))
        end
        r = util.nn(r) or {}
        util.notify(('cache: %s entries, %s bytes, %s hits, %s misses, %s revalidations, %s stale'):format(
          tostring(util.nn(r.entries)), tostring(util.nn(r.bytes)), tostring(util.nn(r.hits)),
          tostring(util.nn(r.misses)), tostring(util.nn(r.revalidations)), tostring(util.nn(r.staleServes))))
      end)
    elseif args[1] == 'clear' then
      local params = args[2] and { pathPrefix = util.api_path(args[2]) } or vim.empty_dict()
      session.request('alias/cache/clear', params, function(err, r)
        if err then
          return usage('cache clear: ' .. util.rpc_error(err))
        end
        util.notify(('cache: removed %s entries'):format(tostring(util.nn((util.nn(r) or {}).removed))))
      end)
    else
      usage('usage: :Aliasd cache ' .. sub.cache.desc)
    end
  end,
}

sub.log = {
  desc = '',
  run = function()
    local buf = util.scratch('aliasd://log', 'log')
    util.set_lines(buf, require('aliasd.session').log_lines())
    util.open_buffer(buf, 'split')
    vim.cmd('normal! G')
  end,
}

sub.cancel = {
  desc = '',
  run = function()
    local n = require('aliasd.session').cancel_all()
    util.notify(('cancelled %d request(s)'):format(n))
  end,
}

sub.restart = {
  desc = '',
  run = function()
    local ok, err = require('aliasd.session').restart()
    M.forget()
    if not ok then
      usage('restart: ' .. tostring(err))
    end
  end,
}

sub.stop = {
  desc = '',
  run = function()
    require('aliasd.session').stop()
    util.notify('stopped the aliasd bridge')
  end,
}

M.subcommands = sub

--- Run :Aliasd with the words after it.
---@param opts {fargs: string[]}
function M.run(opts)
  local args = opts.fargs or {}
  local name = args[1] or 'status'
  local cmd = sub[name]
  if not cmd then
    local names = vim.tbl_keys(sub)
    table.sort(names)
    return usage(('unknown subcommand %q; one of: %s'):format(name, table.concat(names, ', ')))
  end
  cmd.run(vim.list_slice(args, 2))
end

-- Completion ----------------------------------------------------------------

local function filter(list, lead)
  local out = {}
  for _, c in ipairs(list) do
    if vim.startswith(c, lead) then
      table.insert(out, c)
    end
  end
  table.sort(out)
  return out
end

local function paths_for(method, lead, paginated_only)
  local out, seen = {}, {}
  local full = lead:sub(1, 4) == '/api'
  for _, ep in ipairs(M.endpoints()) do
    if (not method or ep.method == method) and (not paginated_only or (util.nn(ep.pagination) or '') ~= '') then
      local p = full and ep.path or util.short_path(ep.path)
      if not seen[p] then
        seen[p] = true
        table.insert(out, p)
      end
    end
  end
  return filter(out, lead)
end

local function params_for(method, path, lead, extra)
  local out = vim.deepcopy(extra)
  local ep = M.endpoint_for(method, path)
  local key = lead:match('^([^=]+)=')
  if ep then
    for _, p in ipairs(util.nn(ep.params) or {}) do
      if p['in'] ~= 'path' then
        if key and key == p.name then
          for _, v in ipairs(util.nn(p.enum) or {}) do
            table.insert(out, p.name .. '=' .. v)
          end
          if util.nn(p.type) == 'bool' then
            table.insert(out, p.name .. '=true')
            table.insert(out, p.name .. '=false')
          end
        elseif not key then
          table.insert(out, p.name .. '=')
        end
      end
    end
  end
  if key == '--profile' then
    for _, n in ipairs(require('aliasd.token').names(config.options.completion_timeout_ms)) do
      table.insert(out, '--profile=' .. n)
    end
  end
  return filter(out, lead)
end

--- Completion for :Aliasd (customlist).
function M.complete(arglead, cmdline, cursorpos)
  local line = cmdline:sub(1, cursorpos)
  local words = vim.split(line, '%s+', { trimempty = false })
  -- words[1] is the command name; the last word is the one being completed.
  table.remove(words, 1)
  local n = #words
  local prev = vim.list_slice(words, 1, n - 1)
  if n <= 1 then
    local names = vim.tbl_keys(sub)
    return filter(names, arglead)
  end
  local name = prev[1]
  local ok, result = pcall(function()
    if name == 'token' then
      if n == 2 then
        return filter(vim.tbl_keys(token_sub), arglead)
      elseif n == 3 and (prev[2] == 'use' or prev[2] == 'remove' or prev[2] == 'verify') then
        return filter(require('aliasd.token').names(config.options.completion_timeout_ms), arglead)
      end
      return {}
    elseif name == 'call' then
      if n == 2 then
        return filter({ 'GET', 'POST', 'DELETE' }, arglead:upper())
      elseif n == 3 then
        return paths_for(prev[2]:upper(), arglead, false)
      end
      return params_for(prev[2]:upper(), prev[3], arglead, { '--body=', '--cache=', '--profile=' })
    elseif name == 'paginate' then
      local i = (prev[2] and prev[2]:upper() == 'GET') and 3 or 2
      if n == 2 then
        local out = paths_for('GET', arglead, true)
        if vim.startswith('GET', arglead:upper()) and arglead ~= '' then
          table.insert(out, 1, 'GET')
        end
        return out
      elseif n == i then
        return paths_for('GET', arglead, true)
      end
      return params_for('GET', prev[i], arglead, { '--max-pages=', '--max-items=', '--profile=' })
    elseif name == 'history' then
      return filter({ 'errors', 'status=2xx', 'status=4xx', 'status=5xx', 'path=' }, arglead)
    elseif name == 'cache' and n == 2 then
      return filter({ 'stats', 'clear' }, arglead)
    end
    return {}
  end)
  if not ok then
    return {}
  end
  return result
end

return M
