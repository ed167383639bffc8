"""The language server: small handlers, one per LSP feature, over the pure core.

State changes only on the event loop. The plan is held as an immutable `Project`
snapshot that is replaced whole when the plan changes; analysis of a document runs on
one worker thread over a snapshot and its result is dropped if the document moved on.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from . import __version__, convert
from .analysis.model import FileAnalysis
from .codegen import generate
from .files import is_ignored
from .index import IndexedFile, build_index, index_file
from .index import calls_of_event, usage
from .loader import PLAN_FILE_NAMES, LoadResult, find_plan, load_plan, load_plan_text
from .plan import Span
from .service import completion as completions
from .service import fixes
from .service import navigation
from .project import Project, language_of
from .settings import Settings, parse_settings
from .writer import REFUSED, UNCHANGED, WRITTEN, Outcome, write_files

log = logging.getLogger(__name__)

GENERATE_COMMAND = "avo.generate"
PLAN_POLL_SECONDS = 0.5
INDEX_WAIT_SECONDS = 30  # how long references and code lens wait for the scan at start
LENS_REFRESH_SECONDS = 0.2
PREPARE_DELAY_SECONDS = 1.0
EAGER_DOCUMENTATION = 100  # completion lists longer than this resolve documentation lazily
CODE_GLOB = "**/*.{py,pyi,ts,mts,cts,tsx,js,mjs,cjs,jsx}"
CODE_LANGUAGES = ("python", "typescript", "typescriptreact", "javascript", "javascriptreact")


class EncodedJson(str):
    """A request's result already encoded as JSON text; `AvoProtocol` sends it as it is."""


class AvoProtocol(LanguageServerProtocol):
    """pygls's protocol with one shortcut: a result that is `EncodedJson` skips cattrs
    and `json.dumps`, which would walk a 2,000-item completion list every time."""

    def _send_response(self, msg_id, result=None, error=None) -> None:
        if error is not None or not isinstance(result, EncodedJson):
            super()._send_response(msg_id, result=result, error=error)
            return
        self._result_types.pop(msg_id, None)
        body = f'{{"jsonrpc":"2.0","id":{json.dumps(msg_id)},"result":{result}}}'.encode("utf-8")
        header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
        if self.writer is None:
            return
        written = self.writer.write(header.encode("ascii") + body if self._include_headers else body)
        if inspect.isawaitable(written):
            asyncio.ensure_future(written)


class AvoLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "avo-lsp", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental, protocol_cls=AvoProtocol
        )
        self.settings = self.initial_settings = Settings()
        self.root: Path | None = None
        self.plan_path: Path | None = None
        self.project: Project | None = None
        self.plan_text = ""  # the text the current project was loaded from
        self._plan_generation = 0
        self._pending: dict[str, asyncio.Task] = {}
        self._analyses: dict[str, tuple[int, Project, FileAnalysis]] = {}
        # Open documents are analysed on one thread, the workspace index and other
        # long work on another, so that a scan never holds up the diagnostics of the
        # file being edited (the two share the GIL, not a queue).
        self._analysis_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="avo-analysis")
        self._background_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="avo-background")
        self._loading: tuple[str, asyncio.Task] | None = None  # (plan text, its reload)
        self._generation: tuple[Project, asyncio.Task] | None = None  # (snapshot, its writing)
        self._write_lock = asyncio.Lock()
        self._lens_refresh: asyncio.Task | None = None
        self._plan_watcher: asyncio.Task | None = None
        # The workspace index: call sites of every file that has any, from disk for
        # closed files and from the buffer for open ones.
        self.index: dict[Path, IndexedFile] = {}
        self._index_task: asyncio.Task | None = None
        self._closed_with_diagnostics: set[str] = set()
        # Set once the plan has first been loaded: requests that come in before that
        # wait for it instead of answering "nothing here".
        self.ready = asyncio.Event()
        self._reloads = 0  # plan reloads in flight
        self._settled = asyncio.Event()
        self._settled.set()
        self.last_completions: tuple[completions.Completion, ...] = ()  # for completionItem/resolve

    # -- client capabilities --------------------------------------------------------

    @property
    def caps(self) -> lsp.ClientCapabilities:
        return self.client_capabilities

    def supports_configuration(self) -> bool:
        return bool(self.caps.workspace and self.caps.workspace.configuration)

    def supports_watched_files_registration(self) -> bool:
        watched = self.caps.workspace and self.caps.workspace.did_change_watched_files
        return bool(watched and watched.dynamic_registration)

    def supports_progress(self) -> bool:
        return bool(self.caps.window and self.caps.window.work_done_progress)

    def supports_code_lens_refresh(self) -> bool:
        lens = self.caps.workspace and self.caps.workspace.code_lens
        return bool(lens and lens.refresh_support)

    def supports_snippets(self) -> bool:
        completion = self.caps.text_document and self.caps.text_document.completion
        item = completion and completion.completion_item
        return bool(item and item.snippet_support)

    def supports_item_defaults(self) -> bool:
        """Whether a completion list may give every item's range and format once."""
        completion = self.caps.text_document and self.caps.text_document.completion
        listed = completion and completion.completion_list
        defaults = (listed and listed.item_defaults) or ()
        return "editRange" in defaults and "insertTextFormat" in defaults

    def markdown_hover(self) -> bool:
        """Markdown only for a client that lists it: one that says nothing gets plain text."""
        hover = self.caps.text_document and self.caps.text_document.hover
        return lsp.MarkupKind.Markdown in ((hover and hover.content_format) or ())

    def markdown_documentation(self) -> bool:
        completion = self.caps.text_document and self.caps.text_document.completion
        item = completion and completion.completion_item
        formats = (item and item.documentation_format) or []
        return lsp.MarkupKind.Markdown in formats

    # -- messages -------------------------------------------------------------------

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    # -- settings and the plan ------------------------------------------------------

    def apply_settings(self, raw: Any, initial: bool = False) -> None:
        """`initializationOptions` (`initial`) over the defaults, then each configuration
        the client sends over those: a setting the user removes goes back, not stays."""
        self.settings, problems = parse_settings(raw, Settings() if initial else self.initial_settings)
        if initial:
            self.initial_settings = self.settings
        for problem in problems:
            self.log(problem, lsp.MessageType.Warning)
        self.plan_path = self.locate_plan()

    def locate_plan(self) -> Path | None:
        if self.settings.plan_path:
            path = Path(self.settings.plan_path)
            if not path.is_absolute() and self.root is not None:
                path = self.root / path
            return path.absolute()
        if self.root is None:
            return None
        return find_plan(self.root) or self.root / PLAN_FILE_NAMES[0]

    def is_plan(self, uri: str) -> bool:
        path = to_fs_path(uri)
        return self.plan_path is not None and path is not None and Path(path).absolute() == self.plan_path

    def plan_uri(self) -> str | None:
        return from_fs_path(str(self.plan_path)) if self.plan_path else None

    async def reload_plan(self, text: str | None = None) -> bool:
        """Load the plan (from `text`, or the disk) and make it the current snapshot.
        Returns False when a newer reload overtook this one. A reload of the text that
        the one in flight is reading joins it: one save comes as didSave, a file event
        and a change seen by the watcher, and must cost one load."""
        if self.plan_path is None:
            self.ready.set()
            return False
        key = text if text is not None else _read(self.plan_path)
        if self._loading is None or self._loading[0] != key:
            self._loading = (key, asyncio.get_running_loop().create_task(self._counted_reload(text)))
        return await asyncio.shield(self._loading[1])

    async def _counted_reload(self, text: str | None) -> bool:
        self._reloads += 1
        self._settled.clear()
        try:
            return await self._reload_plan(text)
        finally:
            self._reloads -= 1
            if self._loading is not None and self._loading[1] is asyncio.current_task():
                self._loading = None
            if not self._reloads:
                self._settled.set()
                self.ready.set()  # loaded, or failed: either way requests stop waiting

    async def settled_project(self) -> Project | None:
        """The project once no reload is in flight: what a command must act on, since
        the reload of a change made just before it may still be running."""
        await self._settled.wait()
        return self.project

    async def _reload_plan(self, text: str | None) -> bool:
        self._plan_generation += 1
        generation = self._plan_generation
        path = self.plan_path
        assert path is not None
        if text is None:
            if not path.exists():
                result = LoadResult(path, None, ())
                text = ""
            else:
                result = await asyncio.to_thread(load_plan, path)
                text = _read(path)
        else:
            result = await asyncio.to_thread(load_plan_text, text, path)
        if generation != self._plan_generation:
            return False  # a newer reload started while this one ran
        project = Project.from_load(result)
        previous = self.project
        self.project, self.plan_text = project, text
        self.publish_plan_diagnostics()
        self.refresh_open_documents()
        # Completion's per-source tables, built ahead of the first `avo.` once the plan
        # has been still for a moment: not while a save's regeneration and diagnostics
        # want the CPU (a completion that comes first builds its source's table itself).
        asyncio.get_running_loop().call_later(PREPARE_DELAY_SECONDS, self.prepare_completion, project)
        if previous is None or previous.modules != project.modules:
            self.start_indexing()  # imports resolve against other files: scan again
        else:
            self.recheck_index()
        return True

    def prepare_completion(self, project: Project) -> None:
        if project is self.project:
            asyncio.get_running_loop().run_in_executor(self._background_pool, completions.prepare, project)

    def publish_plan_diagnostics(self) -> None:
        uri = self.plan_uri()
        if uri is None or self.project is None:
            return
        doc = self.workspace.text_documents.get(uri)
        if doc is not None and doc.source != self.plan_text:
            return  # the buffer moved on since this plan was read: its own reload will answer
        diagnostics = convert.plan_diagnostics(self.project.load.errors, self.plan_text, self.settings, self.workspace.position_codec)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=doc.version if doc else None)
        )

    async def regenerate(self, reason: str, again: bool = False) -> list[Outcome] | None:
        """Write the generated files of the current snapshot. Once per snapshot: a call
        for the snapshot being written joins that writing; with `again` (a save, the
        command) a snapshot already written is written once more, which puts back a
        generated file deleted by hand."""
        project = self.project
        if project is None or project.load.plan is None:
            self.log(f"avo: no plan at {self.plan_path}; nothing to generate", lsp.MessageType.Warning)
            return None
        if project.load.errors:
            count = len(project.load.errors)
            self.log(f"avo: the plan has {count} error{'s' * (count != 1)}; no file was regenerated", lsp.MessageType.Warning)
            return None
        current = self._generation
        if current is None or current[0] is not project or (again and current[1].done()):
            current = self._generation = (project, asyncio.get_running_loop().create_task(self._write_generated(project, reason)))
        return await asyncio.shield(current[1])

    async def _write_generated(self, project: Project, reason: str) -> list[Outcome]:
        plan = project.load.plan
        assert plan is not None
        async with self._write_lock:  # one snapshot at a time, in order: the newest lands last
            token = await self.begin_progress("Avo: generating code")
            try:
                files = await asyncio.to_thread(generate, plan, project.load.apis)
                outcomes = await asyncio.to_thread(write_files, plan.root, files)
            finally:
                self.end_progress(token)
        self.log(f"avo: {reason}: {summarize(outcomes, plan.root)}")
        for outcome in outcomes:
            if outcome.status == REFUSED:
                self.log(f"avo: {outcome.reason}", lsp.MessageType.Error)
        return outcomes

    async def begin_progress(self, title: str) -> str | None:
        if not self.supports_progress():
            return None
        token = f"avo-{uuid.uuid4()}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception:  # the client refused: no progress, the work goes on
            return None
        self.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(title=title, cancellable=False))
        return token

    def end_progress(self, token: str | None) -> None:
        if token is not None:
            self.work_done_progress.end(token, lsp.WorkDoneProgressEnd())

    async def plan_changed_on_disk(self) -> None:
        """The plan file changed outside the editor (or was saved)."""
        if self.plan_path is None or _read(self.plan_path) == self.plan_text:
            return  # already seen: didSave, a file event and the watcher all report one save
        doc = self.workspace.text_documents.get(self.plan_uri() or "")
        if doc is not None and doc.source != _read(self.plan_path):
            return  # the open buffer has unsaved edits: it, not the disk, is the plan
        if await self.reload_plan() and self.settings.regenerate != "off":
            await self.regenerate("the plan changed on disk")

    def plan_signature(self) -> tuple[int, int] | None:
        try:
            stat = self.plan_path.stat() if self.plan_path else None
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size) if stat else None

    async def watch_plan(self, last: tuple[int, int] | None) -> None:
        """A cheap watcher of our own for clients that cannot register file watchers
        (Neovim on Linux): a `stat` of one file twice a second. `last` is the signature
        taken before the plan was first read, so no change in between is missed."""
        while True:
            await asyncio.sleep(PLAN_POLL_SECONDS)
            signature = self.plan_signature()
            if signature != last:
                last = signature
                try:
                    await self.plan_changed_on_disk()
                except Exception:  # never let the watcher die
                    log.exception("plan watcher")

    # -- the workspace index ---------------------------------------------------------

    def start_indexing(self) -> None:
        if self._index_task is not None:
            self._index_task.cancel()
        if self.project is not None and self.root is not None and self.project.apis:
            self._index_task = asyncio.get_running_loop().create_task(self.build_index(self.project))

    async def build_index(self, project: Project) -> None:
        """Scan the workspace in the background, with progress where the client shows it."""
        loop = asyncio.get_running_loop()
        token = await self.begin_progress("Avo: indexing call sites")
        last_report = [0.0]

        def progress(done: int, total: int) -> None:
            now = loop.time()
            if token is not None and (now - last_report[0] > 0.2 or done == total):
                last_report[0] = now
                message = f"{done}/{total} files"
                loop.call_soon_threadsafe(
                    self.work_done_progress.report, token, lsp.WorkDoneProgressReport(message=message, percentage=done * 100 // max(total, 1))
                )

        try:
            index = await loop.run_in_executor(self._background_pool, build_index, project, [self.root], progress)
        finally:
            self.end_progress(token)
        if self.project is None or self.project.modules != project.modules:
            return  # the generated files changed meanwhile; their own scan is under way
        self.index = index
        if self.project is not project:
            self.recheck_index()  # the plan changed, but not what imports resolve to
        for uri in list(self.workspace.text_documents):
            self.schedule_diagnostics(uri, delay_ms=0)  # open files: the buffer wins
        self.publish_closed_files()
        self.calls_changed()
        self.log(f"avo: indexed {len(index)} file{'s' * (len(index) != 1)} that call the generated code")

    async def complete_index(self) -> dict[Path, IndexedFile]:
        """The index once the scan under way is done: counts and references taken from
        half a scan would call events "not implemented" that are."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + INDEX_WAIT_SECONDS
        while (task := self._index_task) is not None and not task.done() and loop.time() < deadline:
            await asyncio.wait({task}, timeout=deadline - loop.time())  # a newer scan may replace it
        return self.index

    def calls_changed(self) -> None:
        """The call sites in the index changed: a client that shows code lenses asks for
        them again (only when it can be told; the plan's own edits refresh them anyway)."""
        if not self.supports_code_lens_refresh() or self._lens_refresh is not None:
            return

        async def refresh() -> None:
            await asyncio.sleep(LENS_REFRESH_SECONDS)  # one refresh for a burst of changes
            self._lens_refresh = None
            try:
                await self.workspace_code_lens_refresh_async(None)
            except Exception as exc:  # the client may not answer it: the lenses just wait
                log.debug("codeLens/refresh: %s", exc)

        self._lens_refresh = asyncio.get_running_loop().create_task(refresh())

    def recheck_index(self) -> None:
        """The plan changed but not its generated files: the call sites still stand,
        only what is wrong with them may have changed."""
        project = self.project
        if project is None:
            return
        # Open documents are being diagnosed again anyway, and put their entry back.
        open_paths = {Path(to_fs_path(uri) or uri).resolve() for uri in self.workspace.text_documents}
        self.index = {
            path: entry if path in open_paths else replace(entry, findings=tuple(project.check(FileAnalysis(calls=entry.calls))))
            for path, entry in self.index.items()
        }
        self.publish_closed_files()

    def publish_closed_files(self) -> None:
        """Workspace diagnostics: files that are not open show what is wrong on disk."""
        published = set()
        for path, entry in self.index.items():
            uri = from_fs_path(str(path))
            if uri in self.workspace.text_documents:
                continue
            diagnostics = convert.finding_diagnostics(entry.findings, entry.text, self.settings, self.workspace.position_codec)
            if diagnostics or uri in self._closed_with_diagnostics:
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
            if diagnostics:
                published.add(uri)
        for uri in self._closed_with_diagnostics - published:
            if uri not in self.workspace.text_documents:
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        self._closed_with_diagnostics = published

    def reindex_from_disk(self, path: Path) -> None:
        if self.project is not None:
            self.set_index_entry(path, index_file(self.project, path))

    def set_index_entry(self, path: Path, entry: IndexedFile | None) -> None:
        before = self.index.pop(path, None)
        if entry is not None:
            self.index[path] = entry
        if _called(before) != _called(entry):
            self.calls_changed()

    # -- code documents -------------------------------------------------------------

    def refresh_open_documents(self) -> None:
        for uri, doc in list(self.workspace.text_documents.items()):
            if not self.is_plan(uri) and _language(doc) in CODE_LANGUAGES:
                self.schedule_diagnostics(uri, delay_ms=0)

    def schedule_diagnostics(self, uri: str, delay_ms: int | None = None) -> None:
        if (task := self._pending.pop(uri, None)) is not None:
            task.cancel()
        delay = self.settings.debounce_ms if delay_ms is None else delay_ms
        self._pending[uri] = asyncio.get_running_loop().create_task(self._diagnose(uri, delay))

    async def _diagnose(self, uri: str, delay_ms: int) -> None:
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        doc = self.workspace.text_documents.get(uri)
        project = self.project
        if doc is None or project is None:
            return
        version, text = doc.version, doc.source
        analysis = await self.analyse(uri, doc, project)
        findings = project.check(analysis)
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version or self.project is not project:
            return  # the document or the plan moved on: a newer run will answer
        path = Path(to_fs_path(uri) or uri).resolve()
        self.set_index_entry(path, IndexedFile(path, text, analysis.calls, tuple(findings)) if analysis.calls else None)
        diagnostics = convert.finding_diagnostics(findings, text, self.settings, doc.position_codec)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    async def analyse(self, uri: str, doc, project: Project) -> FileAnalysis:
        """The document's analysis for its current version, computed once per version."""
        version = doc.version
        cached = self._analyses.get(uri)
        if cached is not None and cached[0] == version and cached[1] is project:
            return cached[2]
        path = Path(to_fs_path(uri) or uri)
        analysis = await asyncio.get_running_loop().run_in_executor(
            self._analysis_pool, project.analyse, doc.source, path, _language(doc)
        )
        self._analyses[uri] = (version, project, analysis)
        return analysis

    async def current_project(self) -> Project | None:
        try:
            await asyncio.wait_for(self.ready.wait(), timeout=30)
        except asyncio.TimeoutError:
            pass
        return self.project

    async def context(self, uri: str, position: lsp.Position) -> "DocumentContext | None":
        """Everything a request about a position needs, or None (no plan, no document)."""
        await self.current_project()
        doc = self.workspace.text_documents.get(uri)
        project = self.project
        if doc is None or project is None:
            return None
        text = doc.source
        lines = convert.lines_of(text)
        line, col = convert.from_position(position, lines, doc.position_codec)
        if self.is_plan(uri):
            return DocumentContext(doc, text, lines, line, col, project, None)
        if _language(doc) not in CODE_LANGUAGES:
            return None
        return DocumentContext(doc, text, lines, line, col, project, await self.analyse(uri, doc, project))

    def plan_location(self, span: Span) -> lsp.Location | None:
        uri = self.plan_uri()
        if uri is None:
            return None
        return convert.location(uri, span, convert.lines_of(self.plan_text), self.workspace.position_codec)

    def event_at(self, ctx: "DocumentContext") -> str | None:
        """The plan event at the position: its key in the plan, or a call of it in code."""
        plan = ctx.project.load.plan
        if plan is None:
            return None
        if ctx.analysis is None:
            for event in plan.events.values():
                span = event.span
                if span.line == ctx.line and span.col <= ctx.col <= span.end_col:
                    return event.name
            return None
        for call in ctx.analysis.calls:
            if _within(call.callee_span, ctx.line, ctx.col):
                api = ctx.project.apis.get(call.module)
                fn = api.function(call.function) if api else None
                return fn.event.name if fn else None
        return None

    def is_ignored(self, path: Path) -> bool:
        return self.root is None or is_ignored(self.root, path)

    def forget(self, uri: str) -> None:
        if (task := self._pending.pop(uri, None)) is not None:
            task.cancel()
        self._analyses.pop(uri, None)


@dataclass(frozen=True)
class DocumentContext:
    doc: Any
    text: str
    lines: list[str]
    line: int  # code points
    col: int
    project: Project
    analysis: FileAnalysis | None  # None for the plan document

    @property
    def codec(self):
        return self.doc.position_codec


def _called(entry: IndexedFile | None) -> list[tuple[Path, str]]:
    """What an index entry counts for the code lenses: each call's module and function."""
    return [(call.module, call.function) for call in entry.calls] if entry else []


def _within(span: Span, line: int, col: int) -> bool:
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _language(doc) -> str | None:
    """The file's language: by its extension where that is one of ours (a client may send
    a wrong id: Eglot 1.9 gives every buffer of a server the first buffer's), else by the
    id the client sent (an unsaved buffer has no extension)."""
    return language_of(Path(to_fs_path(doc.uri) or doc.uri)) or (doc.language_id if doc.language_id in CODE_LANGUAGES else None)


def summarize(outcomes: list[Outcome], root: Path) -> str:
    def rel(path: Path) -> str:
        return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)

    written = [rel(o.path) for o in outcomes if o.status == WRITTEN]
    unchanged = sum(o.status == UNCHANGED for o in outcomes)
    refused = [rel(o.path) for o in outcomes if o.status == REFUSED]
    parts = []
    if written:
        parts.append("wrote " + ", ".join(written))
    if unchanged:
        parts.append(f"{unchanged} unchanged")
    if refused:
        parts.append("refused " + ", ".join(refused))
    return "; ".join(parts) or "no sources in the plan"


server = AvoLanguageServer()


# -- lifecycle ------------------------------------------------------------------------


@server.feature(lsp.INITIALIZE)
def initialize(ls: AvoLanguageServer, params: lsp.InitializeParams) -> None:
    root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
    ls.root = Path(to_fs_path(root)).absolute() if root else None
    ls.apply_settings(params.initialization_options, initial=True)


@server.feature(lsp.INITIALIZED)
async def initialized(ls: AvoLanguageServer, params: lsp.InitializedParams) -> None:
    await pull_configuration(ls)
    if ls.supports_watched_files_registration():
        names = sorted({*PLAN_FILE_NAMES, ls.plan_path.name if ls.plan_path else PLAN_FILE_NAMES[0]})
        watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in names]
        watchers.append(lsp.FileSystemWatcher(glob_pattern=CODE_GLOB))
        await ls.client_register_capability_async(
            lsp.RegistrationParams(
                registrations=[
                    lsp.Registration(
                        id="avo-plan-watcher",
                        method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                    )
                ]
            )
        )
    # Clients that register watchers still miss changes made while a file is closed
    # in some set-ups, and the poll costs one stat: keep it in every case.
    ls._plan_watcher = asyncio.get_running_loop().create_task(ls.watch_plan(ls.plan_signature()))
    await ls.reload_plan()
    project = await ls.settled_project()  # an open plan buffer may have overtaken the disk
    if ls.settings.regenerate != "off" and project is not None and project.load.ok:
        await ls.regenerate("start-up")


