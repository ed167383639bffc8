"""Node tooling for the tests of generated TypeScript and JavaScript: `tsc` and `node`.

`tsc` is the `typescript` package pinned in tools/package.json. When
tools/node_modules/.bin/tsc is missing, `tsc_bin()` runs `npm install --prefix tools`
once; without npm (or node) the tests that need it fail with a message saying so.
tsc starts slowly (1-2 s): check many files in one `run_tsc` call.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools"
TSC = TOOLS / "node_modules" / ".bin" / ("tsc.cmd" if os.name == "nt" else "tsc")

# The strictest reasonable settings: generated code must compile in any user's project.
TSC_FLAGS = (
    "--strict",
    "--noUnusedLocals",
    "--noUnusedParameters",
    "--noImplicitReturns",
    "--noFallthroughCasesInSwitch",
    "--noUncheckedIndexedAccess",
    "--exactOptionalPropertyTypes",
    "--noImplicitOverride",
    "--skipLibCheck",  # lib.dom.d.ts and friends are not ours to check: saves a second
    "--target",
    "ES2020",
    "--module",
    "commonjs",
    "--pretty",
    "false",
)


@lru_cache(maxsize=None)
def node_bin() -> Path:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the generated JavaScript tests need Node.js 18 or newer", pytrace=False)
    return Path(node)


@lru_cache(maxsize=None)
def tsc_bin() -> Path:
    """tools/node_modules/.bin/tsc, installed with `npm install --prefix tools` if missing."""
    install_tools(TSC)
    return TSC


SARIF_SCHEMA = TOOLS / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" / "sarif-2.1.0-rtm.5.json"


@lru_cache(maxsize=None)
def sarif_schema() -> dict:
    """The official SARIF 2.1.0 JSON Schema, as Microsoft's npm package ships it."""
    import json

    install_tools(SARIF_SCHEMA)
    return json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))


def install_tools(wanted: Path) -> None:
    """Run `npm install --prefix tools` when `wanted` (a file it installs) is missing."""
    if wanted.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            f"{wanted} is missing and npm is not on PATH: install Node.js and npm, then run `npm install --prefix {TOOLS}`",
            pytrace=False,
        )
    result = subprocess.run([npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund"], capture_output=True, text=True)
    if result.returncode != 0 or not wanted.exists():
        pytest.fail(f"`npm install --prefix {TOOLS}` failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def tsc() -> Path:
    return tsc_bin()


@pytest.fixture(scope="session")
def node() -> Path:
    return node_bin()


@dataclass(frozen=True)
class TscError:
    file: Path  # absolute
    line: int  # 1-based
    col: int  # 1-based
    code: str  # "TS2322"
    message: str


_TSC_LINE = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<message>.*)$")


def parse_tsc_output(output: str, cwd: Path) -> list[TscError]:
    """tsc's `file(line,col): error TSxxxx: message` lines (continuation lines are dropped)."""
    errors = []
    for line in output.splitlines():
        match = _TSC_LINE.match(line)
        if match:
            file = Path(match["file"])
            errors.append(
                TscError((cwd / file).resolve(), int(match["line"]), int(match["col"]), match["code"], match["message"])
            )
    return errors


def run_tsc(files: list[Path], cwd: Path, *extra: str) -> tuple[list[TscError], str]:
    """One tsc run over `files`; returns the parsed errors and the raw output."""
    result = subprocess.run(
        [str(tsc_bin()), *TSC_FLAGS, *extra, *(str(f) for f in files)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    return parse_tsc_output(output, cwd), output


def run_node(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(node_bin()), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
