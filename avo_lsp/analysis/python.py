"""The call-site finder for Python.

`analyse_python` reads one Python file and reports the local names that its imports bind
to a generated module or to one of its functions, and every call of such a function, in
the shape of `avo_lsp.analysis.model`. It is pure: no LSP, no writes, no cache (the
caller caches). The only disk access is `os.path.realpath` of the file's folder, once,
when the file has a relative import.

How it works, and why not parso
-------------------------------
A full parse is too slow for a language server that re-reads a file on every change:
on a 5,000-line file parso takes 300-600 ms and even CPython's own C parser (`ast`)
~100 ms, and `ast` gives up at the first syntax error. The finder therefore never parses
the whole file. It applies Python's *lexical* rules (strings with every prefix, triple
quotes, escapes and line continuations, comments, brackets) as compiled regular
expressions:

1. one pass lists where the strings and comments are (in C, ~1 ms for 5,000 lines);
2. each `import` keyword outside them starts an import statement, read token by token
   and resolved; nothing bound means EMPTY;
3. each bound local name outside strings and comments (and not after a `.`, `def` or
   `class`) must be followed by the tokens of a call: `avo.fn(`, `pkg.avo.fn(`, `cc(`;
   the argument list is then read up to its closing bracket, in one regular-expression
   match per argument when it is simple (keyword arguments with plain one-line strings,
   numbers or names), token by token otherwise;
4. argument values are evaluated from their tokens (literals only, never `eval`).

So a name in a string or a comment is never a call, a call is only ever found through an
import, and a syntax error elsewhere in the file hides nothing (there is no parse tree to
break). Only an unterminated triple-quoted string hides what follows it, as it does for
Python itself. Errors inside a call are recovered as parso's tokenizer does: a statement
keyword (`def`, `class`, `return`, `import`, ...) or `;` inside the brackets ends the
call. A call that is never closed (the user is typing) is cut before the first line that
starts no deeper than the call's own line (reading at most 20 lines past it), and is
`dynamic`. The tests check the finder against parso's tree on a fixture of varied
calls.

Imports understood
------------------
`import pkg.avo` (local name "pkg.avo", called as `pkg.avo.fn(...)`),
`import pkg.avo as a`, `from pkg import avo [as a]`, `from pkg.avo import fn [as cc]`,
parenthesised and multi-name forms, and relative imports (`from . import avo`,
`from .analytics import avo`, `from ..x.avo import fn`) resolved against the importing
file's folder. Absolute dotted names resolve by matching the END of a generated file's
path (`backend.analytics.avo` matches `/ws/src/backend/analytics/avo.py`); a generated
`pkg/avo/__init__.py` is the module `pkg.avo`. When several generated files match, the
one sharing the longest folder prefix with the importing file wins. Only `.py` generated
files are candidates. `from pkg.avo import *` binds nothing (the finder does
not know the module's names).

Scoping is simple: an import anywhere in the file (also inside a function) applies to
the whole file. When the same local name is bound by several imports (including imports
of other, non-generated modules), a use refers to the nearest import before it (or the
first import when none precedes it), so `from other import checkout_completed` in one
function does not make its calls generated calls. Assignments, `def`s and parameters that
shadow an imported name are not tracked. Calls inside f-string replacement fields are
not found.
"""

from __future__ import annotations

import ast
import keyword
import os
import re
from bisect import bisect_right
from pathlib import Path
from typing import Any

from ..plan import Span, fast_constructor
from .model import (
    EMPTY,
    UNKNOWN,
    Argument,
    CallSite,
    FileAnalysis,
    GeneratedModules,
    ImportBinding,
)

__all__ = ["analyse_python"]

# A file with many calls makes thousands of these (see `fast_constructor`).
_new_span = fast_constructor(Span)
_new_argument = fast_constructor(Argument)

# --------------------------------------------------------------------------- lexer rules

