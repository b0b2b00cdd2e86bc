-- Unit checks that need no daemon: framing, options, arguments, times,
-- JSON display, completion of subcommands, the load guard.
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

H.run('unit', function()
  H.load_plugin()
  H.eq(vim.g.loaded_aliasd, 1, 'vim.g.loaded_aliasd after loading plugin/aliasd.lua')
  H.eq(vim.fn.exists(':Aliasd'), 2, 'exists(":Aliasd")')
  H.eq(package.loaded['aliasd.session'], nil, 'aliasd.session loaded before first use')
  -- The guard keeps a second source from redefining anything.
  vim.api.nvim_del_user_command('Aliasd')
  vim.cmd('runtime! plugin/aliasd.lua')
  H.eq(vim.fn.exists(':Aliasd'), 0, 'exists(":Aliasd") after a second source with the guard set')
  vim.g.loaded_aliasd = nil
  vim.cmd('runtime! plugin/aliasd.lua')
  H.eq(vim.fn.exists(':Aliasd'), 2, 'exists(":Aliasd") after sourcing again without the guard')

  local rpc = require('aliasd.rpc')

  H.out('## framing')
  do
    local cases = {
      { name = 'one frame', chunks = { rpc.encode({ id = 1, result = 'a' }) }, want = { 'a' }, errors = 0 },
      {
        name = 'two frames in one chunk',
        chunks = { rpc.encode({ id = 1, result = 'a' }) .. rpc.encode({ id = 2, result = 'b' }) },
        want = { 'a', 'b' },
        errors = 0,
      },
      {
        name = 'frame split byte by byte',
        chunks = vim.split(rpc.encode({ id = 1, result = 'é/ü' }), ''),
        want = { 'é/ü' },
        errors = 0,
      },
      {
        name = 'extra headers, lower-case name',
        chunks = { 'content-type: application/vscode-jsonrpc\r\ncontent-length: 14\r\n\r\n{"result":"x"}' },
        want = { 'x' },
        errors = 0,
      },
      {
        name = 'bad JSON body then a good frame',
        chunks = { 'Content-Length: 3\r\n\r\n{x}' .. rpc.encode({ result = 'ok' }) },
        want = { 'ok' },
        errors = 1,
      },
      {
        name = 'missing Content-Length then a good frame',
        chunks = { 'X-Thing: 1\r\n\r\n' .. rpc.encode({ result = 'after' }) },
        want = { 'after' },
        errors = 1,
      },
      {
        name = 'large body in many chunks',
        chunks = (function()
          local s = rpc.encode({ result = string.rep('z', 200000) })
          local parts = {}
          for i = 1, #s, 65536 do
            table.insert(parts, s:sub(i, i + 65535))
          end
          return parts
        end)(),
        want = { string.rep('z', 200000) },
        errors = 0,
      },
    }
    for _, c in ipairs(cases) do
      local got, errors = {}, 0
      local feed = rpc.decoder(function(m)
        table.insert(got, m.result)
      end, function()
        errors = errors + 1
      end)
      for _, ch in ipairs(c.chunks) do
        feed(ch)
      end
      if #c.want > 0 and #c.want[1] > 100 then
        H.eq(#got == 1 and #got[1] or -1, #c.want[1], c.name .. ': length of decoded result')
      else
        H.eq(got, c.want, c.name .. ': decoded results')
      end
      H.eq(errors, c.errors, c.name .. ': errors')
    end
    -- Oversized header without a terminator is dropped with an error.
    local errors = 0
    local feed = rpc.decoder(function() end, function()
      errors = errors + 1
    end)
    feed(string.rep('a', rpc.max_header_bytes + 1))
    H.eq(errors, 1, 'header without end beyond the cap: errors')
  end

  H.out('## options')
  do
    local config = require('aliasd.config')
    local merged, warnings = config.merge({ history = { page_size = 5, keymaps = { yank = 'Y', rerun = false } } })
    H.eq(merged.history.page_size, 5, 'merge: history.page_size')
    H.eq(merged.history.keymaps.yank, 'Y', 'merge: history.keymaps.yank')
    H.eq(merged.history.keymaps.rerun, false, 'merge: history.keymaps.rerun')
    H.eq(merged.history.keymaps.details, '<CR>', 'merge: untouched default history.keymaps.details')
    H.eq(merged.cmd, { 'aliasd', 'stdio' }, 'merge: default cmd')
    H.eq(warnings, {}, 'merge: warnings for known options')
    merged = config.merge({ cmd = { '/x/aliasd', 'stdio', '--flag' } })
    H.eq(merged.cmd, { '/x/aliasd', 'stdio', '--flag' }, 'merge: cmd replaces the list')
    local _, w = config.merge({ colour = 'red', history = { pagesize = 1 } })
    H.eq(w, { 'unknown option "colour"', 'unknown option "history.pagesize"' }, 'merge: unknown options warned')
    local bad = {
      { name = 'cmd empty', opts = { cmd = {} }, want = 'option cmd must be a non-empty list' },
      { name = 'cmd string', opts = { cmd = 'aliasd stdio' }, want = 'option cmd must be a non-empty list' },
      { name = 'page_size zero', opts = { history = { page_size = 0 } }, want = 'option history.page_size must be an integer from 1 to 1000' },
      { name = 'page_size string', opts = { history = { page_size = '10' } }, want = 'option history.page_size' },
      { name = 'open mode', opts = { response = { open = 'float' } }, want = 'option response.open must be split, vsplit, tab or current' },
      { name = 'progress', opts = { progress = 'popup' }, want = 'option progress must be "notify", "echo" or false' },
      { name = 'keymap empty', opts = { history = { keymaps = { yank = '' } } }, want = 'option history.keymaps.yank' },
      { name = 'env value', opts = { env = { A = {} } }, want = 'option env must be a table of NAME = "value" strings' },
      { name = 'history not table', opts = { history = 3 }, want = 'option history must be a table' },
      { name = 'not a table', opts = 'x', want = 'setup() takes a table' },
    }
    for _, c in ipairs(bad) do
      local ok, err = pcall(config.merge, c.opts)
      H.eq(ok, false, c.name .. ': merge accepted')
      H.contains(tostring(err), c.want, c.name .. ': error')
    end
    -- A failed setup keeps the previous options.
    local aliasd = require('aliasd')
    aliasd.setup({ history = { page_size = 7 } })
    pcall(aliasd.setup, { history = { page_size = -1 } })
    H.eq(config.options.history.page_size, 7, 'options after a rejected setup')
  end

  H.out('## arguments')
  do
    local util = require('aliasd.util')
    local cases = {
      {
        name = 'GET with query',
        words = { 'GET', '/catalog', 'query=dunk', 'limit=5' },
        want = { method = 'GET', path = '/api/v1/catalog', query = { query = 'dunk', limit = '5' } },
      },
      {
        name = 'lower-case method, full path',
        words = { 'get', '/api/v1/catalog/abc' },
        want = { method = 'GET', path = '/api/v1/catalog/abc', query = {} },
      },
      {
        name = 'repeated key and JSON value',
        words = { 'GET', 'listings', 'facet_filters=status:active', 'facet_filters=consigned:false', 'page_size:=2' },
        want = {
          method = 'GET',
          path = '/api/v1/listings',
          query = { facet_filters = { 'status:active', 'consigned:false' }, page_size = 2 },
        },
      },
      {
        name = 'query string in the path',
        words = { 'GET', '/catalog?query=air%20max&limit=2' },
        want = { method = 'GET', path = '/api/v1/catalog', query = { query = 'air max', limit = '2' } },
      },
      {
        name = 'body and cache flags',
        words = { 'POST', '/listings/batch_create', '--body={"items":[]}', '--cache=no-cache' },
        want = { method = 'POST', path = '/api/v1/listings/batch_create', query = {}, body = { items = {} }, cache = 'no-cache' },
      },
    }
    for _, c in ipairs(cases) do
      local req, err = util.parse_call(c.words)
      H.eq(err, nil, c.name .. ': error')
      H.eq({ method = req.method, path = req.path, query = req.query, body = req.body, cache = req.flags.cache }, c.want,
        c.name .. ': parse_call')
    end
    local bad = {
      { name = 'nothing', words = {}, want = 'expected a method' },
      { name = 'no path', words = { 'GET' }, want = 'expected a path' },
      { name = 'not key=value', words = { 'GET', '/catalog', 'dunk' }, want = 'expected key=value, got "dunk"' },
      { name = 'bad JSON value', words = { 'GET', '/catalog', 'limit:=x' }, want = 'limit:= takes JSON' },
      { name = 'bad body', words = { 'POST', '/x', '--body={' }, want = '--body is not valid JSON' },
      { name = 'unknown flag', words = { 'GET', '/x', '--colour=1' }, want = 'unknown option --colour' },
      { name = 'bad cache', words = { 'GET', '/x', '--cache=always' }, want = '--cache must be' },
    }
    for _, c in ipairs(bad) do
      local req, err = util.parse_call(c.words)
      H.eq(req, nil, c.name .. ': request')
      H.contains(err, c.want, c.name .. ': error')
    end
    H.eq(util.query_map('a=1&b=x%2Fy&a=2&c'), { a = { '1', '2' }, b = 'x/y', c = '' }, 'query_map')
    H.eq(util.short_path('/api/v1/catalog/{id}'), '/catalog/{id}', 'short_path')
  end

  H.out('## times')
  do
    local util = require('aliasd.util')
    local cases = {
      { '1970-01-01T00:00:00Z', 0 },
      { '2000-03-01T00:00:00Z', 951868800 },
      { '2025-12-09T18:24:08.701Z', 1765304648.701 },
      { '2025-12-09T20:24:08+02:00', 1765304648 },
      { '2024-02-29T23:59:59.5-01:00', 1709254799.5 },
      { 'yesterday', nil },
      { '2025-12-09T18:24:08', nil },
    }
    for _, c in ipairs(cases) do
      local got = util.parse_time(c[1])
      if got and c[2] then
        got = math.floor(got * 1000 + 0.5) / 1000
      end
      H.eq(got, c[2], ('parse_time(%q)'):format(c[1]))
    end
    local now = 1000000
    for _, c in ipairs({ { 0, 'now' }, { 4, 'now' }, { 42, '42s ago' }, { 300, '5m ago' }, { 7200, '2h ago' }, { 200000, '2d ago' }, { -30, 'now' } }) do
      H.eq(util.relative(now - c[1], now), c[2], ('relative(now - %d)'):format(c[1]))
    end
  end

  H.out('## JSON display')
  do
    local util = require('aliasd.util')
    local v = vim.json.decode('{"b":[1,null,{"x":"a/b"}],"a":{},"c":[],"d":"q\\"uote","e":false,"f":10.5}')
    H.eq(util.json_lines(v), {
      '{',
      '  "a": {},',
      '  "b": [',
      '    1,',
      '    null,',
      '    {',
      '      "x": "a/b"',
      '    }',
      '  ],',
      '  "c": [],',
      '  "d": "q\\"uote",',
      '  "e": false,',
      '  "f": 10.5',
      '}',
    }, 'json_lines of a mixed document')
    H.eq(util.json_lines(vim.json.decode('[]')), { '[]' }, 'json_lines of []')
    H.eq(util.json_lines('a/b'), { '"a/b"' }, 'json_lines of a string')
    -- What it prints parses back to the same value.
    local round = vim.json.decode(table.concat(util.json_lines(v), '\n'))
    H.eq(round.b[3].x, 'a/b', 'json_lines round trip')
  end

  H.out('## history formatting and filters')
  do
    local history = require('aliasd.views.history')
    local e = {
      id = '7', time = '1970-01-12T13:46:00Z', method = 'GET', path = '/api/v1/listings', status = 403,
      requestId = 'req-abc', diagnostic = { severity = 'error', title = 'Token lacks the listings scope' },
    }
    local text = history.format(e, 20, 1000000)
    H.eq(text, '40s ago  403  GET     /api/v1/listings      req-abc  Token lacks the listings scope', 'format(entry)')
    local m = history.matches
    H.eq(m({ errorsOnly = true }, e), true, 'matches errorsOnly 403')
    H.eq(m({ errorsOnly = true }, { status = 200 }), false, 'matches errorsOnly 200')
    H.eq(m({ errorsOnly = true }, { status = 0 }), true, 'matches errorsOnly 0 (no response)')
    H.eq(m({ status = '4xx' }, e), true, 'matches 4xx 403')
    H.eq(m({ status = '5xx' }, e), false, 'matches 5xx 403')
    H.eq(m({ status = '403' }, e), true, 'matches 403 403')
    H.eq(m({ path = 'listings' }, e), true, 'matches path listings')
    H.eq(m({ path = '/api/v1/catalog' }, e), false, 'matches path catalog')
    H.eq(m({ path = '/list' }, e), true, 'matches path prefix /list')
    H.eq(m({ path = '/api/v1/listings/' }, e), false, 'matches path /api/v1/listings/ (below it only)')
    H.eq(m({ errorsOnly = true }, { status = 200, diagnostic = { severity = 'error' } }), true, 'matches errorsOnly 200 with an error diagnostic')
    H.eq(m({ errorsOnly = true }, { status = 200, diagnostic = { severity = 'warning' } }), false, 'matches errorsOnly 200 with a warning')
    H.eq(history.normalize_path('listings?x=1'), '/api/v1/listings', 'normalize_path')
    local item = require('aliasd.views.errors').item(e)
    H.contains(item.text, '403 GET /api/v1/listings: Token lacks the listings scope [request-id req-abc]', 'quickfix text')
    H.eq(item.type, 'E', 'quickfix type')
  end

  H.out('## progress')
  do
    local p = require('aliasd.views.progress')
    H.eq(p.format('t', { kind = 'begin', title = 'Paginating /listings' }), 'aliasd: Paginating /listings', 'progress begin')
    H.eq(p.format('t', { kind = 'report', message = 'page 2', percentage = 40 }), 'aliasd: Paginating /listings: page 2 (40%)', 'progress report')
    H.eq(p.format('t', { kind = 'end', message = '3 pages' }), 'aliasd: Paginating /listings: 3 pages', 'progress end')
  end

  H.out('## completion without a daemon')
  do
    local complete = require('aliasd.commands').complete
    H.eq(complete('', 'Aliasd ', 7), { 'cache', 'call', 'cancel', 'errors', 'history', 'log', 'paginate', 'restart', 'status', 'stop', 'token' },
      'complete("Aliasd ")')
    H.eq(complete('to', 'Aliasd to', 9), { 'token' }, 'complete("Aliasd to")')
    H.eq(complete('', 'Aliasd token ', 13), { 'add', 'list', 'remove', 'use', 'verify' }, 'complete("Aliasd token ")')
    H.eq(complete('g', 'Aliasd call g', 13), { 'GET' }, 'complete("Aliasd call g")')
    H.eq(complete('e', 'Aliasd history e', 16), { 'errors' }, 'complete("Aliasd history e")')
    H.eq(vim.fn.getcompletion('Aliasd hi', 'cmdline'), { 'history' }, 'getcompletion("Aliasd hi", "cmdline")')
  end

  H.out('## a missing binary is a clear error, not a crash')
  do
    local log = H.capture_notify()
    require('aliasd').setup({ cmd = { '/nonexistent/aliasd', 'stdio' } })
    vim.cmd('Aliasd status')
    local m = H.wait_notify(log, 'not found')
    H.contains(m.msg, '/nonexistent/aliasd not found on $PATH', 'status with a missing binary: message')
    vim.cmd('Aliasd call GET')
    m = H.wait_notify(log, 'call:')
    H.contains(m.msg, 'expected a path such as /catalog after GET', 'call without a path: message')
    vim.cmd('Aliasd frobnicate')
    m = H.wait_notify(log, 'unknown subcommand')
    H.contains(m.msg, 'unknown subcommand "frobnicate"', 'unknown subcommand: message')
  end
end)
