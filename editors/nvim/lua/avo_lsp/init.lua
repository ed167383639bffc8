--- avo-lsp for Neovim 0.11+, as a function: `require('avo_lsp').setup(opts)`.
---
--- The server's configuration itself lives in `lsp/avo_lsp.lua` (on the runtimepath next
--- to this folder); `setup` only merges `opts` into it with `vim.lsp.config()`, enables
--- it, and adds `:AvoGenerate` and, if asked, generation on save.
---
---   require('avo_lsp').setup({
---     cmd = { vim.fn.expand('~/src/shop/.venv/bin/avo-lsp'), 'serve' }, -- or just the path
---     settings = { avo = { regenerate = 'off', severity = { ['missing-user-id'] = 'warning' } } },
---     generate_on_save = true, -- run avo.generate after each :write of avo.yaml/avo.yml
---   })

local M = {}

M.name = 'avo_lsp'
M.command = 'avo.generate'
M.plan_patterns = { 'avo.yaml', 'avo.yml' }

local function notify(message, level)
  vim.notify(message, level or vim.log.levels.INFO, { title = 'avo-lsp' })
end

--- The avo_lsp client for a buffer: the one attached to it, else (unless `attached_only`)
--- any running one.
---@param bufnr? integer
---@param attached_only? boolean
---@return vim.lsp.Client?
function M.client(bufnr, attached_only)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local clients = vim.lsp.get_clients({ bufnr = bufnr, name = M.name })
  if #clients == 0 and not attached_only then
    clients = vim.lsp.get_clients({ name = M.name })
  end
  return clients[1]
end

local function summary(result)
  if type(result) ~= 'table' then
    return 'Avo: generated'
  end
  local written = result.written or {}
  local parts = {}
  if #written > 0 then
    local names = vim.tbl_map(function(path)
      return vim.fn.fnamemodify(path, ':~:.')
    end, written)
    table.insert(parts, 'wrote ' .. table.concat(names, ', '))
  end
  if result.unchanged and #result.unchanged > 0 then
    table.insert(parts, #result.unchanged .. ' unchanged')
  end
  if result.refused and #result.refused > 0 then
    table.insert(parts, 'refused ' .. table.concat(result.refused, ', '))
  end
  return 'Avo: ' .. (#parts > 0 and table.concat(parts, '; ') or 'nothing to generate')
end

--- Regenerate the tracking code now (the server's `avo.generate` command).
---@param opts? { bufnr?: integer, attached_only?: boolean, silent?: boolean, on_done?: fun(err: lsp.ResponseError?, result: any) }
function M.generate(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr, opts.attached_only)
  if not client then
    if not opts.silent then
      notify('avo-lsp is not running (:checkhealth vim.lsp)', vim.log.levels.WARN)
    end
    return
  end
  client:exec_cmd({ title = 'Avo: generate code', command = M.command, arguments = {} }, { bufnr = bufnr }, function(err, result)
    if err then
      notify('Avo: generate failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    elseif not opts.silent then
      notify(summary(result))
    end
    if opts.on_done then
      opts.on_done(err, result)
    end
  end)
end

--- Run `avo.generate` after every write of the plan. Belt and braces for setups where the
--- server's own didSave handling is off (`regenerate = 'off'`: generate on save only,
--- never from the server's file watching), or where it did not see the save.
---@param opts? { pattern?: string|string[], silent?: boolean }
---@return integer autocmd id
function M.generate_on_save(opts)
  opts = opts or {}
  local group = vim.api.nvim_create_augroup('avo_lsp_generate_on_save', { clear = true })
  return vim.api.nvim_create_autocmd('BufWritePost', {
    group = group,
    pattern = opts.pattern or M.plan_patterns,
    desc = 'avo-lsp: regenerate the tracking code',
    callback = function(args)
      -- Only the server of this plan's project: another folder's avo.yaml is not ours.
      M.generate({ bufnr = args.buf, attached_only = true, silent = opts.silent ~= false })
    end,
  })
end

--- Configure (merging `opts` into lsp/avo_lsp.lua) and enable the server.
---@param opts? vim.lsp.Config|{ cmd?: string|string[], generate_on_save?: boolean|{ pattern?: string|string[], silent?: boolean }, enable?: boolean }
function M.setup(opts)
  opts = vim.deepcopy(opts or {})
  local on_save = opts.generate_on_save
  local enable = opts.enable ~= false
  opts.generate_on_save, opts.enable = nil, nil
  if type(opts.cmd) == 'string' then
    opts.cmd = { opts.cmd, 'serve' } -- the path of the avo-lsp executable
  end
  if next(opts) ~= nil then
    vim.lsp.config(M.name, opts)
  end
  if enable then
    vim.lsp.enable(M.name)
  end
  vim.api.nvim_create_user_command('AvoGenerate', function()
    M.generate()
  end, { desc = 'avo-lsp: regenerate the tracking code from the plan', force = true })
  if on_save then
    M.generate_on_save(type(on_save) == 'table' and on_save or nil)
  end
end

return M