# String bodies. A single-quoted string that is not closed ends at the end of its line (as
# in parso); a triple-quoted one runs to the end of the file (as in Python).
_SQ = r"'[^'\\\r\n]*(?:\\(?:\r\n|[\s\S])[^'\\\r\n]*)*'?"
_DQ = _SQ.replace("'", '"')
_TSQ = r"'''[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*(?:'''|\Z)"
_TDQ = _TSQ.replace("'", '"')
_STRING_BODY = f"{_TSQ}|{_TDQ}|{_SQ}|{_DQ}"
# Every legal prefix (case-insensitive): r u b br rb f fr rf, and 3.14's t tr rt.
_PREFIX = r"(?:[rR][bBfFtT]?|[bBfFtT][rR]?|[uU])?"
_SKIP = re.compile(f"{_STRING_BODY}|#[^\\r\\n]*")  # what scans jump over: strings, comments

_DIGITS = r"\d(?:_?\d)*"
_NUMBER = (
    r"(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+"
    rf"|(?:(?:{_DIGITS})?\.{_DIGITS}|{_DIGITS}\.?)(?:[eE][+-]?{_DIGITS})?[jJ]?)"
)

# One token, after spaces and backslash line continuations. `lastgroup` is its kind.
_TOKEN = re.compile(
    r"(?:[ \t\f]|\\(?:\r\n|\r|\n))*"
    r"(?:(?P<nl>\r\n|\r|\n)"
    r"|(?P<comment>#[^\r\n]*)"
    rf"|(?P<string>{_PREFIX}(?:{_STRING_BODY}))"
    rf"|(?P<number>{_NUMBER})"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*=?|//=?|<<=?|>>=?|->|\.\.\.|[-+*/%&|^@<>=!:]=|[^\s\w])"
    r"|(?P<end>\Z)"
    r"|(?P<err>[\s\S]))"
)

_IMPORT_KEYWORD = re.compile(r"\bimport\b")

