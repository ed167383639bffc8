"""The Helix, Emacs (Eglot) and Sublime Text (LSP) snippets in editors/helix, editors/emacs
and editors/sublime: the files themselves are what is tested.

- Emacs, for real: `emacs --batch` with Eglot (Debian 12: `apt-get install emacs-nox
  elpa-eglot`) loads editors/emacs/avo-lsp.el, visits files of a copy of examples/shop
  inside a larger Git folder, and the `missing-user-identity` diagnostic of
  backend/orders.py (and one of a JavaScript file) must reach Flymake; a renamed event
  saved in avo.yaml must regenerate the code. Skipped when no Emacs with Eglot is
  installed, unless AVO_REQUIRE_EMACS=1 (CI), where it fails instead.
- Helix and Sublime Text cannot run here (no Helix binary on PyPI, npm or Debian 12;
  Sublime Text is not free software and not packaged), so their files are read with the
  editor's own format (TOML; JSON with comments) and checked: the command is `avo-lsp
  serve`, the languages / scopes are the ones the server analyses, the root markers, and
  only settings the server accepts. Then the real server is started with exactly the
  snippet's command, initialization options and settings, the way that editor would
  send them (its language ids, its root rule, its answer to workspace/configuration),
  and the diagnostic must arrive. The same is done for the Emacs file, read by a small
  s-expression reader, so that it is checked where Emacs is not installed too.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, Callable

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "shop"
HELIX = REPO / "editors" / "helix" / "languages.toml"
EMACS = REPO / "editors" / "emacs" / "avo-lsp.el"
SUBLIME = REPO / "editors" / "sublime" / "LSP.sublime-settings"

SERVER_COMMAND = ["avo-lsp", "serve"]
SETTING_KEYS = {"planPath", "regenerate", "debounceMs", "severity"}
IDENTITY_MESSAGE = (
    "`user_signed_up` is a server event of Backend: pass `user_id_` or `anonymous_id_`, "
    "or the event belongs to no user"
)
WORKER_MESSAGE = "`orderShipped` is a server event of Worker: pass `userId_`, or the event belongs to no user"
UNKNOWN_MESSAGE = "`user_signed_up` is not an event of Backend in the tracking plan"
ORDERS_LINE = 32  # 0-based line of the call without a user identity in backend/orders.py
WAIT = 30.0  # seconds for any one thing to arrive from the server

# Helix's defaults (its languages.toml): language id, root markers and language servers.
# The snippet replaces `roots` and `language-servers`, so it must keep these.
HELIX_LANGUAGES = {
    "python": ("python", ["pyproject.toml", "setup.py", "poetry.lock", "pyrightconfig.json"], ["ruff", "jedi", "pylsp"]),
    "typescript": ("typescript", ["package.json", "tsconfig.json"], ["typescript-language-server"]),
    "tsx": ("typescriptreact", ["package.json", "tsconfig.json"], ["typescript-language-server"]),
    "javascript": ("javascript", ["package.json"], ["typescript-language-server"]),
    "jsx": ("javascriptreact", ["package.json"], ["typescript-language-server"]),
    "yaml": ("yaml", [], ["yaml-language-server"]),
}
# Sublime LSP's language-ids.sublime-settings: base scope -> language id (else the last
# part of the scope).
SUBLIME_LANGUAGE_IDS = {"source.ts": "typescript", "source.tsx": "typescriptreact", "source.js": "javascript", "source.jsx": "javascriptreact"}
# Eglot's language id per major mode, as the snippet must declare it.
EMACS_LANGUAGE_IDS = {
    "python-mode": "python",
    "python-ts-mode": "python",
    "typescript-mode": "typescript",
    "typescript-ts-mode": "typescript",
    "tsx-ts-mode": "typescriptreact",
    "js-mode": "javascript",
    "js-ts-mode": "javascript",
    "js-jsx-mode": "javascriptreact",
}
CODE_LANGUAGES = {"python", "typescript", "typescriptreact", "javascript", "javascriptreact"}


# -- the workspace ----------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A copy of examples/shop inside a larger Git folder (tmp/mono/.git), with a Python
    project marker of its own in backend/, and a JavaScript call without a user id: the
    root must be found from the plan, not from the Git folder or the nearest marker."""
    mono = tmp_path / "mono"
    (mono / ".git").mkdir(parents=True)
    root = mono / "shop"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    (root / "backend" / "pyproject.toml").write_text('[project]\nname = "backend"\n')
    jobs = root / "worker" / "jobs.js"
    text = jobs.read_text()
    assert "userId_: order.customerId " in text
    jobs.write_text(text.replace("userId_: order.customerId ", ""))
    (root / "ci").mkdir()
    (root / "ci" / "pipeline.yaml").write_text("steps:\n  - run: make\n")
    return root


