"""The workspace index: every call site of a generated function, file by file.

Built by scanning the tree once (respecting `.gitignore`, skipping generated files),
then kept current file by file. References, code lens, `avo-lsp status` and workspace
diagnostics all read it. `IndexedFile`s are immutable; the index itself is a plain
mapping owned by whoever holds it (the server changes it only on its event loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from .analysis.checks import Finding
from .analysis.model import CallSite
from .codegen import is_generated
from .files import source_files
from .project import Project


@dataclass(frozen=True)
class IndexedFile:
    path: Path
    text: str  # the text the entry was computed from (to convert positions)
    calls: tuple[CallSite, ...]
    findings: tuple[Finding, ...]


def index_file(project: Project, path: Path, text: str | None = None) -> IndexedFile | None:
    """The entry of one file (read from disk unless `text` is given); None for a file
    that calls nothing, so the index only holds files that matter."""
    if project.is_generated_file(path):
        return None
    if text is None:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    if is_generated(text):
        return None  # a generated file the plan no longer lists: no calls of ours in it
    analysis = project.analyse(text, path)
    if not analysis.calls:
        return None
    return IndexedFile(path, text, analysis.calls, tuple(project.check(analysis)))


def build_index(
    project: Project, roots: Iterable[Path], progress: Callable[[int, int], None] | None = None
) -> dict[Path, IndexedFile]:
    paths = [p.resolve() for p in source_files(*roots)]
    index: dict[Path, IndexedFile] = {}
    for done, path in enumerate(paths, 1):
        entry = index_file(project, path)
        if entry is not None:
            index[path] = entry
        if progress is not None:
            progress(done, len(paths))
    return index


def calls_of_event(index: Mapping[Path, IndexedFile], project: Project, event_name: str) -> Iterator[tuple[Path, CallSite]]:
    """Every call, in every source, of a function generated for `event_name`."""
    for path, entry in index.items():
        for call in entry.calls:
            api = project.apis.get(call.module)
            fn = api.function(call.function) if api else None
            if fn is not None and fn.event.name == event_name:
                yield path, call


def calls_by_function(index: Mapping[Path, IndexedFile]) -> dict[tuple[Path, str], list[tuple[Path, CallSite]]]:
    """Every call in the index by (generated module, function name), in file order: one
    pass for a question asked of every function at once (`avo-lsp status`)."""
    grouped: dict[tuple[Path, str], list[tuple[Path, CallSite]]] = {}
    for path, entry in index.items():
        for call in entry.calls:
            grouped.setdefault((call.module, call.function), []).append((path, call))
    return grouped


def usage(index: Mapping[Path, IndexedFile], project: Project) -> dict[str, dict[str, int]]:
    """For every event of the plan, how many call sites each of its sources has (0 for
    "not implemented"), in one pass over the index (the code lenses of a whole plan)."""
    plan = project.load.plan
    if plan is None:
        return {}
    counts = {name: {source: 0 for source in event.sources} for name, event in plan.events.items()}
    for entry in index.values():
        for call in entry.calls:
            api = project.apis.get(call.module)
            fn = api.function(call.function) if api else None
            if fn is not None and fn.event.name in counts:
                by_source = counts[fn.event.name]
                by_source[api.source.name] = by_source.get(api.source.name, 0) + 1
    return counts