# The fast path for the common argument list: keyword arguments whose values are a
# one-line string, a number, a name with attribute/call/subscript trailers (`order["id"]`,
# `len(cart)`) or a bracketed display (`["a", "b"]`, `[i.id for i in items]`), brackets
# nested at most two deep on one line, up to `)`; comments may stand between arguments.
# One match reads one argument; anything else (an operator, a lambda, a comment or a line
# break inside a value...) takes the token path.
_ONE_LINE_STRING = r"'[^'\\\r\n]*'|" + r'"[^"\\\r\n]*"'
_FLAT = rf"""(?:[^()\[\]{{}}'"#\\\r\n]|{_ONE_LINE_STRING})*"""
_INNER = rf"(?:[^()\[\]{{}}'\"#\\\r\n]|{_ONE_LINE_STRING}|\({_FLAT}\)|\[{_FLAT}\]|\{{{_FLAT}\}})*"
_BRACKETS = rf"(?:\({_INNER}\)|\[{_INNER}\]|\{{{_INNER}\}})"
# Between arguments: spaces, line breaks, comments. A comment runs to the end of its line
# (the lookahead), or backtracking would end it early and read `x=1)` in `# f(x=1)`.
# One blank per repetition, never `(?:\s+)*`: that nests two loops over the same
# characters, and a failing match then tries every way of splitting the blanks
# (exponential in the width of an indent).
_GAP = r"(?:\s|#[^\r\n]*(?![^\r\n]))*"
_SIMPLE_ARGUMENT = re.compile(
    rf"{_GAP}(?P<name>[^\W\d]\w*)\s*=\s*"
    rf"(?P<value>(?P<string>{_PREFIX}(?:{_ONE_LINE_STRING}))"
    rf"|(?P<number>-?\s*{_NUMBER})"
    rf"|(?P<ref>[^\W\d]\w*)(?P<trailers>(?:\s*(?:\.\s*[^\W\d]\w*|{_BRACKETS}))*)"
    rf"|(?P<display>{_BRACKETS}))"
    rf"{_GAP}(?P<sep>[,)])"
)
_CLOSE = re.compile(rf"{_GAP}\)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTINUED = re.compile(r"\\(?:\r\n|\r|\n)")

# What may stand before the `import` keyword on its (logical) line.
_BARE_IMPORT_PREFIX = re.compile(r"(?:^|[;:])[ \t\f]*$")
_FROM_IMPORT_PREFIX = re.compile(r"(?:^|[;:])[ \t\f]*from(?!\w)(?P<source>[\w. \t\f]*)$")
_FROM_SOURCE = re.compile(
    r"[ \t\f]*(?P<dots>(?:\.[ \t\f]*)*)"
    r"(?P<name>[^\W\d]\w*(?:[ \t\f]*\.[ \t\f]*[^\W\d]\w*)*)?[ \t\f]*"
)
_DEF_BEFORE = re.compile(r"(?<!\w)(?:def|class)\Z")  # searched up to the word before a name

# Keywords that never appear inside brackets: one of them ends an unclosed call (parso's
# tokenizer resets its bracket level on the same list, plus `raise` and `elif`).
_BREAK_KEYWORDS = frozenset(
    (
        "import", "class", "def", "try", "except", "finally", "while", "with", "return",
        "continue", "break", "del", "pass", "global", "assert", "nonlocal", "raise", "elif",
    )
)  # fmt: skip
_OPENERS = {")": "(", "]": "[", "}": "{"}
_CONSTANTS = {"True": True, "False": False, "None": None}
_PY_SUFFIXES = (".py",)
_UNCLOSED_LINES = 20  # how far an unclosed call is read past its cut
_FAST_PATH = True  # tests turn it off to check that both paths agree

_Token = tuple[str, int, int, str]  # kind, start offset, end offset, text


def _module_parts(file: Path) -> tuple[str, ...]:
    """The trailing dotted name of a generated file: `.../pkg/avo.py` -> (..., "pkg",
    "avo"); a package's `.../pkg/avo/__init__.py` -> (..., "pkg", "avo")."""
    parts = file.parts
    if file.stem == "__init__":
        return parts[:-1]
    return parts[:-1] + (file.stem,)


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _attribute_dot(text: str, dot: int) -> bool:
    """Whether the `.` at `dot` makes the name after it an attribute: not the end of
    `...` (`def f(): ...` then a call on the next line) nor of a number (`x = 1.`)."""
    if dot > 0 and text[dot - 1] == ".":
        return False
    k = dot - 1
    while k >= 0 and (text[k].isalnum() or text[k] == "_"):
        k -= 1
    return not text[k + 1 : k + 2].isdigit()


# --------------------------------------------------------------------------- values


def _number(token: str) -> Any:
    t = token.replace("_", "")
    if t[-1] in "jJ":
        return UNKNOWN  # complex
    try:
        if t[:2].lower() in ("0x", "0o", "0b"):
            return int(t, 0)
        if "." in t or "e" in t or "E" in t:
            return float(t)
        return int(t)
    except ValueError:
        return UNKNOWN


def _string(token: str) -> Any:
    """The value of one string token; UNKNOWN for f-/t-strings, bytes and broken ones."""
    quote_at = 0
    while token[quote_at] not in "'\"":
        quote_at += 1
    prefix = token[:quote_at].lower()
    if "f" in prefix or "t" in prefix or "b" in prefix:
        return UNKNOWN
    quote = token[quote_at]
    width = 3 if token.startswith(quote * 3, quote_at) else 1
    start = quote_at + width
    if len(token) < start + width or not token.endswith(quote * width):
        return UNKNOWN  # unterminated
    body = token[start : len(token) - width]
    if "\\" in body:
        try:
            value = ast.literal_eval(token)
        except (SyntaxError, ValueError):
            return UNKNOWN
        return value if isinstance(value, str) else UNKNOWN
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    return body


# --------------------------------------------------------------------------- the finder


class _Finder:
    def __init__(self, text: str, path: Path, modules: GeneratedModules):
        self.text = text
        self.path = path
        self.py_files = {f: _module_parts(f) for f in modules.files if f.suffix in _PY_SUFFIXES}
        self._folder: Path | None = None
        self._starts: list[int] | None = None
        self._skip: tuple[list[int], list[int]] | None = None  # strings and comments
        self._line, self._line_lo, self._line_hi = 0, 0, -1
        # local name -> [(offset of the import, module or None, function or None)]
        self.imports: dict[str, list[tuple[int, Path | None, str | None]]] = {}
        self.bindings: list[ImportBinding] = []
        self.calls: list[CallSite] = []

    # -- positions

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in _LINE_BREAK.finditer(self.text)]
        return self._starts

    def point(self, offset: int) -> tuple[int, int]:
        # Most lookups fall on the line of the previous one: check it before bisecting.
        if self._line_lo <= offset < self._line_hi:
            return self._line, offset - self._line_lo
        starts = self.starts
        line = bisect_right(starts, offset) - 1
        self._line, self._line_lo = line, starts[line]
        self._line_hi = starts[line + 1] if line + 1 < len(starts) else len(self.text) + 1
        return line, offset - self._line_lo

    def span(self, start: int, end: int) -> Span:
        lo = self._line_lo
        if lo <= start and end < self._line_hi:
            line = self._line
            return _new_span(line, start - lo, line, end - lo)
        line, col = self.point(start)
        end_line, end_col = self.point(end)
        return _new_span(line, col, end_line, end_col)

    def line_start(self, offset: int) -> int:
        text = self.text
        return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1

    # -- tokens

    def token(self, pos: int) -> _Token:
        m = _TOKEN.match(self.text, pos)
        assert m is not None  # `err` matches any character, `end` the end
        kind = m.lastgroup
        assert kind is not None
        return kind, m.start(kind), m.end(), m.group(kind)

    def significant(self, pos: int, newlines: bool) -> _Token:
        """The next token that is not a comment (nor a line break, if `newlines`)."""
        while True:
            tok = self.token(pos)
            kind = tok[0]
            if kind == "comment" or (newlines and kind == "nl") or kind == "err":
                pos = tok[2]
                continue
            return tok

    @staticmethod
    def is_op(tok: _Token, op: str) -> bool:
        return tok[0] == "op" and tok[3] == op

    # -- resolving imports

    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(os.path.realpath(self.path.parent))
        return self._folder

    def resolve(self, level: int, parts: list[str]) -> Path | None:
        """The generated file a module name resolves to, or None."""
        if level == 0:
            return self.resolve_absolute(tuple(parts))
        base = self.folder()
        for _ in range(level - 1):
            base = base.parent
        if not parts:
            candidates = [base / "__init__.py"]
        else:
            target = base.joinpath(*parts)
            candidates = [target.with_name(target.name + ".py"), target / "__init__.py"]
        return next((c for c in candidates if c in self.py_files), None)

    def resolve_absolute(self, parts: tuple[str, ...]) -> Path | None:
        if not parts:
            return None
        k = len(parts)
        matches = [f for f, mp in self.py_files.items() if len(mp) >= k and mp[-k:] == parts]
        if len(matches) <= 1:
            return matches[0] if matches else None
        here = Path(os.path.abspath(self.path)).parent.parts
        return max(sorted(matches), key=lambda f: _common_prefix(f.parent.parts, here))

    # -- step 1: imports

    def skipped_from(self, offset: int) -> int | None:
        """Where the string or comment around `offset` starts; None when it is code."""
        if self._skip is None:
            starts: list[int] = []
            ends: list[int] = []
            for m in _SKIP.finditer(self.text):
                starts.append(m.start())
                ends.append(m.end())
            self._skip = (starts, ends)
        starts, ends = self._skip
        i = bisect_right(starts, offset) - 1
        return starts[i] if i >= 0 and offset < ends[i] else None

    def skipped(self, offset: int) -> bool:
        """Whether an offset is inside a string or a comment."""
        return self.skipped_from(offset) is not None

    def code_before(self, offset: int) -> int:
        """The offset of the last character of code before `offset`, across spaces, line
        breaks, continuations and comments (-1 at the start of the file)."""
        text = self.text
        j = offset - 1
        while j >= 0:
            c = text[j]
            if c in " \t\f\r\n\\":
                j -= 1
            elif (start := self.skipped_from(j)) is not None and text[start] == "#":
                j = start - 1  # a comment
            else:
                return j
        return j

    def scan_imports(self) -> None:
        for m in _IMPORT_KEYWORD.finditer(self.text):
            if not self.skipped(m.start()):
                self.import_statement(m.start(), m.end())

    def import_statement(self, start: int, end: int) -> None:
        text = self.text
        line_start = self.line_start(start)
        # Backslash continuations: `from a \` / `    import b`.
        while line_start > 0 and _CONTINUED.search(text, max(0, line_start - 3), line_start):
            line_start = self.line_start(line_start - 1 - (text[line_start - 2 : line_start] == "\r\n"))
        prefix = _CONTINUED.sub(" ", text[line_start:start])
        if _BARE_IMPORT_PREFIX.search(prefix):
            for parts, (s, e), alias in self.import_names(end, dotted=True, parens=False):
                target = self.resolve(0, parts)
                if alias is None:
                    self.bind(".".join(parts), s, e, target, None)
                else:
                    self.bind(alias[0], alias[1], alias[2], target, None)
            return
        m = _FROM_IMPORT_PREFIX.search(prefix)
        if m is None:
            return
        source = _FROM_SOURCE.fullmatch(m.group("source"))
        if source is None or not (source.group("dots") or source.group("name")):
            return
        level = source.group("dots").count(".")
        name = source.group("name")
        parts = [p.strip(" \t\f") for p in name.split(".")] if name else []
        module = self.resolve(level, parts)
        for names, (s, e), alias in self.import_names(end, dotted=False, parens=True):
            local, ls, le = alias if alias is not None else (names[0], s, e)
            if module is not None:
                self.bind(local, ls, le, module, names[0])
            else:
                self.bind(local, ls, le, self.resolve(level, parts + names), None)

    def import_names(
        self, pos: int, dotted: bool, parens: bool
    ) -> list[tuple[list[str], tuple[int, int], tuple[str, int, int] | None]]:
        """The names after `import`: [(dotted parts, their offsets, (alias, start, end))].
        Reading stops at the first token that does not fit (error tolerance)."""
        found: list[tuple[list[str], tuple[int, int], tuple[str, int, int] | None]] = []
        tok = self.significant(pos, newlines=False)
        in_parens = parens and self.is_op(tok, "(")
        if in_parens:
            pos = tok[2]
        while True:
            tok = self.significant(pos, newlines=in_parens)
            if tok[0] != "name" or keyword.iskeyword(tok[3]):
                return found  # `*`, `)`, the end of the statement, an error
            parts = [tok[3]]
            start, end = tok[1], tok[2]
            pos = end
            tok = self.significant(pos, newlines=in_parens)
            while dotted and self.is_op(tok, "."):
                nxt = self.significant(tok[2], newlines=in_parens)
                if nxt[0] != "name":
                    return found  # `import pkg.` being typed
                parts.append(nxt[3])
                end = pos = nxt[2]
                tok = self.significant(pos, newlines=in_parens)
            alias = None
            if tok[0] == "name" and tok[3] == "as":
                nxt = self.significant(tok[2], newlines=in_parens)
                if nxt[0] != "name" or keyword.iskeyword(nxt[3]):
                    return found
                alias = (nxt[3], nxt[1], nxt[2])
                pos = nxt[2]
                tok = self.significant(pos, newlines=in_parens)
            found.append((parts, (start, end), alias))
            if not self.is_op(tok, ","):
                return found
            pos = tok[2]

    def bind(self, local: str, start: int, end: int, module: Path | None, function: str | None) -> None:
        self.imports.setdefault(local, []).append((start, module, function))
        if module is not None:
            self.bindings.append(ImportBinding(local, module, function, self.span(start, end)))

    def lookup(self, local: str, offset: int) -> tuple[Path | None, str | None] | None:
        entries = self.imports.get(local)
        if not entries:
            return None
        chosen = entries[0]
        for entry in entries:  # in file order
            if entry[0] > offset:
                break
            chosen = entry
        return chosen[1], chosen[2]

    # -- step 2: calls

    def scan_calls(self) -> None:
        locals_ = [local for local, entries in self.imports.items() if any(e[1] for e in entries)]
        firsts = sorted({local.split(".")[0] for local in locals_}, key=len, reverse=True)
        scan = re.compile(rf"\b(?:{'|'.join(map(re.escape, firsts))})\b")
        text = self.text
        for m in scan.finditer(text):
            start = m.start()
            if self.skipped(start):
                continue
            j = self.code_before(start)  # line breaks and comments: inside brackets
            if j >= 0 and text[j] == "." and _attribute_dot(text, j):
                continue  # an attribute: `self.avo`
            if j >= 2 and _DEF_BEFORE.search(text, max(0, j - 8), j + 1):
                continue  # `def cc(`
            self.call_at(start, m.end())

    def call_at(self, start: int, end: int) -> None:
        names = [self.text[start:end]]
        callee = (start, end)
        tok = self.significant(end, newlines=True)
        while self.is_op(tok, "."):
            nxt = self.significant(tok[2], newlines=True)
            if nxt[0] != "name":
                return
            names.append(nxt[3])
            callee = (nxt[1], nxt[2])
            tok = self.significant(nxt[2], newlines=True)
        if not self.is_op(tok, "("):
            return
        if len(names) == 1:
            found = self.lookup(names[0], start)
            if found is None or found[0] is None or found[1] is None:
                return
            module, function = found[0], found[1]
        else:
            found = self.lookup(".".join(names[:-1]), start)
            if found is None or found[0] is None or found[1] is not None:
                return
            module, function = found[0], names[-1]
        self.calls.append(self.call_site(module, function, start, callee, tok[2]))

    def call_site(self, module: Path, function: str, start: int, callee: tuple[int, int], open_end: int) -> CallSite:
        if _FAST_PATH:
            simple = self.simple_arguments(open_end)
            if simple is not None:
                arguments, insert_at, end = simple
                return CallSite(
                    module=module,
                    function=function,
                    callee_span=self.span(*callee),
                    call_span=self.span(start, end),
                    arguments=tuple(arguments),
                    dynamic=False,
                    insert_at=self.span(insert_at, insert_at),
                )
        text = self.text
        line_start = self.line_start(start)
        indent = line_start
        while indent < start and text[indent] in " \t\f":
            indent += 1
        indent -= line_start
        # Read the tokens up to the closing bracket.
        toks: list[_Token] = []
        stack = ["("]
        cut: int | None = None  # where to cut the call if it is never closed
        lines_after_cut = 0
        new_line = False
        closed = False
        broken = False  # mismatched brackets
        end = open_end
        for m in _TOKEN.finditer(text, open_end):
            kind = m.lastgroup
            if kind == "nl":
                new_line = True
                line_start = m.end()
                if cut is not None:
                    lines_after_cut += 1
                    if lines_after_cut > _UNCLOSED_LINES:
                        break  # surely never closed: keeps many unclosed calls linear
                continue
            if kind == "comment" or kind == "err":
                continue
            if kind == "end":
                break
            ts, te = m.span(kind)
            value = m.group(kind)
            if new_line:
                new_line = False
                if cut is None and ts - line_start <= indent and not (kind == "op" and value in _OPENERS):
                    cut = len(toks)
            if kind == "name":
                if value in _BREAK_KEYWORDS:
                    break
            elif kind == "op":
                if value in "([{":
                    stack.append(value)
                elif value in _OPENERS:
                    opener = _OPENERS[value]
                    if opener not in stack:
                        broken = True
                        continue  # a stray closer
                    if stack[-1] != opener:
                        broken = True
                    while stack.pop() != opener:
                        pass
                    if not stack:
                        closed = True
                        end = te
                        break
                elif value == ";":
                    break
            toks.append((kind, ts, te, value))  # type: ignore[arg-type]
        if not closed:
            if cut is not None:
                del toks[cut:]
            end = toks[-1][2] if toks else open_end
        arguments, dynamic, insert_at = self.arguments(toks, open_end)
        return CallSite(
            module=module,
            function=function,
            callee_span=self.span(*callee),
            call_span=self.span(start, end),
            arguments=tuple(arguments),
            dynamic=dynamic or broken or not closed,
            insert_at=self.span(insert_at, insert_at),
        )

    def tokens(self, start: int, end: int) -> list[_Token]:
        """The tokens of text[start:end], without line breaks and comments."""
        toks: list[_Token] = []
        for m in _TOKEN.finditer(self.text, start):
            kind = m.lastgroup
            if kind == "end" or m.end() > end:
                break
            if kind not in ("nl", "comment", "err"):
                ts, te = m.span(kind)
                toks.append((kind, ts, te, m.group(kind)))  # type: ignore[arg-type]
        return toks

    def simple_arguments(self, open_end: int) -> tuple[list[Argument], int, int] | None:
        """(arguments, insert_at, end of the call) for a simple argument list, else None."""
        text = self.text
        m = _CLOSE.match(text, open_end)
        if m is not None:
            return [], open_end, m.end()
        arguments: list[Argument] = []
        pos = open_end
        while True:
            m = _SIMPLE_ARGUMENT.match(text, pos)
            if m is None:
                return None
            name = m.group("name")
            if keyword.iskeyword(name):
                return None
            value: Any
            if m.group("string") is not None:
                value = _string(m.group("string"))
            elif m.group("number") is not None:
                number = m.group("number")
                value = _number(number.lstrip("- \t\f\r\n"))
                if number[0] == "-" and value is not UNKNOWN:
                    value = -value
            elif m.group("ref") is not None:
                ref = m.group("ref")
                if keyword.iskeyword(ref) and (ref not in _CONSTANTS or m.group("trailers")):
                    return None  # `lambda`, `not x`, `await f()`, `None.x`...: the token path
                value = _CONSTANTS[ref] if ref in _CONSTANTS else UNKNOWN
            else:
                toks = self.tokens(*m.span("display"))
                value = self.value(toks, 0, len(toks))
            vs, ve = m.span("value")
            arguments.append(_new_argument(name, self.span(*m.span("name")), value, self.span(vs, ve)))
            if m.group("sep") == ")":
                return arguments, ve, m.end()
            pos = m.end()
            close = _CLOSE.match(text, pos)
            if close is not None:
                return arguments, ve, close.end()

    def arguments(self, toks: list[_Token], open_end: int) -> tuple[list[Argument], bool, int]:
        """Split the argument tokens at top-level commas: (arguments, dynamic, insert_at)."""
        # [start, end) indexes into toks, and whether a plain `=` stands at the top level
        # of the argument anywhere but just after its first token (`f(a=1 b=2)`).
        groups: list[tuple[int, int, bool]] = []
        depth = 0
        lambdas = 0
        first = 0
        stray = False
        for i, (kind, _, _, c) in enumerate(toks):
            if kind != "op":
                if kind == "name" and depth == 0 and c == "lambda":
                    lambdas += 1
                continue
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif depth == 0:
                if c == ",":
                    if not lambdas:
                        groups.append((first, i, stray))
                        first = i + 1
                        stray = False
                elif c == ":":
                    if lambdas:
                        lambdas -= 1
                elif c == "=" and not lambdas and i != first + 1:
                    stray = True
        groups.append((first, len(toks), stray))
        if groups[-1][0] == groups[-1][1]:
            groups.pop()  # a trailing comma, or no argument at all
        dynamic = False
        arguments: list[Argument] = []
        insert_at = open_end
        for a, b, stray in groups:
            if a == b:
                dynamic = True  # `f(a=1,,b=2)`
                continue
            insert_at = toks[b - 1][2]
            kind, ts, te, name = toks[a]
            if not (kind == "name" and b - a >= 2 and toks[a + 1][3] == "=" and not keyword.iskeyword(name)):
                dynamic = True  # positional, `*args`, `**kwargs`, an error
                continue
            if stray:
                dynamic = True
            if a + 2 == b:  # `name=` being typed
                after = toks[a + 1][2]
                value, value_span = UNKNOWN, self.span(after, after)
                dynamic = True
            else:
                value = self.value(toks, a + 2, b)
                value_span = self.span(toks[a + 2][1], toks[b - 1][2])
            arguments.append(_new_argument(name, self.span(ts, te), value, value_span))
        return arguments, dynamic, insert_at

    # -- step 3: values

    def value(self, toks: list[_Token], a: int, b: int) -> Any:
        """The value of the expression toks[a:b] if it is a literal, else UNKNOWN."""
        kind, _, _, c = toks[a]
        if kind == "string":
            pieces = []
            for k in range(a, b):
                if toks[k][0] != "string":
                    return UNKNOWN
                piece = _string(toks[k][3])
                if piece is UNKNOWN:
                    return UNKNOWN
                pieces.append(piece)
            return "".join(pieces)
        n = b - a
        if n == 1:
            if kind == "number":
                return _number(c)
            if kind == "name":
                return _CONSTANTS.get(c, UNKNOWN)
            return UNKNOWN
        if kind != "op":
            return UNKNOWN
        if c in "-+" and n == 2 and toks[a + 1][0] == "number":
            number = _number(toks[a + 1][3])
            if number is UNKNOWN or c == "+":
                return number
            return -number
        if c not in "([" or toks[b - 1][3] != (")" if c == "(" else "]"):
            return UNKNOWN
        # A list or tuple display (or a parenthesised expression): split at its commas.
        items: list[tuple[int, int]] = []
        depth = 0
        first = a + 1
        for k in range(a + 1, b - 1):
            kind, _, _, op = toks[k]
            if kind != "op":
                continue
            if op in "([{":
                depth += 1
            elif op in ")]}":
                depth -= 1
                if depth < 0:
                    return UNKNOWN  # `[1] + [2]`: the first bracket closes early
            elif op == "," and depth == 0:
                items.append((first, k))
                first = k + 1
        tuple_like = bool(items)
        items.append((first, b - 1))
        if items[-1][0] == items[-1][1]:
            items.pop()  # a trailing comma, or an empty display
        if c == "(" and not tuple_like:
            return self.value(toks, *items[0]) if items else []
        values = []
        for i, j in items:
            if i == j:
                return UNKNOWN
            item = self.value(toks, i, j)
            if item is UNKNOWN:
                return UNKNOWN
            values.append(item)
        return values

    # -- result

    def run(self) -> FileAnalysis:
        self.scan_imports()
        if not self.bindings:
            return EMPTY
        self.scan_calls()
        return FileAnalysis(
            bindings=tuple(sorted(self.bindings, key=lambda b: b.span)),
            calls=tuple(sorted(self.calls, key=lambda c: c.call_span)),
        )


