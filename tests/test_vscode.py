"""The VS Code extension in editors/vscode.

- build, type-check, lint, unit tests (node --test) and `vsce package`, then the .vsix's
  manifest and contents, and that its settings agree with the server's;
- marked `e2e_vscode`: a real VS Code (code-server in headless Chromium) with the .vsix
  installed, on a copy of examples/shop (scripts/e2e.mjs). It runs only when selected,
  `pytest -m e2e_vscode` or AVO_E2E_VSCODE=1, since it downloads code-server once
  (~1-2 min) and needs /usr/bin/chromium.

Needs node and npm on PATH (the npm registry for `npm ci` when node_modules is missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
EXT = REPO / "editors" / "vscode"
VSIX = EXT / "avo-lsp.vsix"
SCHEMA = REPO / "avo_lsp" / "schema" / "avo-plan.schema.json"
EXAMPLE = REPO / "examples" / "shop"
# A Python file of the example with a server call that passes no user id.
EXAMPLE_CALL_FILE = "backend/orders.py"
# A generated file the e2e test deletes before "Avo: Generate code", which writes it back.
EXAMPLE_STALE_FILE = "backend/analytics/avo.py"
CHROMIUM = Path("/usr/bin/chromium")

COMMANDS = {"avo.generate": "Generate code", "avo.showStatus": "Show implementation status", "avo.restart": "Restart server"}
SETTINGS = {"avo.server.command", "avo.planPath", "avo.regenerate", "avo.severity", "avo.debounceMs"}


def run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    if shutil.which(args[0]) is None:
        pytest.fail(f"`{args[0]}` is not on PATH: the VS Code extension's tests need Node.js and npm")
    start = time.monotonic()
    proc = subprocess.run(args, cwd=EXT, capture_output=True, text=True, timeout=timeout)
    print(f"$ {' '.join(args)}  ({time.monotonic() - start:.1f}s)")
    if proc.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` failed (exit {proc.returncode}) in {EXT}:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
    return proc


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """`npm ci` when node_modules is missing or older than package-lock.json."""
    marker = EXT / "node_modules" / ".package-lock.json"
    lock = EXT / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600)
    return EXT / "node_modules"


@pytest.fixture(scope="module")
def vsix(node_modules: Path) -> Path:
    """`npm run package`: esbuild bundle, schema copy, vsce package."""
    VSIX.unlink(missing_ok=True)
    run(["npm", "run", "package"])
    assert VSIX.is_file()
    return VSIX


@pytest.fixture(scope="module")
def manifest(vsix: Path) -> dict:
    with zipfile.ZipFile(vsix) as z:
        return json.loads(z.read("extension/package.json"))


def test_typecheck(node_modules: Path) -> None:
    run(["npm", "run", "--silent", "typecheck"])


def test_lint(node_modules: Path) -> None:
    run(["npm", "run", "--silent", "lint"])


def test_unit_tests(node_modules: Path) -> None:
    out = run(["npm", "test"]).stdout
    assert "fail 0" in out, out[-3000:]


def test_manifest_identity_and_activation(manifest: dict) -> None:
    assert manifest["name"] == "avo-lsp"
    assert manifest["publisher"] == "avo-lsp"
    assert manifest["main"] == "./out/extension.js"
    assert set(manifest["activationEvents"]) >= {"workspaceContains:**/avo.yaml", "workspaceContains:**/avo.yml"}
    assert manifest["dependencies"] == {"vscode-languageclient": manifest["dependencies"]["vscode-languageclient"]}
    assert manifest["dependencies"]["vscode-languageclient"].startswith("^9")


def test_manifest_commands(manifest: dict) -> None:
    commands = {c["command"]: c for c in manifest["contributes"]["commands"]}
    for command, title in COMMANDS.items():
        assert commands[command]["title"] == title
        assert commands[command]["category"] == "Avo"


def test_manifest_settings_agree_with_the_server(manifest: dict) -> None:
    from avo_lsp.analysis.checks import DEFAULT_SEVERITY
    from avo_lsp.plan import PLAN_ERROR_CODES
    from avo_lsp.settings import MAX_DEBOUNCE_MS, REGENERATE_MODES, SEVERITIES, Settings

    props = manifest["contributes"]["configuration"]["properties"]
    assert set(props) >= SETTINGS
    assert set(props["avo.server.command"]["type"]) >= {"array", "string"}
    assert props["avo.regenerate"]["enum"] == list(REGENERATE_MODES)
    assert props["avo.regenerate"]["default"] == Settings().regenerate
    assert props["avo.debounceMs"]["default"] == Settings().debounce_ms
    assert props["avo.debounceMs"]["maximum"] == MAX_DEBOUNCE_MS
    severity = props["avo.severity"]
    assert severity["definitions"]["severity"]["enum"] == list(SEVERITIES)
    assert set(severity["properties"]) == set(DEFAULT_SEVERITY) | set(PLAN_ERROR_CODES)


def test_vsix_contents(vsix: Path, manifest: dict) -> None:
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        bundle = z.read("extension/out/extension.js").decode()
        [validation] = manifest["contributes"]["yamlValidation"]
        assert set(validation["fileMatch"]) == {"avo.yaml", "avo.yml"}
        schema_path = "extension/" + validation["url"].removeprefix("./")
        assert schema_path in names
        assert json.loads(z.read(schema_path)) == json.loads(SCHEMA.read_text())
    assert {"extension/readme.md", "extension/LICENSE.txt", "extension.vsixmanifest"} <= names
    # Bundled: the language client is inside out/extension.js, not in node_modules.
    assert not any(n.startswith("extension/node_modules/") or n.startswith("extension/src/") for n in names), sorted(names)
    assert 'require("vscode-languageclient' not in bundle
    assert "LanguageClient" in bundle


# -- a real VS Code ---------------------------------------------------------------------


def _e2e_selected(config: pytest.Config) -> bool:
    markexpr = config.getoption("markexpr", "") or ""
    return os.environ.get("AVO_E2E_VSCODE") == "1" or ("e2e_vscode" in markexpr and "not e2e_vscode" not in markexpr)


def _expected_generate_message() -> str:
    """What "Avo: Generate code" says once EXAMPLE_STALE_FILE was deleted: the files of the
    plan's sources, in the plan's order, relative to the workspace."""
    plan = yaml.safe_load((EXAMPLE / "avo.yaml").read_text())
    paths = [s["path"] for s in plan["sources"].values()]
    assert EXAMPLE_STALE_FILE in paths
    unchanged = [p for p in paths if p != EXAMPLE_STALE_FILE]
    return f"Avo: wrote {EXAMPLE_STALE_FILE}; unchanged: {', '.join(unchanged)}."


def _expected_status(tmp_path: Path) -> tuple[str, int]:
    """`avo-lsp status` on a fresh copy of the example: what the Avo Status channel shows."""
    copy = tmp_path / "status-copy"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "avo_lsp", "status"], cwd=copy, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip(), proc.stderr
    return proc.stdout, proc.returncode


def _expected_completions() -> list[str]:
    """The event functions of the example's Python server source."""
    from avo_lsp.names import identifier

    plan = yaml.safe_load((EXAMPLE / "avo.yaml").read_text())
    python_sources = {name for name, s in plan["sources"].items() if s.get("language") == "python"}
    return [identifier(name, "python") for name, e in plan["events"].items() if python_sources & set(e.get("sources", []))]


