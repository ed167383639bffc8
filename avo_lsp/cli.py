"""The `avo-lsp` command line: generate, check, init, serve."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from . import __version__, gc_tuning
from .codegen import generate
from .files import shown
from .loader import LoadResult, find_plan, load_plan
from .writer import MISSING, REFUSED, STALE, WRITTEN, check_files, write_files

STARTER_PLAN = Path(__file__).parent / "templates" / "avo.yaml"


def locate_plan(given: str | None) -> Path | None:
    if given:
        return Path(given)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (found := find_plan(folder)) is not None:
            return found
    return None


def _load(args: argparse.Namespace, print_errors: bool = True) -> LoadResult | None:
    """The plan; its errors go to stderr unless the command reports them itself."""
    path = locate_plan(args.plan)
    if path is None:
        print("avo-lsp: no avo.yaml here or in any parent folder (use --plan PATH, or `avo-lsp init`)", file=sys.stderr)
        return None
    result = load_plan(path)
    if print_errors:
        for error in result.errors:
            print(error.format(shown(result.path)), file=sys.stderr)
    return result


def cmd_generate(args: argparse.Namespace) -> int:
    result = _load(args)
    if result is None:
        return 2
    if not result.ok:
        print(f"avo-lsp: the plan has {len(result.errors)} error(s); no file was generated", file=sys.stderr)
        return 1
    assert result.plan is not None
    files = generate(result.plan, result.apis)
    if args.check:
        outcomes = check_files(result.plan.root, files)
        bad = [o for o in outcomes if o.status in (MISSING, STALE, REFUSED)]
        for outcome in bad:
            print(f"{shown(outcome.path)}: {outcome.status}: {outcome.reason}", file=sys.stderr)
        if bad:
            print("avo-lsp: generated code is not up to date; run `avo-lsp generate`", file=sys.stderr)
            return 1
        print(f"{len(outcomes)} generated file(s) up to date")
        return 0
    outcomes = write_files(result.plan.root, files)
    for outcome in outcomes:
        if outcome.status == REFUSED:
            print(f"{shown(outcome.path)}: refused: {outcome.reason}", file=sys.stderr)
        else:
            print(f"{shown(outcome.path)}: {outcome.status}")
    return 1 if any(o.status == REFUSED for o in outcomes) else 0


def cmd_check(args: argparse.Namespace) -> int:
    from .report import run_check

    result = _load(args, print_errors=False)  # they are part of its report, in its format
    if result is None:
        return 2
    return run_check(result, [Path(p) for p in args.paths], args)


def cmd_status(args: argparse.Namespace) -> int:
    from .report import run_status

    result = _load(args)
    if result is None:
        return 2
    return run_status(result, [Path(p) for p in args.paths], args)


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if target.is_dir():
        target = target / "avo.yaml"
    if target.exists():
        print(f"avo-lsp: {shown(target)} already exists; it is left alone", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER_PLAN.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {shown(target)}: edit it, then run `avo-lsp generate`")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import serve

    serve()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="avo-lsp", description="Tracking-plan code generator and language server.")
    parser.add_argument("--version", action="version", version=f"avo-lsp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = commands.add_parser("generate", help="generate the tracking code of every source in the plan")
    gen.add_argument("--plan", help="the plan file (default: avo.yaml in this folder or a parent)")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 when a generated file is missing or stale")
    gen.set_defaults(run=cmd_generate)

    check = commands.add_parser("check", help="print the diagnostics of the plan and of the code that calls it")
    check.add_argument("paths", nargs="*", help="files or folders to check (default: the plan's folder)")
    check.add_argument("--plan", help="the plan file (default: avo.yaml in this folder or a parent)")
    check.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text")
    check.add_argument("--severity", choices=("error", "warning", "information", "hint"), default="hint", help="the lowest severity to report")
    check.set_defaults(run=cmd_check)

    status = commands.add_parser("status", help="list, per source, each event and where it is called")
    status.add_argument("paths", nargs="*", help="files or folders to scan (default: the plan's folder)")
    status.add_argument("--plan", help="the plan file (default: avo.yaml in this folder or a parent)")
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(run=cmd_status)

    init = commands.add_parser("init", help="write a commented starter plan")
    init.add_argument("path", nargs="?", default="avo.yaml", help="where to write it (default: ./avo.yaml)")
    init.set_defaults(run=cmd_init)

    serve = commands.add_parser("serve", help="run the language server on stdio")
    serve.add_argument("--stdio", action="store_true", help="accepted for editors that pass it; stdio is the only transport")
    serve.set_defaults(run=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    gc_tuning.tune()
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
