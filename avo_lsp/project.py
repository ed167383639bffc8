"""A loaded plan with everything derived from it: an immutable snapshot.

The CLI and the server both work on a `Project`: the plan (and its errors), the generated
API of every source keyed by its generated file, and the analysis of a source file.
A new plan means a new `Project`; nothing in one ever changes, so a snapshot can be
read from any thread while the next one is being built.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .analysis.checks import Finding, check_calls
from .analysis.model import EMPTY, FileAnalysis, GeneratedModules
from .api import SourceApi
from .gc_tuning import gc_paused
from .loader import LoadResult, load_plan

# Which finder reads a file, by extension; the value is the language id LSP uses.
LANGUAGE_IDS = {
    ".py": "python",
    ".pyi": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescriptreact",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascriptreact",
}


def language_of(path: Path) -> str | None:
    return LANGUAGE_IDS.get(path.suffix.lower())


@dataclass(frozen=True)
class Project:
    load: LoadResult
    apis: Mapping[Path, SourceApi]  # by generated file (absolute, resolved)
    modules: GeneratedModules

    @classmethod
    def from_load(cls, load: LoadResult) -> "Project":
        plan = load.plan
        apis: dict[Path, SourceApi] = {}
        if plan is not None:
            for api in load.apis:
                apis[plan.source_file(api.source)] = api
        root = (load.path.parent).resolve()
        return cls(load, MappingProxyType(apis), GeneratedModules(root, frozenset(apis)))

    @classmethod
    def open(cls, plan_path: Path) -> "Project":
        return cls.from_load(load_plan(plan_path))

    @property
    def root(self) -> Path:
        return self.modules.root

    def is_generated_file(self, path: Path) -> bool:
        return path.resolve() in self.apis

    def analyse(self, text: str, path: Path, language_id: str | None = None) -> FileAnalysis:
        language_id = language_id or language_of(path)
        if language_id is None or not self.apis or self.is_generated_file(path):
            return EMPTY
        if language_id == "python":
            from .analysis.python import analyse_python as finder
        elif language_id in ("typescript", "typescriptreact", "javascript", "javascriptreact"):
            from .analysis.typescript import analyse_script

            def finder(text: str, path: Path, modules: GeneratedModules) -> FileAnalysis:
                return analyse_script(text, path, modules, language_id)
        else:
            return EMPTY
        with gc_paused():  # a file with many calls builds thousands of spans
            return finder(text, path, self.modules)

    def check(self, analysis: FileAnalysis) -> list[Finding]:
        return check_calls(analysis.calls, self.apis)