def analyse_python(text: str, path: Path, modules: GeneratedModules) -> FileAnalysis:
    """The import bindings and call sites of generated functions in one Python file.

    `path` is the file's path, against which relative imports resolve (the file need not
    exist). Spans are 0-based lines and code-point columns, end exclusive; lines end at
    `\\n`, `\\r\\n` or `\\r`, as in LSP.

    Each `ImportBinding` has the local name as the file uses it: `avo`, `a`, `cc`, or the
    dotted `pkg.avo` for a plain `import pkg.avo`; its span is that name in the import.

    Each `CallSite` holds:

    - `function`: the name in the generated module (`cc(...)` of
      `from pkg.avo import checkout_completed as cc` is `checkout_completed`);
    - `callee_span`: the function's name as written (`checkout_completed` in
      `avo.checkout_completed(`, `cc` in `cc(`);
    - `call_span`: from the start of the callee expression (the `avo` of `avo.fn`, the
      `pkg` of `pkg.avo.fn`) to after the closing `)`; for a call that is not closed,
      to the end of its last token;
    - `arguments`: one `Argument` per keyword argument `name=value`, in order. The value
      is the literal's Python value (str, with implicit concatenation; int; float;
      negative numbers; True/False/None; lists and tuples of literals, both as `list`) or
      UNKNOWN (names, calls, f-strings, bytes, dicts, ...). `name=` with no value yet has
      value UNKNOWN and a zero-width value span after the `=`;
    - `dynamic`: True when the set of arguments cannot be known statically or the call is
      broken: a positional argument (the generated functions are keyword-only: the call
      is wrong anyway, the finder stays silent), `*args`, `**kwargs`, a syntax error in
      the argument list, or a call that is never closed;
    - `insert_at`: a zero-width Span where a new keyword argument goes. When the call has
      no argument it is just after `(` (insert `name=value`); otherwise it is the end of
      the last argument (insert `, name=value`; a trailing comma, if any, follows it).
    """
    if not modules.mentioned_in(text):
        return EMPTY
    return _Finder(text, path, modules).run()