def server_argv(command: list[str]) -> list[str]:
    """The snippet's command, with `avo-lsp` found as the editor would on PATH: here, the
    test environment's bin/ (where `pip install` put the console script)."""
    bindir = Path(sys.executable).parent
    found = shutil.which(command[0], path=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail(f"`{command[0]}` is not on PATH nor in {bindir}: install the project (pip install -e .)")
    return [found, *command[1:]]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def assert_server_settings(value: Any, where: str) -> None:
    """Only keys the server knows, with values it accepts (avo_lsp/settings.py)."""
    from avo_lsp.settings import parse_settings

    assert isinstance(value, dict), f"{where}: {value!r} is not an object"
    assert set(value) <= SETTING_KEYS, f"{where}: unknown settings {set(value) - SETTING_KEYS}"
    _, problems = parse_settings(value)
    assert problems == [], f"{where}: {problems}"


# -- a client that answers like the editor ----------------------------------------------


CAPABILITIES = lsp.ClientCapabilities(
    workspace=lsp.WorkspaceClientCapabilities(
        configuration=True,
        workspace_folders=True,
        did_change_configuration=lsp.DidChangeConfigurationClientCapabilities(dynamic_registration=False),
        did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
    ),
    text_document=lsp.TextDocumentClientCapabilities(
        synchronization=lsp.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
        completion=lsp.CompletionClientCapabilities(),
    ),
    window=lsp.WindowClientCapabilities(work_done_progress=False),
)


class EditorSession:
    """The real server over stdio, started with `argv` in `root`, with the editor's
    initializationOptions, its answer to workspace/configuration and (as Helix, Eglot
    and Sublime LSP do) a workspace/didChangeConfiguration after `initialized`."""

    def __init__(self, argv: list[str], root: Path, init_options: Any, configuration: Callable[[str | None], Any], change_settings: Any):
        self.argv, self.root = argv, root
        self.init_options, self.configuration, self.change_settings = init_options, configuration, change_settings
        self.client = LanguageClient("editor-snippet-test", "1")
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.log: list[lsp.LogMessageParams] = []
        self.configuration_requests: list[str | None] = []
        self.stderr = b""
        client = self.client

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = list(params.diagnostics)

        @client.feature(lsp.WINDOW_LOG_MESSAGE)
        def log_message(params: lsp.LogMessageParams) -> None:
            self.log.append(params)

        @client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def show_message(params: lsp.ShowMessageParams) -> None:
            self.log.append(lsp.LogMessageParams(type=params.type, message=params.message))

        @client.feature(lsp.WORKSPACE_CONFIGURATION)
        def workspace_configuration(params: lsp.ConfigurationParams) -> list[Any]:
            self.configuration_requests.extend(item.section for item in params.items)
            return [self.configuration(item.section) for item in params.items]

        @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def register_capability(params: lsp.RegistrationParams) -> None:
            return None

    async def __aenter__(self) -> "EditorSession":
        await self.client.start_io(self.argv[0], *self.argv[1:], cwd=str(self.root), env=server_env())
        self._stderr_task = asyncio.create_task(self._drain_stderr())
        uri = from_fs_path(str(self.root))
        await asyncio.wait_for(
            self.client.initialize_async(
                lsp.InitializeParams(
                    process_id=os.getpid(),
                    capabilities=CAPABILITIES,
                    root_uri=uri,
                    workspace_folders=[lsp.WorkspaceFolder(uri=uri, name=self.root.name)],
                    initialization_options=self.init_options,
                )
            ),
            WAIT,
        )
        self.client.initialized(lsp.InitializedParams())
        self.client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=self.change_settings))
        return self

    async def _drain_stderr(self) -> None:
        stream = self.client._server.stderr  # type: ignore[union-attr]
        while chunk := await stream.read(65536):
            self.stderr += chunk

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        finally:
            await self.client.stop()
            self._stderr_task.cancel()

    def open(self, path: Path, language_id: str) -> str:
        uri = from_fs_path(str(path))
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri=uri, language_id=language_id, version=0, text=path.read_text()))
        )
        return uri

    async def wait_diagnostic(self, uri: str, code: str) -> lsp.Diagnostic:
        deadline = asyncio.get_running_loop().time() + WAIT
        while asyncio.get_running_loop().time() < deadline:
            for d in self.diagnostics.get(uri, []):
                if d.code == code:
                    return d
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {code} diagnostic for {uri} in {WAIT}s; got {self.diagnostics}; log: {[m.message for m in self.log]}; stderr: {self.stderr[-3000:]!r}")

    async def wait_published(self, uri: str) -> list[lsp.Diagnostic]:
        deadline = asyncio.get_running_loop().time() + WAIT
        while uri not in self.diagnostics and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return self.diagnostics.get(uri, [])

    def settings_warnings(self) -> list[str]:
        return [m.message for m in self.log if m.type <= lsp.MessageType.Warning and "setting" in m.message]


