"""What the call-site finders report: the same shape for every language.

A finder reads one source file and reports which local names refer to a generated module
or to one of its functions (`ImportBinding`), and every call of such a function
(`CallSite`). Positions are `Span`s: 0-based lines and code-point columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..plan import Span


class _Unknown:
    """The value of an argument that is not a literal: nothing can be said about it."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self):
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


@dataclass(frozen=True)
class ImportBinding:
    """A local name bound by an import to a generated module or to one of its functions."""

    local: str  # the name in the importing file: `avo`, `Avo`, `cc`
    module: Path  # the generated file it resolves to (absolute, resolved)
    function: str | None  # None when the name is the module itself
    span: Span  # where the local name is bound


@dataclass(frozen=True)
class Argument:
    name: str  # keyword (Python) or property key (TS/JS), as written
    name_span: Span
    value: Any  # the literal's value (str, int, float, bool, None, list) or UNKNOWN
    value_span: Span


@dataclass(frozen=True)
class CallSite:
    module: Path  # the generated file the callee comes from
    function: str  # the function's name in that module (aliases resolved)
    callee_span: Span  # the name of the function as written: `checkout_completed` in `avo.checkout_completed(`
    call_span: Span  # the whole call, callee to closing parenthesis
    arguments: tuple[Argument, ...]
    # True where the arguments cannot be known statically (`**kwargs`, object spread, a
    # non-literal argument object): the checks that need the full set stay silent.
    dynamic: bool = False
    # Where a new argument goes: just after the last argument, or inside the empty
    # parentheses / braces. Used for completion and quick fixes.
    insert_at: Span | None = None

    def argument(self, name: str) -> Argument | None:
        return next((a for a in self.arguments if a.name == name), None)


@dataclass(frozen=True)
class FileAnalysis:
    bindings: tuple[ImportBinding, ...] = ()
    calls: tuple[CallSite, ...] = ()

    def module_aliases(self) -> dict[str, Path]:
        return {b.local: b.module for b in self.bindings if b.function is None}


EMPTY = FileAnalysis()


@dataclass(frozen=True)
class GeneratedModules:
    """The generated files of a plan, which imports are resolved against."""

    root: Path  # the plan's folder (the workspace root), absolute and resolved
    files: frozenset[Path]  # absolute, resolved paths of the generated files

    @cached_property
    def stems(self) -> frozenset[str]:
        # A package's `__init__.py` (a folder's `index.ts`) is imported by its folder's name.
        return frozenset(p.stem for p in self.files) | frozenset(
            p.parent.name for p in self.files if p.stem in ("__init__", "index")
        )

    def mentioned_in(self, text: str) -> bool:
        """A cheap test that lets a file that cannot import a generated module cost
        next to nothing: every import of one names its file's stem."""
        return any(stem in text for stem in self.stems)
