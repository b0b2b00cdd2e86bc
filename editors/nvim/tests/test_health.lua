-- :checkhealth aliasd: a working setup, a token the API refuses, a missing
-- binary.
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

local function checkhealth()
  H.cmd('checkhealth aliasd')
  local lines = H.lines(0)
  vim.cmd('tabclose')
  for _, l in ipairs(lines) do
    H.out('  | ' .. l)
  end
  return table.concat(lines, '\n')
end

H.run('health', function()
  H.load_plugin()
  H.capture_notify()
  local aliasd = require('aliasd')
  aliasd.setup(H.setup_opts())

  H.out('## no token yet')
  local out = checkhealth()
  H.contains(out, 'OK: found ' .. vim.env.ALIASD_BIN, 'health')
  H.contains(out, 'speaks protocol 1', 'health')
  H.ok(out:find('WARNING: tokens are stored in a file', 1, true) or out:find('WARNING: tokens are stored in a plain file', 1, true),
    'health warns about file storage')
  H.contains(out, 'WARNING: no active token, so the API was not called', 'health')
  H.contains(out, 'base URL: ' .. vim.env.ALIASD_BASE_URL, 'health')
  H.not_contains(out, 'ERROR', 'health')

  H.out('## a working token')
  H.add_token('work', assert(vim.env.ALIASD_TEST_TOKEN))
  H.request('alias/token/use', { name = 'work' })
  H.record_daemon_pid()
  out = checkhealth()
  H.ok(out:match('OK: API reachable, token work works %(200, request%-id %S+%)'), 'health reports the API reachable')
  H.not_contains(out, 'ERROR', 'health')

  H.out('## a token the API refuses')
  H.add_token('ghost', 'goatapi_' .. string.rep('0', 30))
  H.request('alias/token/use', { name = 'ghost' })
  out = checkhealth()
  H.ok(out:match('ERROR: token ghost rejected %(401%)'), 'health reports the token rejected')
  H.contains(out, 'ADVICE', 'health')

  H.out('## a missing binary')
  aliasd.setup(vim.tbl_deep_extend('force', H.setup_opts(), { cmd = { '/nonexistent/aliasd', 'stdio' } }))
  out = checkhealth()
  H.contains(out, 'ERROR: /nonexistent/aliasd is not executable or not on $PATH', 'health')
end)