async def check_the_example(session: EditorSession, language_ids: dict[str, str]) -> None:
    """What a user of the editor sees on examples/shop: the call without a user identity
    in backend/orders.py, the JavaScript one, and nothing on a YAML file that is not the plan."""
    root = session.root
    orders = session.open(root / "backend" / "orders.py", language_ids[".py"])
    d = await session.wait_diagnostic(orders, "missing-user-identity")
    assert d.message == IDENTITY_MESSAGE
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (ORDERS_LINE, 8, 22)
    assert d.severity == lsp.DiagnosticSeverity.Error and d.source == "avo"
    jobs = session.open(root / "worker" / "jobs.js", language_ids[".js"])
    assert (await session.wait_diagnostic(jobs, "missing-user-identity")).message == WORKER_MESSAGE
    if ".yaml" in language_ids:
        plan = session.open(root / "avo.yaml", language_ids[".yaml"])
        assert await session.wait_published(plan) == []  # the plan, checked, without errors
        other = session.open(root / "ci" / "pipeline.yaml", language_ids[".yaml"])
        await asyncio.sleep(0.5)
        assert not session.diagnostics.get(other), session.diagnostics.get(other)
    assert session.settings_warnings() == []
    assert "avo" in session.configuration_requests


def test_editors_readme_shows_the_tested_files() -> None:
    """editors/README.md shows each snippet: the very file this module tests."""
    readme = (REPO / "editors" / "README.md").read_text()
    blocks = re.findall(r"^```(\w+)\n(.*?)^```$", readme, flags=re.S | re.M)
    shown = {lang: body for lang, body in blocks}
    for lang, path in (("toml", HELIX), ("elisp", EMACS), ("jsonc", SUBLIME)):
        assert shown.get(lang) == path.read_text(), f"editors/README.md's {lang} block differs from {path.relative_to(REPO)}"


# -- Helix ------------------------------------------------------------------------------


def helix_root(file: Path, markers: list[str], workspace: Path) -> Path:
    """Helix's rule (helix-lsp `find_lsp_workspace`): the top-most folder from the file up to
    the workspace (the folder with .git) that holds one of the markers, else the workspace."""
    top = None
    for folder in file.parents:
        if any((folder / m).exists() for m in markers):
            top = folder
        if folder == workspace:
            break
    return top or workspace


@pytest.fixture(scope="module")
def helix() -> dict:
    return tomllib.loads(HELIX.read_text())


def test_helix_server_command_and_settings(helix: dict) -> None:
    server = helix["language-server"]["avo-lsp"]
    assert [server["command"], *server["args"]] == SERVER_COMMAND
    assert set(server) == {"command", "args", "config"}
    # Helix sends `config` as initializationOptions and answers workspace/configuration
    # from it by section: the settings live under `avo`.
    assert set(server["config"]) == {"avo"}
    assert_server_settings(server["config"]["avo"], "language-server.avo-lsp.config.avo")


def test_helix_languages_keep_the_defaults_and_add_the_plan_root(helix: dict) -> None:
    languages = {lang["name"]: lang for lang in helix["language"]}
    assert set(languages) == set(HELIX_LANGUAGES)
    assert {HELIX_LANGUAGES[name][0] for name in languages} == CODE_LANGUAGES | {"yaml"}
    for name, (_, default_roots, default_servers) in HELIX_LANGUAGES.items():
        lang = languages[name]
        assert lang["language-servers"][-1] == "avo-lsp", name
        assert lang["language-servers"][:-1] == default_servers, name
        assert lang["roots"][:2] == ["avo.yaml", "avo.yml"], name
        assert lang["roots"][2:] == default_roots, name
        assert set(lang) == {"name", "roots", "language-servers"}, name


