-- :Aliasd paginate with $/progress, and its argument checks.
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

H.run('paginate', function()
  H.load_plugin()
  local log = H.capture_notify()
  local aliasd = require('aliasd')
  aliasd.setup(H.setup_opts())
  H.add_token('work', assert(vim.env.ALIASD_TEST_TOKEN))
  H.request('alias/token/use', { name = 'work' })
  H.record_daemon_pid()

  H.out('## bad arguments')
  H.cmd('Aliasd paginate POST /listings')
  H.wait_notify(log, 'only GET list endpoints page')
  H.cmd('Aliasd paginate /listings --max-pages=0')
  H.wait_notify(log, '--max-pages takes a whole number >= 1, got "0"')

  H.out('## three pages of two listings')
  H.cmd('Aliasd paginate GET /listings page_size=2 --max-pages=3')
  local buf = H.wait_buffer('^aliasd://%d+ PAGINATE /api/v1/listings ')
  local info = vim.api.nvim_buf_get_var(buf, 'aliasd')
  H.eq(vim.bo[buf].filetype, 'json', 'paginate filetype')
  local items = vim.json.decode(table.concat(H.lines(buf), '\n'))
  H.eq(#items, info.items, 'items in the buffer = b:aliasd.items')
  H.ok(info.pages >= 1 and info.pages <= 3, 'pages within --max-pages: ' .. tostring(info.pages))
  H.eq(#info.requestIds, info.pages, 'one request ID per page')
  H.ok(#items <= 6, 'at most 3 pages of 2 items: ' .. #items)
  if info.pages == 3 then
    H.eq(#items, 6, 'items of 3 full pages')
  end
  H.wait_notify(log, '/api/v1/listings: ' .. #items .. ' items from ' .. info.pages .. ' pages')

  local progress = {}
  for _, m in ipairs(log) do
    if tostring(m.msg):find('^aliasd: ') and not tostring(m.msg):find('items from') and m.level == vim.log.levels.INFO then
      table.insert(progress, m.msg)
    end
  end
  if #progress == 0 then
    H.skip('$/progress during paginate', 'the daemon sent no $/progress for the workDoneToken')
  else
    H.ok(#progress >= 2, ('%d progress messages: %s'):format(#progress, table.concat(progress, ' | ')))
  end

  H.out('## progress can go to echo instead')
  aliasd.setup(vim.tbl_deep_extend('force', H.setup_opts(), { progress = 'echo' }))
  local echoed = {}
  local real_echo = vim.api.nvim_echo
  vim.api.nvim_echo = function(chunks, hist, o)
    table.insert(echoed, chunks[1][1])
    return real_echo(chunks, hist, o)
  end
  local done
  aliasd.paginate({ path = '/catalog', query = { query = 'dunk', limit = '1' }, maxPages = 2 }, function(err, res)
    done = { err = err, res = res }
  end)
  H.wait('paginate /catalog', function()
    return done
  end)
  vim.api.nvim_echo = real_echo
  H.eq(done.err, nil, 'paginate /catalog error')
  H.ok(done.res.pages >= 1, 'paginate /catalog pages: ' .. tostring(done.res.pages))
  if #progress > 0 then
    H.ok(#echoed >= 1, 'progress echoed: ' .. table.concat(echoed, ' | '))
  end
end)
