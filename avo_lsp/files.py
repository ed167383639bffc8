"""Which files of a workspace are source code to analyse.

Walks a tree, skipping what is never the user's source (version control, virtual
environments, dependencies, build output) and what `.gitignore` files exclude.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pathspec

from .project import LANGUAGE_IDS

ALWAYS_SKIPPED = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".pytest_cache", ".tox", "dist", "build", ".next"}
)


def _gitignore(folder: Path) -> pathspec.PathSpec | None:
    ignore = folder / ".gitignore"
    try:
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def shown(path: Path) -> str:
    """A path as the user should see it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def source_files(*roots: Path) -> Iterator[Path]:
    """Every Python/TypeScript/JavaScript file below `roots` (or a root that is a file)."""
    for root in roots:
        root = root.absolute()
        if root.is_file():
            yield root
            continue
        specs: list[tuple[Path, pathspec.PathSpec]] = []
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            specs = [(base, spec) for base, spec in specs if here.is_relative_to(base)]
            if (spec := _gitignore(here)) is not None:
                specs.append((here, spec))

            def ignored(path: Path, is_dir: bool) -> bool:
                for base, spec in specs:
                    rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
                    if spec.match_file(rel):
                        return True
                return False

            dirs[:] = sorted(d for d in dirs if d not in ALWAYS_SKIPPED and not ignored(here / d, True))
            for name in sorted(files):
                path = here / name
                if path.suffix.lower() in LANGUAGE_IDS and not ignored(path, False):
                    yield path


def is_ignored(root: Path, path: Path) -> bool:
    """Whether `source_files(root)` would skip `path`: outside the root, in a skipped
    folder, or excluded by a `.gitignore` on the way down."""
    root, path = root.resolve(), path.resolve()
    if not path.is_relative_to(root):
        return True
    parts = path.relative_to(root).parts
    if any(part in ALWAYS_SKIPPED for part in parts[:-1]):
        return True
    folder = root
    for depth in range(len(parts)):
        spec = _gitignore(folder)
        if spec is not None:
            rel = Path(*parts[depth:]).as_posix()
            if spec.match_file(rel):
                return True
        folder = folder / parts[depth]
    return False
