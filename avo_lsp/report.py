"""`avo-lsp check` and `avo-lsp status`: the workspace scan and its output formats."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import __version__
from .analysis.checks import CODE_CODES
from .index import IndexedFile, build_index, calls_by_function
from .files import shown
from .loader import LoadResult
from .plan import PLAN_ERROR_CODES, Span
from .project import Project

SEVERITY_RANK = {"error": 0, "warning": 1, "information": 2, "hint": 3}


@dataclass(frozen=True)
class Reported:
    path: Path
    span: Span
    code: str
    severity: str
    message: str


PROGRESS_MIN_FILES = 500  # a smaller tree is scanned before a progress line could be read
PROGRESS_EVERY = 100


def scan(project: Project, roots: Iterable[Path]) -> dict[Path, IndexedFile]:
    """The index of `roots`. On a terminal, a large tree shows a progress line on stderr,
    rewritten in place and erased at the end; piped, nothing extra is printed."""

    def show(done: int, total: int) -> None:
        if total < PROGRESS_MIN_FILES:
            return
        if done == total:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)
        elif done % PROGRESS_EVERY == 0:
            print(f"\rscanning: {done}/{total} files", end="", file=sys.stderr, flush=True)

    return build_index(project, roots, show if sys.stderr.isatty() else None)


def run_check(result: LoadResult, paths: list[Path], args: argparse.Namespace) -> int:
    reported = [Reported(result.path, e.span, e.code, "error", e.message) for e in result.errors]
    if result.plan is not None:
        project = Project.from_load(result)
        for entry in scan(project, paths or [project.root]).values():
            reported += [Reported(entry.path, f.span, f.code, f.severity, f.message) for f in entry.findings]
    floor = SEVERITY_RANK[args.severity]
    reported = [r for r in reported if SEVERITY_RANK[r.severity] <= floor]
    reported.sort(key=lambda r: (str(r.path), r.span.line, r.span.col, r.code))
    print(FORMATTERS[args.format](reported))
    return 1 if any(r.severity == "error" for r in reported) else 0


def format_text(reported: list[Reported]) -> str:
    lines = [f"{shown(r.path)}:{r.span.line + 1}:{r.span.col + 1}: {r.code}: {r.message}" for r in reported]
    counts = {s: sum(1 for r in reported if r.severity == s) for s in SEVERITY_RANK}
    summary = ", ".join(f"{n} {s}{'s' if n != 1 and s in ('error', 'warning') else ''}" for s, n in counts.items() if n)
    lines.append(summary or "no problems found")
    return "\n".join(lines)


def format_json(reported: list[Reported]) -> str:
    return json.dumps(
        [
            {
                "path": shown(r.path),
                "line": r.span.line + 1,
                "column": r.span.col + 1,
                "end_line": r.span.end_line + 1,
                "end_column": r.span.end_col + 1,
                "code": r.code,
                "severity": r.severity,
                "message": r.message,
            }
            for r in reported
        ],
        indent=2,
        ensure_ascii=False,
    )


def format_github(reported: list[Reported]) -> str:
    # GitHub Actions workflow commands: one annotation per line.
    level = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}

    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return escape(text).replace(":", "%3A").replace(",", "%2C")

    return "\n".join(
        f"::{level[r.severity]} file={prop(shown(r.path))},line={r.span.line + 1},col={r.span.col + 1},"
        f"endLine={r.span.end_line + 1},endColumn={r.span.end_col + 1},title={prop(r.code)}::{escape(r.message)}"
        for r in reported
    )


def format_sarif(reported: list[Reported]) -> str:
    level = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
    rules = [{"id": code, "shortDescription": {"text": code.replace("-", " ")}} for code in PLAN_ERROR_CODES + CODE_CODES]
    results = [
        {
            "ruleId": r.code,
            "level": level[r.severity],
            "message": {"text": r.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": shown(r.path).replace("\\", "/")},
                        "region": {
                            "startLine": r.span.line + 1,
                            "startColumn": r.span.col + 1,
                            "endLine": r.span.end_line + 1,
                            "endColumn": r.span.end_col + 1,
                        },
                    }
                }
            ],
        }
        for r in reported
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "avo-lsp", "version": __version__, "rules": rules}}, "results": results}],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


FORMATTERS = {"text": format_text, "json": format_json, "github": format_github, "sarif": format_sarif}


def run_status(result: LoadResult, paths: list[Path], args: argparse.Namespace) -> int:
    if result.plan is None:
        return 1
    project = Project.from_load(result)
    grouped = calls_by_function(scan(project, paths or [project.root]))
    report = []
    unused = 0
    for module, api in project.apis.items():
        events = []
        for fn in api.functions:
            sites = [{"path": shown(path), "line": call.callee_span.line + 1} for path, call in grouped.get((module, fn.name), ())]
            unused += not sites
            events.append({"event": fn.event.name, "function": fn.name, "call_sites": sites})
        report.append({"source": api.source.name, "path": shown(module), "events": events})
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        lines = []
        for source in report:
            lines.append(f"{source['source']} ({source['path']})")
            for event in source["events"]:
                lines.append(f"  {event['event']} ({event['function']})")
                for site in event["call_sites"]:
                    lines.append(f"    used in {site['path']}:{site['line']}")
                if not event["call_sites"]:
                    lines.append("    no usage found")
        lines.append(f"{unused} event(s) with no usage" if unused else "every event is used")
        print("\n".join(lines))
    return 1 if unused else 0
