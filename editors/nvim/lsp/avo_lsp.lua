--- avo-lsp: the language server for Avo-style tracking plans (avo.yaml).
---
--- Neovim 0.11+ reads this file from the runtimepath (`lsp/avo_lsp.lua`):
---
---   vim.lsp.enable('avo_lsp')
---
--- Override any field, the command included, with `vim.lsp.config()` (it merges):
---
---   vim.lsp.config('avo_lsp', {
---     cmd = { vim.fn.expand('~/src/shop/.venv/bin/avo-lsp'), 'serve' },
---     settings = { avo = { regenerate = 'onChange' } },
---   })
---
--- The server attaches to Python, TypeScript and JavaScript buffers under a folder that has
--- an `avo.yaml`/`avo.yml`, and to the plan file itself; never to any other YAML file.
--- See editors/nvim/README.md.

local plan_names = { 'avo.yaml', 'avo.yml' }

--- The `planPath` setting from the resolved config, if the user set one.
local function configured_plan_path()
  local ok, config = pcall(function()
    return vim.lsp.config.avo_lsp
  end)
  local path = ok and config and vim.tbl_get(config, 'settings', 'avo', 'planPath') or nil
  if type(path) == 'string' and path ~= '' then
    return path
  end
  return nil
end

local function absolute(path, root)
  path = vim.fs.normalize(path)
  if not vim.startswith(path, '/') and not path:match('^%a:[/\\]') then
    path = vim.fs.joinpath(root, path)
  end
  return vim.fs.normalize(vim.fn.fnamemodify(path, ':p'))
end

return {
  cmd = { 'avo-lsp', 'serve' },
  filetypes = { 'python', 'typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'yaml' },
  -- Documentation of where the workspace root is; `root_dir` below applies it, and also
  -- keeps the server away from YAML files other than the plan.
  root_markers = plan_names,

  ---@param bufnr integer
  ---@param on_dir fun(root_dir?: string)
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if name == '' then
      return
    end
    local plan_path = configured_plan_path()
    local root = vim.fs.root(bufnr, plan_names)
    if not root and plan_path then
      -- A plan with another name (settings.avo.planPath): the project's root instead.
      root = vim.fs.root(bufnr, { '.git', 'pyproject.toml', 'package.json' })
    end
    if not root then
      return -- no plan in sight: do not start
    end
    if vim.bo[bufnr].filetype == 'yaml' then
      local is_plan = vim.list_contains(plan_names, vim.fs.basename(name))
      if plan_path then
        is_plan = absolute(plan_path, root) == vim.fs.normalize(vim.fn.fnamemodify(name, ':p'))
      end
      if not is_plan then
        return -- any other YAML file: not ours
      end
    end
    on_dir(root)
  end,

  -- Answered on workspace/configuration (section `avo`); the server's defaults.
  settings = {
    avo = {
      regenerate = 'onSave', -- 'onSave' | 'onChange' | 'off'
      debounceMs = 100,
      severity = vim.empty_dict(), -- e.g. { ['missing-user-id'] = 'warning', ['unknown-event'] = 'off' }
      -- planPath = 'tracking/plan.yaml', -- relative to the root, or absolute
    },
  },
  -- Sent as initializationOptions, merged with settings.avo (settings win): the server
  -- reads both and a client without workspace/configuration still gets the settings.
  init_options = {},

  before_init = function(params, config)
    local avo = vim.tbl_get(config, 'settings', 'avo') or {}
    params.initializationOptions = vim.tbl_deep_extend('force', config.init_options or {}, avo)
  end,
}