@pytest.mark.e2e_vscode
def test_vscode_end_to_end(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if not _e2e_selected(request.config):
        pytest.skip("a real VS Code: run with `-m e2e_vscode` or AVO_E2E_VSCODE=1")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    if not (EXAMPLE / EXAMPLE_CALL_FILE).is_file():
        pytest.fail(f"the example {EXAMPLE / EXAMPLE_CALL_FILE} is missing")
    vsix = request.getfixturevalue("vsix")
    expected = _expected_completions()
    results = tmp_path / "result.json"
    # The README's screenshots are refreshed only on request, so a test run leaves the
    # working tree as it found it.
    shots = EXT / "media" if os.environ.get("AVO_UPDATE_SCREENSHOTS") == "1" else tmp_path / "media"
    start = time.monotonic()
    proc = subprocess.run(
        [
            "node",
            str(EXT / "scripts" / "e2e.mjs"),
            "--vsix", str(vsix),
            "--workspace", str(EXAMPLE),
            "--python", sys.executable,
            "--file", EXAMPLE_CALL_FILE,
            "--stale", EXAMPLE_STALE_FILE,
            "--plan-path", "tracking/plan.yaml",
            "--expect", "full",
            "--expect-problem", "missing-user-identity",
            "--completion-prefix", "avo.",
            "--results", str(results),
            "--screenshots", str(shots),
        ],
        cwd=EXT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n")
    print(f"e2e total {time.monotonic() - start:.1f}s")
    assert results.exists(), "the e2e script wrote no report"
    report = json.loads(results.read_text())
    report_text = json.dumps({k: v for k, v in report.items() if k != "log"}, indent=1)
    assert proc.returncode == 0 and report["ok"], f"{report['errors']}\n{report_text}\n{json.dumps(report['log'], indent=1)[-8000:]}"

    assert report["activated"]
    assert report["statusBar"] == "Avo language server: running"
    assert report["serverProcess"]["argv"] == [sys.executable, "-m", "avo_lsp", "serve"]
    # "Avo: Generate code" put back the generated file deleted by hand, and said so.
    assert report["generate"] == [_expected_generate_message()], report["generate"]
    assert report["staleRestored"] is True
    assert any("missing-user-identity" in row for row in report["problems"]), report["problems"]
    assert set(report["completions"]) & set(expected), f"offered {report['completions']}, expected one of {expected}"
    # "Avo: Show implementation status": the command line, exactly what `avo-lsp status`
    # prints for the example (per source, each event and its call sites), the exit code.
    status = report["status"].replace("\r\n", "\n")
    cli_out, cli_code = _expected_status(tmp_path)
    assert status.startswith(f"$ {sys.executable} -m avo_lsp status   (in {report['workspace']})\n"), status[:500]
    assert cli_out in status, f"{status}\n--- expected:\n{cli_out}"
    assert status.rstrip().endswith(f"[exit code {cli_code}]"), status[-300:]
    assert cli_code == 1 and "Backend (backend/analytics/avo.py)" in status and "User Signed Up (user_signed_up)" in status
    assert "used in backend/orders.py:33" in status and "event(s) with no usage" in status
    # Settings: avo.severity reached the running server; avo.server.env and avo.planPath
    # restarted it, and with a new plan path an unsaved edit of that plan is checked.
    settings = report["settings"]
    assert settings["didChangeConfiguration"] and settings["severityApplied"]
    plan_path = settings["planPath"]
    assert plan_path["restartedServerPid"] not in (report["serverProcess"]["pid"], settings["restartedServerPid"])
    assert any("unknown key 'bogus_key'" in row for row in plan_path["problems"]), plan_path["problems"]
    for shot in ("screenshot-problems.png", "screenshot-completion.png"):
        assert (shots / shot).stat().st_size > 10_000