def test_helix_root_is_the_plan_folder(helix: dict, shop: Path) -> None:
    python = next(lang for lang in helix["language"] if lang["name"] == "python")
    workspace = shop.parent
    orders = shop / "backend" / "orders.py"
    assert helix_root(orders, python["roots"], workspace) == shop
    # Without the plan's markers Helix would start the server in backend/ (its own
    # pyproject.toml), where there is no plan.
    assert helix_root(orders, HELIX_LANGUAGES["python"][1], workspace) == shop / "backend"


async def test_helix_snippet_against_the_real_server(helix: dict, shop: Path) -> None:
    server = helix["language-server"]["avo-lsp"]
    config = server["config"]

    def section(name: str | None) -> Any:  # helix-term: walk `config` along the dotted section
        value: Any = config
        for part in (name or "").split(".") if name else []:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    languages = {lang["name"]: lang for lang in helix["language"]}
    root = helix_root(shop / "backend" / "orders.py", languages["python"]["roots"], shop.parent)
    ids = {".py": HELIX_LANGUAGES["python"][0], ".js": HELIX_LANGUAGES["javascript"][0], ".yaml": HELIX_LANGUAGES["yaml"][0]}
    async with EditorSession(server_argv([server["command"], *server["args"]]), root, config, section, config) as session:
        await check_the_example(session, ids)


# -- Sublime Text (LSP) ------------------------------------------------------------------


