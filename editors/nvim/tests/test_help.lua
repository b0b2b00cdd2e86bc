-- :help aliasd resolves after :helptags on a temporary copy of doc/, and
-- every |reference| in the document resolves too.
local H = dofile(vim.env.ALIASD_NVIM_TESTS .. '/helpers.lua')

H.run('help', function()
  local tmp = vim.fn.tempname()
  vim.fn.mkdir(tmp .. '/doc', 'p')
  local text = H.read(H.plugin_dir .. '/doc/aliasd.txt')
  H.ok(text and #text > 0, 'doc/aliasd.txt is readable')
  local f = assert(io.open(tmp .. '/doc/aliasd.txt', 'wb'))
  f:write(text)
  f:close()
  vim.opt.runtimepath:append(tmp)
  local ok, err = pcall(vim.cmd, 'helptags ' .. vim.fn.fnameescape(tmp .. '/doc'))
  H.ok(ok, 'helptags without errors (no duplicate tags)' .. (ok and '' or (': ' .. tostring(err))))
  local tags = H.read(tmp .. '/doc/tags') or ''
  for _, tag in ipairs({ 'aliasd', 'aliasd.txt', ':Aliasd', 'aliasd-config', 'aliasd-history', 'aliasd.setup()', ':Aliasd-token-add', 'aliasd-health' }) do
    H.ok(tags:find('\n' .. vim.pesc(tag) .. '\t', 1) or tags:find('^' .. vim.pesc(tag) .. '\t'), 'tags file has ' .. tag)
  end

  vim.cmd('help aliasd')
  H.eq(vim.bo.filetype, 'help', ':help aliasd: filetype')
  H.contains(vim.api.nvim_buf_get_name(0), tmp .. '/doc/aliasd.txt', ':help aliasd: buffer')
  H.contains(vim.api.nvim_get_current_line(), '*aliasd*', ':help aliasd: cursor line')
  vim.cmd('helpclose')

  vim.cmd('help :Aliasd-history')
  H.contains(vim.api.nvim_get_current_line(), '*:Aliasd-history*', ':help :Aliasd-history: cursor line')
  vim.cmd('helpclose')

  -- Every |link| in the document resolves: ours via the tags file, the
  -- rest in Neovim's own help.
  local seen, count = {}, 0
  for line in text:gmatch('[^\n]+') do
    -- Skip example blocks' content is not needed: links there are rare and
    -- still must resolve.
    for ref in line:gmatch('|([^|%s]+)|') do
      if not seen[ref] then
        seen[ref] = true
        count = count + 1
        local rok, rerr = pcall(vim.cmd, 'help ' .. vim.fn.escape(ref, ' '))
        H.ok(rok, ('|%s| resolves%s'):format(ref, rok and '' or (': ' .. tostring(rerr))))
        pcall(vim.cmd, 'helpclose')
      end
    end
  end
  H.ok(count >= 10, ('the document links to %d tags'):format(count))
end)