async def pull_configuration(ls: AvoLanguageServer) -> None:
    if not ls.supports_configuration():
        return
    scope = from_fs_path(str(ls.root)) if ls.root else None
    try:
        [config] = await ls.workspace_configuration_async(
            lsp.ConfigurationParams(items=[lsp.ConfigurationItem(scope_uri=scope, section="avo")])
        )
    except Exception as exc:
        ls.log(f"avo: could not read the settings: {exc}", lsp.MessageType.Warning)
        return
    if config is not None:
        ls.apply_settings(config)


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: AvoLanguageServer, params: lsp.DidChangeConfigurationParams) -> None:
    before = ls.plan_path
    if ls.supports_configuration():
        await pull_configuration(ls)
    elif isinstance(params.settings, dict):
        ls.apply_settings(params.settings.get("avo", params.settings))
    if ls.plan_path != before:
        await ls.reload_plan()
    else:
        ls.publish_plan_diagnostics()
        ls.refresh_open_documents()


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: AvoLanguageServer, params: None) -> None:
    if ls._plan_watcher is not None:
        ls._plan_watcher.cancel()
    for uri in list(ls._pending):
        ls.forget(uri)


# -- documents ------------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: AvoLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    if ls.is_plan(uri):
        if params.text_document.text != ls.plan_text:
            await ls.reload_plan(params.text_document.text)
        else:
            ls.publish_plan_diagnostics()
    else:
        ls.schedule_diagnostics(uri, delay_ms=0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: AvoLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if not ls.is_plan(uri):
        ls.schedule_diagnostics(uri)
        return
    await asyncio.sleep(ls.settings.debounce_ms / 1000)
    doc = ls.workspace.text_documents.get(uri)
    if doc is None or doc.version != params.text_document.version:
        return  # a later change will do it
    if await ls.reload_plan(doc.source) and ls.settings.regenerate == "onChange":
        await ls.regenerate("the plan changed")


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))
async def did_save(ls: AvoLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
    if not ls.is_plan(params.text_document.uri):
        return
    saved = _read(ls.plan_path) if ls.plan_path else ""
    if saved != ls.plan_text:
        await ls.reload_plan(saved)
    if ls.settings.regenerate == "onSave":
        await ls.regenerate("the plan was saved", again=True)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: AvoLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.forget(uri)
    if ls.is_plan(uri):
        await ls.plan_changed_on_disk()  # unsaved edits are gone: the disk is the plan again
        return
    # Unsaved edits are gone too: the file shows what is wrong on disk, if anything.
    path = Path(to_fs_path(uri) or uri).resolve()
    ls.reindex_from_disk(path)
    entry = ls.index.get(path)
    diagnostics = convert.finding_diagnostics(entry.findings, entry.text, ls.settings, ls.workspace.position_codec) if entry else []
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
    if diagnostics:
        ls._closed_with_diagnostics.add(uri)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(ls: AvoLanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    if any(ls.is_plan(change.uri) for change in params.changes):
        await ls.plan_changed_on_disk()
    changed = False
    for change in params.changes:
        path = to_fs_path(change.uri)
        if path is None or ls.is_plan(change.uri) or change.uri in ls.workspace.text_documents:
            continue
        if language_of(Path(path)) is not None and not ls.is_ignored(Path(path)):
            ls.reindex_from_disk(Path(path).resolve())
            changed = True
    if changed:
        ls.publish_closed_files()


# -- completion -----------------------------------------------------------------------


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION,
    lsp.CompletionOptions(trigger_characters=[".", "(", ",", "{", '"', "'", "[", " ", ":"], resolve_provider=True),
)
async def completion(ls: AvoLanguageServer, params: lsp.CompletionParams) -> EncodedJson | None:
    ctx = await ls.context(params.text_document.uri, params.position)
    if ctx is None:
        return None
    if ctx.analysis is None:
        found = completions.complete_plan(ctx.project.load.plan, ctx.text, ctx.line, ctx.col)
    else:
        found = completions.complete_code(ctx.project, ctx.analysis, ctx.text, ctx.line, ctx.col, _language(ctx.doc))
    # A long list (every event after `avo.`) goes out without its documentation, which
    # the client asks for item by item (completionItem/resolve) as the user moves.
    lazy = len(found) > EAGER_DOCUMENTATION
    ls.last_completions = found.items if lazy else ()
    return EncodedJson(
        convert.completion_list(
            found, ctx.lines, ctx.codec, ls.supports_snippets(), ls.markdown_documentation(), not lazy, ls.supports_item_defaults()
        )
    )


@server.feature(lsp.COMPLETION_ITEM_RESOLVE)
def completion_item_resolve(ls: AvoLanguageServer, item: lsp.CompletionItem) -> lsp.CompletionItem:
    found = next((c for c in ls.last_completions if c.label == item.label), None)
    if found is not None and found.documentation and item.documentation is None:
        item.documentation = convert.markup(found.documentation, ls.markdown_documentation())
    return item


# -- navigation -----------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
async def hover(ls: AvoLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
    ctx = await ls.context(params.text_document.uri, params.position)
    if ctx is None:
        return None
    if ctx.analysis is None:
        found = navigation.hover_plan(ctx.project.load.plan, ctx.text, ctx.line, ctx.col, ctx.project.load.apis)
    else:
        found = navigation.hover_code(ctx.project, ctx.analysis, ctx.line, ctx.col)
    if found is None:
        return None
    return lsp.Hover(contents=convert.markup(found.markdown, ls.markdown_hover()), range=convert.to_range(found.span, ctx.lines, ctx.codec))


@server.feature(lsp.TEXT_DOCUMENT_SIGNATURE_HELP, lsp.SignatureHelpOptions(trigger_characters=["(", ",", "{"]))
async def signature_help(ls: AvoLanguageServer, params: lsp.SignatureHelpParams) -> lsp.SignatureHelp | None:
    ctx = await ls.context(params.text_document.uri, params.position)
    if ctx is None or ctx.analysis is None:
        return None
    found = navigation.signature_help(ctx.project, ctx.analysis, ctx.line, ctx.col, ctx.text)
    return convert.signature_help(found, ls.markdown_hover()) if found else None


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
async def definition(ls: AvoLanguageServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    ctx = await ls.context(params.text_document.uri, params.position)
    if ctx is None:
        return None
    if ctx.analysis is None:
        found = navigation.definition_plan(ctx.project.load.plan, ctx.text, ctx.line, ctx.col)
    else:
        found = navigation.definition_code(ctx.project, ctx.analysis, ctx.line, ctx.col)
    return ls.plan_location(found.span) if found else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
async def references(ls: AvoLanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    ctx = await ls.context(params.text_document.uri, params.position)
    if ctx is None or (event := ls.event_at(ctx)) is None:
        return None
    index = await ls.complete_index()
    found = [
        convert.location(from_fs_path(str(path)), call.callee_span, convert.lines_of(index[path].text), ls.workspace.position_codec)
        for path, call in calls_of_event(index, ctx.project, event)
    ]
    plan = ctx.project.load.plan
    if params.context.include_declaration and plan is not None and (declaration := ls.plan_location(plan.events[event].span)):
        found.insert(0, declaration)
    return sorted(found, key=lambda loc: (loc.uri, loc.range.start.line, loc.range.start.character))


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
async def code_lens(ls: AvoLanguageServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens] | None:
    project = await ls.current_project()
    if not ls.is_plan(params.text_document.uri) or project is None or project.load.plan is None:
        return None
    index = await ls.complete_index()
    doc = ls.workspace.get_text_document(params.text_document.uri)
    lines = convert.lines_of(doc.source)
    lenses = []
    counted = usage(index, project)
    for event in project.load.plan.events.values():
        counts = counted[event.name]
        parts = [
            f"{source}: {n} call site{'s' * (n != 1)}" if n else f"not implemented in {source}" for source, n in counts.items()
        ]
        if parts:
            lenses.append(
                lsp.CodeLens(range=convert.to_range(event.span, lines, doc.position_codec), command=lsp.Command(title=" · ".join(parts), command=""))
            )
    return lenses


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
async def document_symbol(ls: AvoLanguageServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
    project = await ls.current_project()
    if not ls.is_plan(params.text_document.uri) or project is None:
        return None
    doc = ls.workspace.get_text_document(params.text_document.uri)
    lines = convert.lines_of(doc.source)
    return [convert.document_symbol(s, lines, doc.position_codec) for s in navigation.document_symbols(project.load.plan, doc.source)]


@server.feature(lsp.WORKSPACE_SYMBOL)
async def workspace_symbol(ls: AvoLanguageServer, params: lsp.WorkspaceSymbolParams) -> list[lsp.SymbolInformation] | None:
    project = await ls.current_project()
    if project is None or project.load.plan is None:
        return None
    found = []
    for symbol in navigation.workspace_symbols(project.load.plan, params.query):
        location = ls.plan_location(symbol.span)
        if location is not None:
            found.append(lsp.SymbolInformation(name=symbol.name, kind=convert.SYMBOL_KIND[symbol.kind], location=location, container_name=symbol.container or None))
    return found


# -- quick fixes ----------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
async def code_action(ls: AvoLanguageServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    ctx = await ls.context(params.text_document.uri, params.range.start)
    if ctx is None or ctx.analysis is None:
        return None
    end = convert.from_position(params.range.end, ctx.lines, ctx.codec)
    wanted = [
        f for f in ctx.project.check(ctx.analysis)
        if (f.span.line, f.span.col) <= end and (ctx.line, ctx.col) <= (f.span.end_line, f.span.end_col)
    ]
    if not wanted:
        return None
    plan_doc = ls.workspace.text_documents.get(ls.plan_uri() or "")
    plan_text = plan_doc.source if plan_doc else ls.plan_text
    path = Path(to_fs_path(params.text_document.uri) or params.text_document.uri)
    found = await asyncio.get_running_loop().run_in_executor(
        ls._analysis_pool, fixes.fixes_for, ctx.project, ctx.analysis, ctx.text, path, wanted, plan_text
    )
    texts = {path.resolve(): ctx.text, ctx.project.load.path.resolve(): plan_text}
    actions = []
    for fix in found:
        changes: dict[str, list[lsp.TextEdit]] = {}
        for edit in fix.edits:
            lines = convert.lines_of(texts.get(edit.path.resolve(), ""))
            changes.setdefault(from_fs_path(str(edit.path)), []).append(
                lsp.TextEdit(range=convert.to_range(edit.span, lines, ctx.codec), new_text=edit.new_text)
            )
        diagnostics = [d for d in params.context.diagnostics if d.code == fix.finding.code and d.source == "avo"]
        actions.append(
            lsp.CodeAction(
                title=fix.title,
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=diagnostics or None,
                edit=lsp.WorkspaceEdit(changes=changes),
                is_preferred=fix.is_preferred or None,
            )
        )
    return actions


# -- commands -------------------------------------------------------------------------


@server.command(GENERATE_COMMAND)
async def generate_command(ls: AvoLanguageServer, *args: Any) -> dict:
    doc = ls.workspace.text_documents.get(ls.plan_uri() or "")
    if doc is None:
        await ls.reload_plan()
    elif doc.source != ls.plan_text:
        await ls.reload_plan(doc.source)  # the buffer as it is now, saved or not
    await ls.settled_project()
    outcomes = await ls.regenerate("generate command", again=True)
    if outcomes is None:
        errors = len(ls.project.load.errors) if ls.project else 0
        message = f"Avo: the plan has {errors} error(s); no file was generated" if errors else "Avo: no plan found"
        ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=message))
        return {"written": [], "unchanged": [], "refused": [], "errors": errors}
    return {status: [str(o.path) for o in outcomes if o.status == status] for status in (WRITTEN, UNCHANGED, REFUSED)}


def serve() -> None:
    server.start_io()