def strip_jsonc(text: str) -> str:
    """JSON with // and /* */ comments and trailing commas (Sublime's settings) as JSON."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


@pytest.fixture(scope="module")
def sublime() -> dict:
    return json.loads(strip_jsonc(SUBLIME.read_text()))


def sublime_language_id(scope: str) -> str:
    return SUBLIME_LANGUAGE_IDS.get(scope, scope.split(".")[-1])


def test_sublime_client_command_selector_and_settings(sublime: dict) -> None:
    client = sublime["clients"]["avo-lsp"]
    assert client["enabled"] is True
    assert client["command"] == SERVER_COMMAND
    scopes = [s.strip() for s in client["selector"].split("|")]
    assert all(re.fullmatch(r"source\.[a-z]+", s) for s in scopes), scopes
    assert {sublime_language_id(s) for s in scopes} == CODE_LANGUAGES | {"yaml"}
    assert_server_settings(client["initializationOptions"], "initializationOptions")
    assert set(client["settings"]) == {"avo"}
    assert_server_settings(client["settings"]["avo"], "settings.avo")
    assert set(client) == {"enabled", "command", "selector", "initializationOptions", "settings"}


async def test_sublime_snippet_against_the_real_server(sublime: dict, shop: Path) -> None:
    client = sublime["clients"]["avo-lsp"]
    settings = client["settings"]

    def section(name: str | None) -> Any:  # Sublime LSP: settings.copy(section), a dotted lookup
        value: Any = settings
        for part in name.split(".") if name else []:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    # Sublime LSP's root is the window's first folder: the user opened the plan's folder.
    ids = {".py": sublime_language_id("source.python"), ".js": sublime_language_id("source.js"), ".yaml": sublime_language_id("source.yaml")}
    async with EditorSession(server_argv(client["command"]), shop, client["initializationOptions"], section, settings) as session:
        await check_the_example(session, ids)


# -- Emacs (Eglot): read the file -------------------------------------------------------


class Sym(str):
    """An Emacs Lisp symbol (a plain `str` is a string)."""


def read_elisp(text: str) -> list[Any]:
    """The forms of an Emacs Lisp file: lists, strings, symbols, integers; 'x is
    (quote x); a dotted list whose tail is a list is flattened, as Lisp reads it."""
    tokens = re.findall(r';[^\n]*|"(?:\\.|[^"\\])*"|#\'|,@|[()\[\]\'`,]|[^\s()\[\]"\';`,]+', text)
    tokens = [t for t in tokens if not t.startswith(";")]
    pos = 0

    def form() -> Any:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok in ("(", "["):
            close = ")" if tok == "(" else "]"
            items: list[Any] = []
            while tokens[pos] != close:
                if tokens[pos] == ".":
                    pos += 1
                    tail = form()
                    assert isinstance(tail, list), f"a dotted pair with a non-list tail: {tail!r}"
                    items.extend(tail)
                    assert tokens[pos] == close, "more than one form after a dot"
                    break
                items.append(form())
            pos += 1
            return items
        if tok in ("'", "#'", "`", ",", ",@"):
            return [Sym({"'": "quote", "#'": "function", "`": "backquote", ",": "unquote", ",@": "splice"}[tok]), form()]
        if tok in (")", "]"):
            raise AssertionError(f"unbalanced {tok!r} at token {pos}")
        if tok.startswith('"'):
            return json.loads(tok.replace("\\\n", ""))
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        return Sym(tok)

    forms = []
    while pos < len(tokens):
        forms.append(form())
    return forms


def plist(value: list[Any]) -> dict[str, Any]:
    """A property list (:key value ...) as JSON (Eglot's serialization)."""
    assert len(value) % 2 == 0, value
    return {k.removeprefix(":"): plist(v) if isinstance(v, list) else v for k, v in zip(value[::2], value[1::2])}


def find_form(forms: list[Any], head: str, name: str | None = None) -> list[Any]:
    for f in forms:
        if isinstance(f, list) and f and f[0] == head and (name is None or (len(f) > 1 and f[1] == name)):
            return f
    raise AssertionError(f"no ({head} {name or ''} ...) in {EMACS}")


@pytest.fixture(scope="module")
def emacs_forms() -> list[Any]:
    return read_elisp(EMACS.read_text())


def emacs_programs(forms: list[Any]) -> list[tuple[dict[str, str], list[str]]]:
    """The eglot-server-programs entries: (major mode -> language id, contact)."""
    value = find_form(forms, "defvar", "avo-lsp-eglot-programs")[2]
    assert value[0] == "quote"
    entries = []
    for modes, *contact in value[1]:
        ids = {}
        for spec in modes:
            assert isinstance(spec, list) and len(spec) == 3 and spec[1] == ":language-id", spec
            ids[str(spec[0])] = spec[2]
        entries.append((ids, contact))
    return entries


def emacs_settings(forms: list[Any]) -> dict[str, Any]:
    form = find_form(forms, "setq-default")
    assert form[1] == "eglot-workspace-configuration"
    assert form[2][0] == "quote"
    return plist(form[2][1])


def test_emacs_snippet_reads_and_names_the_server(emacs_forms: list[Any]) -> None:
    entries = emacs_programs(emacs_forms)
    assert all(contact == SERVER_COMMAND for _, contact in entries)
    modes = [m for ids, _ in entries for m in ids]
    assert {m: i for ids, _ in entries for m, i in ids.items()} == EMACS_LANGUAGE_IDS
    assert modes.index("js-jsx-mode") < modes.index("js-mode"), "js-jsx-mode derives from js-mode: it must come first"
    assert len(entries) == 1, "one avo-lsp for the whole project, not one per language"
    # Started in each of those modes (js-jsx-mode runs js-mode-hook).
    hooks = find_form(emacs_forms, "dolist")[1][1]
    assert hooks[0] == "quote"
    assert {f"{m}-hook" for m in modes if m != "js-jsx-mode"} == set(hooks[1])


def test_emacs_snippet_settings_and_root_marker(emacs_forms: list[Any]) -> None:
    settings = emacs_settings(emacs_forms)
    assert set(settings) == {"avo"}
    assert_server_settings(settings["avo"], "eglot-workspace-configuration :avo")
    root = find_form(emacs_forms, "defun", "avo-lsp-plan-root")
    assert {"avo.yaml", "avo.yml"} <= set(re.findall(r'"([^"]+)"', json.dumps(root)))
    assert ["add-hook", ["quote", "project-find-functions"], ["function", "avo-lsp-project"]] in emacs_forms


async def test_emacs_snippet_against_the_real_server(emacs_forms: list[Any], shop: Path) -> None:
    """Eglot's side, emulated: the snippet's contact, the plan's folder as the root (what
    `avo-lsp-project` answers), no initializationOptions, and the `:avo` section of
    `eglot-workspace-configuration` for workspace/configuration and didChangeConfiguration."""
    settings = emacs_settings(emacs_forms)
    entries = emacs_programs(emacs_forms)
    python = next(contact for ids, contact in entries if "python-mode" in ids)
    js = next(contact for ids, contact in entries if "js-mode" in ids)
    assert python == js == SERVER_COMMAND
    root = next(p for p in (shop / "backend").parents if (p / "avo.yaml").exists())

    ids = {".py": EMACS_LANGUAGE_IDS["python-mode"], ".js": EMACS_LANGUAGE_IDS["js-mode"]}
    async with EditorSession(server_argv(python), root, {}, lambda s: settings.get(s) if s else settings, settings) as session:
        await check_the_example(session, ids)


# -- Emacs (Eglot), for real ------------------------------------------------------------

DEBIAN_ELPA = "/usr/share/emacs/site-lisp/elpa"

EMACS_DRIVER = r"""
;; -*- lexical-binding: t; -*-
;; Driven by tests/test_other_editors.py.  Env: AVO_SNIPPET, AVO_ROOT (the plan's folder),
;; AVO_OTHER (a Python file outside any plan's folder), AVO_OUT (the JSON report).
(require 'json)
(require 'seq)
(unless (locate-library "eglot")        ; Emacs 28: Debian's elpa-eglot
  (add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
  (package-initialize))
(require 'eglot)
(setq eglot-sync-connect 20 eglot-connect-timeout 30)
(load (getenv "AVO_SNIPPET") nil t)
(defvar out nil)
(defun out (key value) (setq out (plist-put out key value)))
(defun root-file (rel) (expand-file-name rel (getenv "AVO_ROOT")))
(defun wait-until (pred secs)
  (let ((deadline (+ (float-time) secs)) found)
    (while (and (not (setq found (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.1)
      (when (bound-and-true-p flymake-mode) (flymake-start)))
    found))
(defun diagnostics ()
  (vconcat (mapcar (lambda (d) (list :text (flymake-diagnostic-text d)
                                     :type (symbol-name (flymake-diagnostic-type d))
                                     :line (line-number-at-pos (flymake-diagnostic-beg d))))
                   (flymake-diagnostics))))
(defun visit (file &optional secs)
  (find-file file)
  (run-hooks 'post-command-hook)          ; what eglot-ensure waits for
  (let ((server (wait-until #'eglot-current-server (or secs 20))))
    (list :mode (symbol-name major-mode)
          :managed (if server t :json-false)
          :command (and server (vconcat (process-command (jsonrpc--process server))))
          :root (and server (expand-file-name (project-root (eglot--project server))))
          :languageId (and server (eglot--language-id server))
          :modes (and server (vconcat (mapcar #'symbol-name (eglot--major-modes server)))))))
(defun wait-diagnostic (text)
  (wait-until (lambda () (seq-find (lambda (d) (string-search text (flymake-diagnostic-text d)))
                                   (flymake-diagnostics)))
              30)
  (diagnostics))
(condition-case err
    (progn
      (out :other (visit (getenv "AVO_OTHER") 1))
      (out :orders (visit (root-file "backend/orders.py")))
      (out :ordersDiagnostics (wait-diagnostic "is a server event of Backend"))
      (out :jobs (visit (root-file "worker/jobs.js")))
      (out :jobsDiagnostics (wait-diagnostic "is a server event of Worker"))
      (out :serverCount (length (seq-uniq (mapcar (lambda (b) (with-current-buffer b (eglot-current-server)))
                                                  (list (get-file-buffer (root-file "backend/orders.py"))
                                                        (get-file-buffer (root-file "worker/jobs.js")))))))
      ;; Rename an event in the plan and save it, as a user would.
      (find-file (root-file "avo.yaml"))
      (goto-char (point-min))
      (unless (re-search-forward "^  User Signed Up:$" nil t) (error "no `  User Signed Up:' in avo.yaml"))
      (replace-match "  Account Created:")
      (save-buffer)
      (out :regenerated
           (if (wait-until (lambda () (with-temp-buffer
                                        (insert-file-contents (root-file "backend/analytics/avo.py"))
                                        (search-forward "def account_created(" nil t)))
                           30)
               t :json-false))
      (with-current-buffer (get-file-buffer (root-file "backend/orders.py"))
        (out :ordersAfterRename (wait-diagnostic "is not an event of Backend")))
      (out :events (with-current-buffer (jsonrpc-events-buffer
                                         (with-current-buffer (get-file-buffer (root-file "backend/orders.py"))
                                           (eglot-current-server)))
                     (buffer-substring-no-properties (point-min) (point-max)))))
  (error (out :error (format "%S" err))))
(with-temp-file (getenv "AVO_OUT") (insert (json-encode out)))
(kill-emacs 0)
"""


def find_emacs() -> tuple[str | None, str]:
    """An `emacs` that has Eglot (built in since Emacs 29; Debian 12's elpa-eglot for 28)."""
    emacs = shutil.which("emacs")
    if emacs is None:
        return None, "no `emacs` on PATH (Debian: apt-get install emacs-nox elpa-eglot)"
    probe = subprocess.run(
        [emacs, "--batch", "-Q", "--eval",
         f'(progn (unless (locate-library "eglot") (add-to-list (quote package-directory-list) "{DEBIAN_ELPA}") (package-initialize))'
         ' (princ (if (locate-library "eglot") emacs-version "no-eglot")))'],
        capture_output=True, text=True, timeout=60,
    )
    if probe.stdout.strip() in ("", "no-eglot"):
        return None, f"{emacs} has no Eglot (Debian 12: apt-get install elpa-eglot): {probe.stderr[-500:]}"
    return emacs, probe.stdout.strip()


def test_emacs_eglot_for_real(shop: Path, tmp_path: Path) -> None:
    emacs, detail = find_emacs()
    if emacs is None:
        if os.environ.get("AVO_REQUIRE_EMACS") == "1":
            pytest.fail(detail)
        pytest.skip(detail)
    other = tmp_path / "elsewhere" / "app.py"
    other.parent.mkdir()
    other.write_text("print('no tracking plan here')\n")
    driver = tmp_path / "driver.el"
    driver.write_text(EMACS_DRIVER)
    report = tmp_path / "emacs.json"
    env = {
        **server_env(),
        "HOME": str(tmp_path / "home"),  # no user init, no ~/.emacs.d
        "AVO_SNIPPET": str(EMACS),
        "AVO_ROOT": str(shop),
        "AVO_OTHER": str(other),
        "AVO_OUT": str(report),
    }
    (tmp_path / "home").mkdir()
    proc = subprocess.run([emacs, "--batch", "-Q", "-l", str(driver)], env=env, cwd=shop, capture_output=True, text=True, timeout=180)
    assert report.exists(), f"Emacs wrote no report (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    result = json.loads(report.read_text())
    events = re.sub(r"\s+", " ", result.pop("events", ""))
    context = f"{json.dumps(result, indent=1)}\n--- Emacs:\n{proc.stderr[-4000:]}\n--- events (end):\n{events[-4000:]}"
    assert "error" not in result, context
    # Outside a project with a plan, avo-lsp is not started.
    assert result["other"]["managed"] is False, context
    # backend/orders.py: avo-lsp, started with the snippet's command, in the plan's folder
    # (not the Git folder above it), and the diagnostic in Flymake.
    orders = result["orders"]
    assert orders["managed"] is True and orders["mode"] == "python-mode", context
    assert orders["command"] == SERVER_COMMAND, context
    assert Path(orders["root"]) == shop, context
    assert orders["languageId"] == "python", context
    identity = [d for d in result["ordersDiagnostics"] if IDENTITY_MESSAGE in d["text"]]
    assert identity == [{"text": f"avo [missing-user-identity]: {IDENTITY_MESSAGE}", "type": "eglot-error", "line": ORDERS_LINE + 1}], context
    # worker/jobs.js: the same server (Eglot 1.9 sends it as "python", the first buffer's
    # id; the server reads it as JavaScript by its extension) and its own diagnostic.
    assert result["jobs"]["managed"] is True, context
    assert result["serverCount"] == 1, context
    assert any(WORKER_MESSAGE in d["text"] for d in result["jobsDiagnostics"]), context
    # The plan saved in Emacs: the code is regenerated and the old call is now unknown.
    assert result["regenerated"] is True, context
    assert any(UNKNOWN_MESSAGE in d["text"] for d in result["ordersAfterRename"]), context
    # The snippet's settings reached the server as the `avo` section, and it took them.
    assert ':method "workspace/configuration"' in events, context
    expected = emacs_settings(read_elisp(EMACS.read_text()))["avo"]
    assert ':regenerate "onSave"' in events and f":debounceMs {expected['debounceMs']}" in events, context
    assert "unknown avo setting" not in events and "must be" not in events, context
