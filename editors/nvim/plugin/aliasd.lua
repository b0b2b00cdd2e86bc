-- aliasd: the alias marketplace API through the aliasd daemon.
-- Defines :Aliasd only; every module loads on first use.
if vim.g.loaded_aliasd then
  return
end
vim.g.loaded_aliasd = 1

if vim.fn.has('nvim-0.7.2') ~= 1 then
  vim.api.nvim_err_writeln('aliasd: Neovim 0.7.2 or newer is required')
  return
end

vim.api.nvim_create_user_command('Aliasd', function(opts)
  require('aliasd.commands').run(opts)
end, {
  nargs = '*',
  desc = 'aliasd: call the alias API, tokens, history, errors',
  complete = function(arglead, cmdline, cursorpos)
    return require('aliasd.commands').complete(arglead, cmdline, cursorpos)
  end,
})
