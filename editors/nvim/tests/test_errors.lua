-- :Aliasd errors after a call the token's scopes do not allow (403), and
-- with no failed calls at all.
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

H.run('errors', function()
  H.load_plugin()
  local log = H.capture_notify()
  local aliasd = require('aliasd')
  aliasd.setup(H.setup_opts())
  H.add_token('catalog-only', assert(vim.env.ALIASD_TEST_TOKEN_CATALOG))
  H.request('alias/token/use', { name = 'catalog-only' })
  H.record_daemon_pid()

  H.out('## no failed calls yet: an empty list and a message')
  local items
  aliasd.errors(function(_, i)
    items = i
  end)
  H.wait('errors with an empty history', function()
    return items
  end)
  H.eq(#items, 0, 'quickfix items with no failures')
  H.wait_notify(log, 'no failed calls in the history')
  H.eq(vim.fn.getqflist({ winid = 0 }).winid, 0, 'quickfix window with no failures')

  H.out('## a 403 from a token without the listings scope')
  H.cmd('Aliasd call GET /catalog query=dunk')
  H.wait_buffer('^aliasd://%d+ 200 GET /api/v1/catalog ')
  H.cmd('Aliasd call GET /listings page_size=2')
  local buf = H.wait_buffer('^aliasd://%d+ 403 GET /api/v1/listings ')
  local info = vim.api.nvim_buf_get_var(buf, 'aliasd')
  local detail = H.request('alias/history/get', { requestId = info.requestId })
  H.ok(detail.diagnostic and detail.diagnostic.title, 'the 403 has a diagnostic: ' .. vim.inspect(detail.diagnostic))

  H.cmd('Aliasd errors')
  local qf = H.wait('the quickfix list', function()
    local l = vim.fn.getqflist({ title = 1, items = 1, winid = 1 })
    if l.title == 'aliasd errors' and #l.items > 0 then
      return l
    end
    return nil
  end)
  H.eq(#qf.items, 1, 'quickfix items (the 200 is not an error)')
  local text = qf.items[1].text
  H.contains(text, '403 GET /api/v1/listings: ', 'quickfix text')
  H.contains(text, detail.diagnostic.title, 'quickfix text')
  if detail.diagnostic.hint and detail.diagnostic.hint ~= '' then
    H.contains(text, detail.diagnostic.hint, 'quickfix text')
  end
  H.contains(text, '[request-id ' .. info.requestId .. ']', 'quickfix text')
  H.eq(qf.items[1].type, detail.diagnostic.severity == 'warning' and 'W' or 'E', 'quickfix type')
  H.ok(qf.winid ~= 0, 'the quickfix window is open')
  H.eq(vim.bo[vim.api.nvim_win_get_buf(qf.winid)].buftype, 'quickfix', 'buftype of the opened window')
end)
