"""Completion, as pure functions: what to offer at a position of a code file or the plan.

`complete_code` completes, in a file that imports a generated module:

1. the event functions after `<module alias>.` (`avo.`, `Avo.`, `tracking.`, `pkg.avo.`),
   with a signature, a markdown description and a snippet that fills in the required
   arguments (and, for a server source, the user identity);
2. the arguments not yet passed, where an argument name goes inside a call of a generated
   function (Python: between the parentheses; TypeScript/JavaScript: inside the object
   literal);
3. the allowed values of a property, inside a string literal that is its argument's value.

`complete_plan` completes the plan file (`avo.yaml`): property, source and destination
names, types, actions, platforms, languages, `send_as` values and the keys of each
mapping, by reading the YAML text around the cursor (so it works while the buffer does
not parse), with the names taken from the loaded plan and, failing that, from the text.

Positions are 0-based lines and 0-based code-point columns; results are plain
dataclasses that the server turns into LSP items. Neither function raises: any input
they cannot make sense of gives `[]`.

The call-site finders say where calls are; the *context* of the cursor (after a dot, at
an argument name, inside a string) is read from the text here, with a small lexer for
Python and TS/JS (strings, comments, brackets), because the cursor usually sits in code
that is being typed and does not parse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from ..analysis.model import FileAnalysis
from ..names import IDENTITY_PARAMS
from ..api import ANONYMOUS_ID, REVENUE, USER_ID, EventFunction, Parameter, SourceApi
from ..plan import ACTIONS, LANGUAGES, PLATFORMS, PROPERTY_TYPES, SEND_AS, Plan, Span

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

__all__ = ["Completion", "Completions", "KINDS", "NOTHING", "complete_code", "complete_plan", "prepare"]

KINDS = ("function", "argument", "value", "property", "source", "destination", "keyword", "type", "action")


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # one of KINDS
    detail: str  # one line: the signature, or the type
    documentation: str  # markdown ("" if none)
    insert_text: str  # what to insert where the client has no snippet support
    snippet: str | None  # LSP snippet syntax ($1, ${2:name}), or None: insert `insert_text`
    sort_text: str | None = None


@dataclass(frozen=True)
class Completions:
    """What to offer at one position. Every item replaces the same range, the partial
    word before (and after) the cursor, so the items themselves do not depend on the
    position: the event functions of a source are built once per snapshot and the same
    tuple is returned after every `avo.`."""

    replace: Span | None  # None only when there is nothing to offer
    items: tuple[Completion, ...]

    def __iter__(self) -> Iterator[Completion]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


NOTHING = Completions(None, ())


SCRIPT_LANGUAGE_IDS = frozenset({"typescript", "typescriptreact", "javascript", "javascriptreact"})


# =========================================================================== text helpers


class _Doc:
    """Offsets <-> (line, column) of a text, with line starts computed only as far as
    needed (a completion near the top of a long file reads only the top). Lines end at
    "\\n", as in the finders and LSP; a "\\r" before it is part of the line."""

    __slots__ = ("text", "starts")

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]

    def _extend_to_line(self, line: int) -> bool:
        starts, text = self.starts, self.text
        while len(starts) <= line:
            nl = text.find("\n", starts[-1])
            if nl < 0:
                return False
            starts.append(nl + 1)
        return True

    def line_start(self, line: int) -> int | None:
        if line < 0 or not self._extend_to_line(line):
            return None
        return self.starts[line]

    def line_end(self, line: int) -> int:
        """The offset of the "\\n" that ends `line` (or the end of the text)."""
        start = self.line_start(line)
        if start is None:
            return len(self.text)
        nl = self.text.find("\n", start)
        return len(self.text) if nl < 0 else nl

    def offset(self, line: int, col: int) -> int | None:
        start = self.line_start(line)
        if start is None or col < 0:
            return None
        if start + col > self.line_end(line):
            return None
        return start + col

    def point(self, offset: int) -> tuple[int, int]:
        starts, text = self.starts, self.text
        while starts[-1] <= offset:
            nl = text.find("\n", starts[-1])
            if nl < 0 or nl >= offset:
                break
            starts.append(nl + 1)
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # the last start <= offset
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo, offset - starts[lo]

    def span(self, start: int, end: int) -> Span:
        (l1, c1), (l2, c2) = self.point(start), self.point(end)
        return Span(l1, c1, l2, c2)


# =========================================================================== code: lexer

_PY_TOKEN = re.compile(
    r"(?P<ws>(?:[ \t\f\r\n]|\\\r?\n)+)"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<pfx>(?:[rR][bBfFtT]?|[bBfFtT][rR]?|[uU])?(?=['\"]))"
    r"|(?P<id>[^\W\d]\w*)"
    r"|(?P<num>\d[\w.]*)"
    r"|(?P<op>[\s\S])"
)
_JS_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>//[^\n]*|/\*[\s\S]*?(?:\*/|\Z))"
    r"|(?P<pfx>(?=['\"`]))"
    r"|(?P<id>(?:[^\W\d]|\$)(?:\w|\$)*)"
    r"|(?P<num>\d[\w.]*)"
    r"|(?P<op>[\s\S])"
)


def _string_re(quote: str, multiline: bool) -> re.Pattern[str]:
    q = re.escape(quote[0])
    if multiline:  # a triple-quoted string (Python) or a template literal (JS)
        if len(quote) == 3:
            body = rf"[^{q}\\]*(?:(?:\\[\s\S]|{q}(?!{q}{q}))[^{q}\\]*)*"
        else:
            body = rf"[^{q}\\]*(?:\\[\s\S][^{q}\\]*)*"
    else:  # ends at the end of its line when it is not closed
        body = rf"[^{q}\\\n]*(?:\\[\s\S][^{q}\\\n]*)*"
    return re.compile(rf"{re.escape(quote)}{body}(?P<close>{re.escape(quote)})?")


_STRINGS = {
    ("'", True): _string_re("'", False),
    ('"', True): _string_re('"', False),
    ("'''", True): _string_re("'''", True),
    ('"""', True): _string_re('"""', True),
    ("'", False): _string_re("'", False),
    ('"', False): _string_re('"', False),
    ("`", False): _string_re("`", True),
}


@dataclass(frozen=True)
class _Tok:
    kind: str  # "id", "num", "str", "comment", or the punctuation character itself
    start: int
    end: int
    cstart: int = 0  # a string's contents
    cend: int = 0
    closed: bool = True


def _tokens(text: str, pos: int, end: int, python: bool) -> Iterator[_Tok]:
    """The tokens of text[pos:end]; whitespace is skipped, comments are tokens."""
    pattern = _PY_TOKEN if python else _JS_TOKEN
    while pos < end:
        m = pattern.match(text, pos, end)
        if m is None:  # pragma: no cover - `op` matches any character
            return
        kind = m.lastgroup
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "pfx":
            qpos = m.end()
            ch = text[qpos]
            quote = ch * 3 if python and text.startswith(ch * 3, qpos) else ch
            sm = _STRINGS[(quote, python)].match(text, qpos, end)
            if sm is None:  # pragma: no cover
                return
            closed = sm.group("close") is not None
            cstart = qpos + len(quote)
            cend = sm.end() - len(quote) if closed else sm.end()
            yield _Tok("str", pos, sm.end(), cstart, max(cstart, cend), closed)
            pos = sm.end()
            continue
        if kind == "op":
            yield _Tok(m.group(), pos, m.end())
        else:
            yield _Tok(kind or "op", pos, m.end())
        pos = m.end()


# Keywords that never stand inside the brackets of a Python call: they end an unclosed one.
_PY_BREAK = frozenset(
    "import class def try except finally while with return continue break del pass "
    "global assert nonlocal raise elif".split()
)


@dataclass
class _CallContext:
    """What the cursor is doing inside a call's argument list."""

    keys: set[str] = field(default_factory=set)  # argument names written in the call
    name_at: tuple[int, int] | None = None  # the argument name being typed (offsets)
    name_has_operator: bool = False  # it is already followed by `=` / `:`
    value_key: str | None = None  # the argument whose string value holds the cursor
    value_at: tuple[int, int] | None = None  # that string's contents to replace
    quote: str = '"'

    def forget_name_at_cursor(self, text: str) -> None:
        """The name being typed does not count as passed."""
        if self.name_at is not None:
            self.keys.discard(text[self.name_at[0] : self.name_at[1]])


def _scan_call(text: str, open_pos: int, cursor: int, python: bool) -> _CallContext | None:
    """Read a call from its opening bracket at `open_pos`; None when the cursor is not
    inside it. Collects the argument names and where the cursor is."""
    seps = "(," if python else "{,"
    assign = "=" if python else ":"
    stack: list[str] = []
    obj_ok = False  # JS: the object literal is the call's first argument
    recent: list[tuple[_Tok, int]] = []  # the last significant tokens, with the depth after each
    current_key: str | None = None
    ctx = _CallContext()
    decided = False
    partial: _Tok | None = None
    limit = min(len(text), cursor + 50_000)

    def arg_level(depth: int | None = None) -> bool:
        n = len(stack) if depth is None else depth
        if python:
            return n == 1
        return n == 2 and obj_ok and stack[:2] == ["(", "{"]

    def decide(at: _Tok | None) -> bool:
        """The context at the cursor; False when the cursor is in a comment."""
        nonlocal partial
        last = recent[-1] if recent else None
        if at is not None and at.kind == "comment" and at.start < cursor:
            return False
        if at is not None and at.kind == "str" and at.start < cursor:
            if not (at.cstart <= cursor <= at.cend):
                return True  # on the prefix or the quote
            in_list = (
                last is not None
                and len(stack) >= 1
                and stack[-1] == "["
                and last[0].kind in "[,"
                and arg_level(len(stack) - 1)
            )
            if current_key is not None and last is not None and (
                (arg_level() and last[0].kind == assign) or in_list
            ):
                ctx.value_key = current_key
                end = at.cend
                if not at.closed:  # being typed: replace what looks like the same word
                    end = cursor
                    while end < at.cend and (text[end].isalnum() or text[end] in " _-"):
                        end += 1
                ctx.value_at = (at.cstart, end)
                ctx.quote = text[at.cstart - 1]
            return True
        if at is not None and at.kind == "id" and at.start <= cursor <= at.end:
            partial = at
        if arg_level() and last is not None and last[0].kind in seps and last[1] == len(stack):
            ctx.name_at = (partial.start, partial.end) if partial else (cursor, cursor)
        return True

    for tok in _tokens(text, open_pos, limit, python):
        if not decided:
            touches = (
                (tok.start < cursor < tok.end)
                or (tok.end == cursor and (tok.kind == "id" or (tok.kind == "str" and not tok.closed)))
                or (tok.start == cursor and tok.kind == "id")
            )
            if tok.start >= cursor and not touches:
                if not stack:
                    return None
                if not decide(None):
                    return None
                decided = True
            elif touches:
                if not stack:
                    return None
                if not decide(tok):
                    return None
                decided = True
                if tok.kind != "id":
                    continue
        if tok.kind == "comment":
            continue
        if partial is not None and tok is not partial and tok.start >= partial.end:
            ctx.name_has_operator = ctx.name_at is not None and tok.kind == assign
            partial = None
        kind = tok.kind
        if not python and kind in ",}" and arg_level() and len(recent) >= 2:
            (name_tok, d1), (sep_tok, d2) = recent[-1], recent[-2]
            if name_tok.kind == "id" and d1 == d2 == len(stack) and sep_tok.kind in seps:
                ctx.keys.add(text[name_tok.start : name_tok.end])  # a shorthand `{ orderId }`
        if python and kind == "id" and text[tok.start : tok.end] in _PY_BREAK and stack:
            if not decided:
                return None  # a statement: the call was left open above the cursor
            break
        if kind in "([{" and len(kind) == 1:
            if not python and kind == "{" and stack == ["("] and recent and recent[-1][0].kind == "(":
                obj_ok = True
            stack.append(kind)
        elif kind in ")]}" and len(kind) == 1:
            if stack:
                stack.pop()
            if not stack:
                if not decided:
                    return None  # the call closes before the cursor
                break
        elif kind == "," and arg_level():
            current_key = None
        elif kind == assign and arg_level() and len(recent) >= 2:
            (name_tok, d1), (sep_tok, d2) = recent[-1], recent[-2]
            is_eq = not python or text[tok.end : tok.end + 1] != "="
            named = name_tok.kind == "id" or (not python and name_tok.kind == "str")
            if is_eq and named and d1 == d2 == len(stack) and sep_tok.kind in seps:
                key = text[name_tok.cstart : name_tok.cend] if name_tok.kind == "str" else text[name_tok.start : name_tok.end]
                current_key = key
                ctx.keys.add(key)
        recent.append((tok, len(stack)))
        if len(recent) > 2:
            del recent[0]
    if not decided:  # the cursor is at or after the end of what was read
        if not stack:
            return None
        if not decide(None):
            return None
    ctx.forget_name_at_cursor(text)
    return ctx


# =========================================================================== code: rendering

_PY_TYPES = {"string": "str", "int": "int", "float": "float", "bool": "bool", "object": "dict", "any": "Any"}
_TS_TYPES = {"string": "string", "int": "number", "float": "number", "bool": "boolean", "object": "object", "any": "any"}


def _type(param: Parameter, python: bool, unions: bool = True) -> str:
    prop = param.prop
    if prop is None:
        if param.kind == REVENUE:
            return "float" if python else "number"
        return "str" if python else "string"
    if python:
        base = _PY_TYPES.get(prop.type, "Any")
    else:
        allowed = param.allowed
        if allowed and prop.type == "string" and unions:
            base = " | ".join(json.dumps(v, ensure_ascii=False) for v in allowed)
            if prop.is_list and len(allowed) > 1:
                base = f"({base})"
        else:
            base = _TS_TYPES.get(prop.type, "any")
    if prop.is_list:
        return f"list[{base}]" if python else f"{base}[]"
    return base


def _param_signature(param: Parameter, python: bool) -> str:
    t = _type(param, python)
    if python:
        return f"{param.name}: {t}" if param.required else f"{param.name}: {t} | None = None"
    return f"{param.name}: {t}" if param.required else f"{param.name}?: {t}"


def _signature(fn: EventFunction, python: bool, param_signature: Callable[[Parameter], str] | None = None) -> str:
    params = [param_signature(p) if param_signature else _param_signature(p, python) for p in fn.parameters]
    if python:
        return f"{fn.name}(*, {', '.join(params)}) -> None" if params else f"{fn.name}() -> None"
    return f"{fn.name}({{ {'; '.join(params)} }}): void" if params else f"{fn.name}({{}}): void"


def _code(text: str) -> str:
    """A markdown code span that survives backticks in the text."""
    ticks = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _number(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _param_doc(param: Parameter, api: SourceApi) -> str:
    """One markdown line on a parameter: type, required or not, constraints, description."""
    python = api.language == "python"
    parts = [_type(param, python, unions=False), "required" if param.required else "optional"]
    description = ""
    prop = param.prop
    if prop is not None:
        description = prop.description
        if param.allowed:
            parts.append("one of " + ", ".join(_code(v) for v in param.allowed))
        if prop.min is not None:
            parts.append(f"min {_number(prop.min)}")
        if prop.max is not None:
            parts.append(f"max {_number(prop.max)}")
        if prop.regex:
            parts.append(f"matches {_code(prop.regex)}")
        if prop.send_as == "user":
            parts.append("a user property")
    else:
        user = IDENTITY_PARAMS[api.language]["user_id"]
        anon = IDENTITY_PARAMS[api.language]["anonymous_id"]
        if param.kind == USER_ID and api.source.is_server:
            if api.source.anonymous_id:
                description = f"The user's id. A server call must pass `{user}` or `{anon}`."
            else:
                description = "The user's id: every call of a server source must pass it."
        elif param.kind == USER_ID:
            description = "The id of the user to identify."
        elif param.kind == ANONYMOUS_ID:
            description = f"An anonymous (device) id, for a user who is not known yet. A server call must pass `{user}` or `{anon}`."
        elif param.kind == REVENUE:
            description = "The revenue amount (the event has the `revenue` action)."
    line = f"`{param.name}` ({', '.join(parts)})"
    return f"{line}: {description}" if description else line


def _function_doc(fn: EventFunction, api: SourceApi, param_doc: Callable[[Parameter], str]) -> str:
    event, source = fn.event, api.source
    lines = [f"**{event.name}** (source {source.name}, {source.platform})"]
    if event.description:
        lines += ["", event.description]
    if fn.parameters:
        lines += [""] + [f"- {param_doc(p)}" for p in fn.parameters]
    if fn.pinned:
        sent = ", ".join(f"`{r.name}` = {_code(json.dumps(r.pinned, ensure_ascii=False, default=str))}" for r in fn.pinned)
        lines += ["", f"Always sends {sent}."]
    if tuple(event.actions) != ("log_event",):
        lines += ["", "Actions: " + ", ".join(f"`{a}`" for a in event.actions) + "."]
    return "\n".join(lines)


def _snippet_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _snippet(fn: EventFunction, api: SourceApi) -> str:
    """The call with a placeholder per required argument; a server call also gets the
    user id, since it must pass one of the identity arguments."""
    python = api.language == "python"
    server = api.source.is_server
    wanted = [p for p in fn.parameters if p.required or (server and p.kind == USER_ID)]
    name = _snippet_text(fn.name)
    if python:
        if not wanted:
            return f"{name}(${{1}})" if fn.parameters else f"{name}()"
        args = ", ".join(f"{_snippet_text(p.name)}=${{{i}}}" for i, p in enumerate(wanted, 1))
        return f"{name}({args})"
    if not wanted:
        return f"{name}({{ ${{1}} }})" if fn.parameters else f"{name}({{}})"
    args = ", ".join(f"{_snippet_text(p.name)}: ${{{i}}}" for i, p in enumerate(wanted, 1))
    return f"{name}({{ {args} }})"


class _ApiIndex:
    """Everything completion needs from one SourceApi, computed once per snapshot."""

    def __init__(self, api: SourceApi):
        python = api.language == "python"
        self.by_name: dict[str, EventFunction] = {f.name: f for f in api.functions}
        # The same property is a parameter of many events: render each one once.
        seen: dict[tuple, tuple[str, str]] = {}

        def rendered(param: Parameter) -> tuple[str, str]:
            key = (param.name, param.kind, param.required, id(param.prop), param.allowed)
            found = seen.get(key)
            if found is None:
                found = seen[key] = (_param_signature(param, python), _param_doc(param, api))
            return found

        def param_signature(param: Parameter) -> str:
            return rendered(param)[0]

        def param_doc(param: Parameter) -> str:
            return rendered(param)[1]

        # After `avo.`: each function with a snippet of its call, or (when the
        # parentheses are already there) its name alone.
        self.calls: tuple[Completion, ...] = tuple(
            Completion(
                label=f.name,
                kind="function",
                detail=_signature(f, python, param_signature),
                documentation=_function_doc(f, api, param_doc),
                insert_text=f.name,
                snippet=_snippet(f, api),
            )
            for f in sorted(api.functions, key=lambda f: f.name)
        )
        self.names: tuple[Completion, ...] = tuple(replace(item, snippet=None) for item in self.calls)


def prepare(project: "Project") -> None:
    """Build what completion needs from each source of a new snapshot (~20 ms for 2,000
    events), so that the first completion after `avo.` does not pay for it. Optional."""
    for api in project.apis.values():
        _index(api)


def _index(api: SourceApi) -> _ApiIndex:
    index = api.derived.get("completion")
    if index is None:  # two threads may both build it: the same tables, one kept
        index = api.derived["completion"] = _ApiIndex(api)
    return index


# =========================================================================== code: completion

_PY_ID = r"[^\W\d]\w*"
_JS_ID = r"(?:[^\W\d]|\$)(?:\w|\$)*"
_PY_MEMBER = re.compile(rf"(?<![\w.])((?:{_PY_ID}[ \t]*\.[ \t]*)+)({_PY_ID})?$")
_JS_MEMBER = re.compile(rf"(?<![\w$.])((?:{_JS_ID}[ \t]*\.[ \t]*)+)({_JS_ID})?$")
_PY_WORD_AFTER = re.compile(r"\w*")
_JS_WORD_AFTER = re.compile(r"[\w$]*")
_PY_CALLEE = re.compile(rf"(?<![\w.])({_PY_ID}(?:[ \t]*\.[ \t]*{_PY_ID})*)[ \t]*\(")
_JS_CALLEE = re.compile(rf"(?<![\w$.])({_JS_ID}(?:[ \t]*\.[ \t]*{_JS_ID})*)[ \t]*(?:\?\.[ \t]*)?\(")
_BLANKS = re.compile(r"\s+")

# How far back the textual search for an enclosing call looks (the finder's calls are
# used first; this covers an analysis that lags behind the text).
_CALL_LOOKBACK_LINES = 60
_CALL_LOOKBACK_CHARS = 20_000


def complete_code(
    project: "Project", analysis: FileAnalysis, text: str, line: int, col: int, language_id: str
) -> Completions:
    """What to offer at (line, col) of a code file, given its analysis. Never raises."""
    try:
        return _complete_code(project, analysis, text, line, col, language_id)
    except Exception:  # completion must never break the editor
        return NOTHING


def _complete_code(
    project: "Project", analysis: FileAnalysis, text: str, line: int, col: int, language_id: str
) -> Completions:
    if language_id == "python":
        python = True
    elif language_id in SCRIPT_LANGUAGE_IDS:
        python = False
    else:
        return NOTHING
    if not analysis.bindings or not project.apis:
        return NOTHING
    doc = _Doc(text)
    cursor = doc.offset(line, col)
    if cursor is None:
        return NOTHING
    line_start = doc.starts[line]
    member = _member_completions(project, analysis, doc, line, line_start, cursor, python)
    if member is not None:
        return member
    return _call_completions(project, analysis, doc, line, cursor, python)


def _member_completions(
    project: "Project", analysis: FileAnalysis, doc: _Doc, line: int, line_start: int, cursor: int, python: bool
) -> Completions | None:
    """After `<alias>.`: the source's functions. None when the cursor is not there."""
    text = doc.text
    window_start = max(line_start, cursor - 300)
    prefix = text[window_start:cursor]
    m = (_PY_MEMBER if python else _JS_MEMBER).search(prefix)
    if m is None:
        return None
    alias = _BLANKS.sub("", m.group(1))[:-1]
    module = analysis.module_aliases().get(alias)
    if module is None:
        return None
    api = project.apis.get(module)
    if api is None:
        return None
    # Not inside a string or a comment of this line.
    chain_start = window_start + m.start()
    for tok in _tokens(text, max(line_start, chain_start - 5_000), chain_start, python):
        if tok.end >= chain_start and tok.kind in ("str", "comment"):
            return NOTHING
    partial_start = window_start + m.start(2) if m.group(2) else cursor
    after = (_PY_WORD_AFTER if python else _JS_WORD_AFTER).match(text, cursor)
    end = after.end() if after else cursor
    rest = text[end : end + 80].lstrip(" \t")
    already_called = rest.startswith("(")
    replace = Span(line, partial_start - line_start, line, end - line_start)
    index = _index(api)
    return Completions(replace, index.names if already_called else index.calls)


def _open_paren(text: str, callee_end: int, python: bool) -> int | None:
    i = callee_end
    n = len(text)
    while i < n and text[i] in " \t\r\n\f\\":
        i += 1
    if not python and text.startswith("?.", i):
        i += 2
        while i < n and text[i] in " \t\r\n":
            i += 1
    return i if i < n and text[i] == "(" else None


def _enclosing_call(
    analysis: FileAnalysis, doc: _Doc, line: int, cursor: int, python: bool
) -> tuple[Path, str, _CallContext] | None:
    """The call of a generated function whose argument list holds the cursor."""
    text = doc.text
    # 1. The finder's calls that start before the cursor, innermost first.
    candidates = []
    for call in analysis.calls:
        span = call.call_span
        if span.line > line or span.line < line - 2000:
            continue
        start = doc.offset(span.line, span.col)
        end = doc.offset(span.end_line, span.end_col)
        if start is None or end is None or start >= cursor:
            continue
        closed = text[end - 1 : end] == ")"
        if end < cursor and (closed or cursor - end > 2_000):
            continue  # closed before the cursor, or left open far above it
        callee_end = doc.offset(call.callee_span.end_line, call.callee_span.end_col)
        if callee_end is None:
            continue
        candidates.append((start, callee_end, call))
    for start, callee_end, call in sorted(candidates, key=lambda c: c[0], reverse=True):
        open_pos = _open_paren(text, callee_end, python)
        if open_pos is None or open_pos >= cursor:
            continue
        ctx = _scan_call(text, open_pos, cursor, python)
        if ctx is not None:
            ctx.keys.update(a.name for a in call.arguments)
            ctx.forget_name_at_cursor(text)
            return call.module, call.function, ctx
    # 2. The text: `alias.fn(` or `local_fn(` a few lines above, still open at the cursor.
    aliases = analysis.module_aliases()
    functions = {b.local: (b.module, b.function) for b in analysis.bindings if b.function is not None}
    first_line = max(0, line - _CALL_LOOKBACK_LINES)
    window_start = max(doc.line_start(first_line) or 0, cursor - _CALL_LOOKBACK_CHARS)
    found: list[tuple[int, Path, str]] = []
    for m in (_PY_CALLEE if python else _JS_CALLEE).finditer(text, window_start, cursor):
        chain = _BLANKS.sub("", m.group(1)).split(".")
        if len(chain) == 1:
            target = functions.get(chain[0])
            if target is None:
                continue
            module, function = target
        else:
            module = aliases.get(".".join(chain[:-1]))
            if module is None:
                continue
            function = chain[-1]
        found.append((m.end() - 1, module, function))
    for open_pos, module, function in reversed(found):
        ctx = _scan_call(text, open_pos, cursor, python)
        if ctx is not None:
            return module, function, ctx
    return None


def _call_completions(
    project: "Project", analysis: FileAnalysis, doc: _Doc, line: int, cursor: int, python: bool
) -> Completions:
    found = _enclosing_call(analysis, doc, line, cursor, python)
    if found is None:
        return NOTHING
    module, function, ctx = found
    api = project.apis.get(module)
    if api is None:
        return NOTHING
    fn = _index(api).by_name.get(function)
    if fn is None:
        return NOTHING
    if ctx.value_key is not None and ctx.value_at is not None:
        return _value_completions(fn, api, doc, ctx, python)
    if ctx.name_at is None:
        return NOTHING
    where = doc.span(*ctx.name_at)
    passed = ctx.keys
    server = api.source.is_server
    identity_missing = server and not any(p.name in passed for p in fn.identity)
    result = []
    for i, param in enumerate(fn.parameters):
        if param.name in passed:
            continue
        if param.required:
            rank = 0
        elif identity_missing and param.is_identity:
            rank = 1
        else:
            rank = 2
        if ctx.name_has_operator:
            insert = param.name
        else:
            insert = f"{param.name}=" if python else f"{param.name}: "
        result.append(
            Completion(
                label=param.name,
                kind="argument",
                detail=_param_signature(param, python),
                documentation=_param_doc(param, api),
                insert_text=insert,
                snippet=None,
                sort_text=f"{rank}{i:04d}",
            )
        )
    return Completions(where, tuple(result))


def _value_completions(fn: EventFunction, api: SourceApi, doc: _Doc, ctx: _CallContext, python: bool) -> Completions:
    param = fn.parameter(ctx.value_key or "")
    if param is None or not param.allowed:
        return NOTHING
    assert ctx.value_at is not None
    where = doc.span(*ctx.value_at)
    quote = ctx.quote
    detail = _param_signature(param, python)
    result = []
    for i, value in enumerate(param.allowed):
        escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
        if not python and quote == "`":
            escaped = escaped.replace("${", "\\${")
        result.append(
            Completion(
                label=value,
                kind="value",
                detail=detail,
                documentation=_param_doc(param, api),
                insert_text=escaped,
                snippet=None,
                sort_text=f"{i:04d}",
            )
        )
    return Completions(where, tuple(result))


# =========================================================================== plan (YAML)

ITEM = "\x00-"  # a list item in a key path (no YAML key can be this)
_ANY = "\x00*"  # any key, in a pattern

TOP_KEYS = ("version", "name", "sources", "destinations", "properties", "events")
SOURCE_KEYS = ("platform", "language", "path", "anonymous_id", "destinations")
DESTINATION_KEYS = ("description",)
PROPERTY_KEYS = ("type", "description", "list", "allowed", "min", "max", "regex", "send_as", "properties")
EVENT_KEYS = ("description", "sources", "actions", "properties")
REFERENCE_KEYS = ("name", "optional", "allowed", "pinned")

_KEYS_BY_PATH: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    ((), TOP_KEYS),
    (("sources", _ANY), SOURCE_KEYS),
    (("destinations", _ANY), DESTINATION_KEYS),
    (("properties", _ANY), PROPERTY_KEYS),
    (("events", _ANY), EVENT_KEYS),
    (("events", _ANY, "properties", ITEM), REFERENCE_KEYS),
)

# Value contexts: path pattern -> what is offered. A pattern ending in ITEM is an entry
# of a list; a list-valued key also accepts a block value (offered as `[name]`).
_VALUES_BY_PATH: tuple[tuple[tuple[str, ...], str], ...] = (
    (("events", _ANY, "properties", ITEM), "property"),
    (("events", _ANY, "properties", ITEM, "name"), "property"),
    (("properties", _ANY, "properties", ITEM), "member"),
    (("events", _ANY, "sources", ITEM), "source"),
    (("sources", _ANY, "destinations", ITEM), "destination"),
    (("events", _ANY, "actions", ITEM), "action"),
    (("properties", _ANY, "type"), "type"),
    (("sources", _ANY, "platform"), "platform"),
    (("sources", _ANY, "language"), "language"),
    (("properties", _ANY, "send_as"), "send_as"),
    (("sources", _ANY, "anonymous_id"), "bool"),
    (("properties", _ANY, "list"), "bool"),
    (("events", _ANY, "properties", ITEM, "optional"), "bool"),
)

_KEY_DOCS = {
    "version": "The plan format version: `1`.",
    "name": "The workspace's name (top level), or the property an event references.",
    "sources": "Where code is generated (top level), or the sources that send an event.",
    "destinations": "Where events go (top level), or the destinations of a source (default: all).",
    "properties": "The property catalogue (top level), an event's properties, or an object's members.",
    "events": "The events of the plan.",
    "platform": "`server` (no user identity: every call passes a user id) or `client`.",
    "language": "`python`, `typescript` or `javascript`.",
    "path": "The generated file, relative to the plan's folder.",
    "anonymous_id": "Server only (default true): the functions also take an anonymous id.",
    "type": "`string`, `int`, `float`, `bool`, `object` or `any`.",
    "description": "What it means, shown in hovers and completions.",
    "list": "true: a list of the type.",
    "allowed": "The allowed values (strings only).",
    "min": "The smallest allowed value (int/float only).",
    "max": "The largest allowed value (int/float only).",
    "regex": "A regular expression the value must match (strings only).",
    "send_as": "`event` (default), `user` (a user property) or `system` (set once at init).",
    "actions": "What the event does: `log_event` (default), `identify`, `unidentify`, `update_user_properties`, `page`, `revenue`.",
    "optional": "true: the property is sometimes sent (the parameter may be omitted).",
    "pinned": "A constant: the parameter disappears and this value is always sent.",
}
_TYPE_DOCS = {
    "string": "A string.",
    "int": "An integer.",
    "float": "A number.",
    "bool": "true or false.",
    "object": "An object; its member properties are listed under `properties:`.",
    "any": "Any value.",
}
_ACTION_DOCS = {
    "log_event": "Send the event to the destinations.",
    "identify": "Identify the user (client functions take `userId_` / `user_id_`).",
    "unidentify": "Forget the user's identity.",
    "update_user_properties": "Set the event's user properties on the user.",
    "page": "Log a page view.",
    "revenue": "Track revenue: adds a required `revenue_` amount parameter.",
}
_VALUE_DOCS = {
    "server": "Server code keeps no identity: every function takes a user id and an anonymous id.",
    "client": "The SDK keeps the user's identity: only Identify events take a user id.",
    "event": "Sent with the event (the default).",
    "user": "A user property, set on the user.",
    "system": "Set once at init and sent with every event.",
}


def complete_plan(plan: Plan | None, text: str, line: int, col: int) -> Completions:
    """What to offer at (line, col) of the plan file. Never raises."""
    try:
        return _complete_plan(plan, text, line, col)
    except Exception:  # completion must never break the editor
        return NOTHING


@dataclass
class _YamlContext:
    kind: str  # "value" or "key"
    path: list[tuple[str, int, int]]  # (key or ITEM, column, line) from the root
    start: int  # columns of the cursor line to replace
    end: int
    existing: set[str] = field(default_factory=set)
    flow: bool = False  # inside a flow collection `[...]` / `{...}`
    quote: str | None = None  # replacing inside this quote
    block_list: bool = False  # a block value of a list-valued key: offer `[name]`
    has_colon: bool = False  # a key that is already followed by its colon

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p[0] for p in self.path)


def _split_key(body: str) -> tuple[str, int] | None:
    """When `body` (from a non-space character, after any `- `) starts with `key:`,
    the key and the offset just after its colon."""
    if not body or body[0] in "[]{}#&*!|>%@`,":
        return None
    n = len(body)
    if body[0] in "\"'":
        q = body[0]
        i = 1
        while i < n:
            if q == '"' and body[i] == "\\":
                i += 2
                continue
            if body[i] == q:
                if q == "'" and body[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                break
            i += 1
        if i >= n:
            return None
        key = _unquote(body[: i + 1])
        j = i + 1
        while j < n and body[j] in " \t":
            j += 1
        if j < n and body[j] == ":" and (j + 1 == n or body[j + 1] in " \t\r"):
            return key, j + 1
        return None
    i = 0
    while True:
        j = body.find(":", i)
        if j < 0:
            return None
        key = body[:j]
        if re.search(r"\s#", key):
            return None
        if j + 1 == n or body[j + 1] in " \t\r":
            key = key.strip()
            return (key, j + 1) if key else None
        i = j + 1


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            return json.loads(value)
        except ValueError:
            return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def _comment_start(raw: str) -> int:
    """Where a `#` comment starts on the line (len(raw) if none), outside quoted scalars."""
    quote = None
    prev = " "
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if quote:
            if quote == '"' and ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'" and (prev in " \t:-[{," or i == 0):
            quote = ch
        elif ch == "#" and prev in " \t":
            return i
        if not ch.isspace():
            prev = ch
        elif quote is None:
            prev = " "
        i += 1
    return n


def _line_nodes(raw: str) -> list[tuple[str, int, bool]] | None:
    """The list items and the key a line opens: [(ITEM or key, column, value empty)];
    None for a blank or comment line."""
    stripped = raw.lstrip(" ")
    if not stripped.strip() or stripped.startswith("#"):
        return None
    col = len(raw) - len(stripped)
    body = stripped.rstrip("\r")
    nodes: list[tuple[str, int, bool]] = []
    while body == "-" or body.startswith(("- ", "-\t")):
        rest = body[1:]
        body = rest.lstrip(" \t")
        nodes.append((ITEM, col, not body))
        col += 1 + len(rest) - len(body)
        if not body:
            return nodes
    k = _split_key(body)
    if k is not None:
        value = body[k[1] :].strip()
        nodes.append((k[0], col, not value or value.startswith("#")))
    return nodes


def _parents(lines: list[str], line_no: int, limit: int, child_is_item: bool) -> list[tuple[str, int, int]]:
    """The keys and list items that enclose a node at column `limit` of `line_no`, from the
    root. A list may sit at the same column as its key (`key:` then `- item`)."""
    path: list[tuple[str, int, int]] = []
    deeper = " " * (limit + 1)  # a line that starts so is deeper than `limit`: skip it fast
    for i in range(line_no - 1, -1, -1):
        if limit == 0 and not child_is_item:
            break
        raw = lines[i]
        if raw.startswith(deeper):
            continue
        stripped = raw.lstrip(" ")
        indent = len(raw) - len(stripped)
        if indent > limit or (indent == limit and not child_is_item):
            continue
        nodes = _line_nodes(raw)
        if not nodes:
            continue
        for name, col, empty in reversed(nodes):
            if col < limit or (col == limit and child_is_item and name != ITEM and empty):
                path.append((name, col, i))
                limit = col
                child_is_item = name == ITEM
                deeper = " " * (limit + 1)
    path.reverse()
    return path


def _item_value(lines: list[str], line_no: int, col: int) -> str | None:
    """The name an entry of a list of names or references gives: `- Name`,
    `- name: Name` (on its line or a later one) or `- {name: Name}`."""
    raw = lines[line_no].rstrip("\r")
    body = raw[col + 1 :].lstrip(" \t")
    content_col = len(raw) - len(body)
    body = body[: _comment_start(body)].strip()
    if not body:
        return _item_name_below(lines, line_no, col)
    if body.startswith("{"):
        m = re.search(r"(?:^|[{,])\s*name\s*:\s*(\"[^\"]*\"|'[^']*'|[^,}]+)", body)
        return _unquote(m.group(1)) if m else None
    k = _split_key(body)
    if k is None:
        return _unquote(body)
    if k[0] == "name":
        return _unquote(body[k[1] :])
    return _item_name_below(lines, line_no, content_col - 1)


def _item_name_below(lines: list[str], line_no: int, dash_col: int) -> str | None:
    for j in range(line_no + 1, min(len(lines), line_no + 50)):
        nodes = _line_nodes(lines[j])
        if nodes is None:
            continue
        if nodes[0][1] <= dash_col:
            return None
        if nodes[0][0] == "name" and len(nodes) == 1:
            raw = lines[j].rstrip("\r")
            k = _split_key(raw.lstrip(" "))
            if k is not None:
                value = raw.lstrip(" ")[k[1] :]
                return _unquote(value[: _comment_start(value)])
    return None


def _block_items(lines: list[str], line_no: int, item_col: int) -> set[str]:
    """The names in the other entries of the block list whose entries start at
    `item_col` and which holds `line_no`."""
    names: set[str] = set()
    own_item: int | None = None  # the entry that holds the cursor line

    def is_item(raw: str) -> bool:
        stripped = raw.lstrip(" ")
        return len(raw) - len(stripped) == item_col and (stripped.rstrip("\r") == "-" or stripped.startswith(("- ", "-\t")))

    for i in range(line_no, -1, -1):  # find the cursor's own entry
        nodes = _line_nodes(lines[i])
        if nodes is None:
            continue
        if is_item(lines[i]):
            own_item = i
            break
        if nodes[0][1] <= item_col:
            break
    for direction in (-1, 1):
        i = line_no + direction
        while 0 <= i < len(lines):
            raw = lines[i]
            nodes = _line_nodes(raw)
            if nodes is not None:
                if is_item(raw):
                    if i != own_item:
                        value = _item_value(lines, i, item_col)
                        if value:
                            names.add(value)
                elif nodes[0][1] <= item_col:
                    break
            i += direction
    return names


def _mapping_keys(lines: list[str], line_no: int, col: int) -> set[str]:
    """The keys at column `col` of the block mapping that holds `line_no`."""
    keys: set[str] = set()
    for direction in (-1, 1):
        i = line_no + direction
        while 0 <= i < len(lines):
            nodes = _line_nodes(lines[i])
            if nodes is not None:
                at = [n[0] for n in nodes if n[1] == col and n[0] != ITEM]
                if nodes[0][1] < col:
                    if direction == -1 and at:  # `- name: X`: the entry's first key
                        keys.add(at[0])
                    break
                if nodes[0][1] == col and nodes[0][0] == ITEM:
                    break  # a list at this column, not the mapping
                if at:
                    keys.add(at[0])
            i += direction
    return keys


@dataclass
class _Frame:
    kind: str  # "[" or "{"
    elem_start: int
    key: str | None = None
    value_start: int = 0
    elements: list[tuple[int, int]] = field(default_factory=list)

    def finish(self, end: int) -> None:
        self.elements.append((self.elem_start, end))


def _flow_context(raw: str, start: int, cursor: int) -> tuple[str, list[str], int, int, set[str], str | None] | None:
    """The cursor inside the flow collection that starts at raw[start] on one line:
    (kind, path additions, replace start, replace end, sibling names, quote)."""
    stack: list[_Frame] = []
    snap: tuple[list[tuple[_Frame, str | None]], int, int, tuple[int, int] | None] | None = None
    n = len(raw)
    i = start

    def take(quoted: tuple[int, int] | None = None) -> None:
        nonlocal snap
        top = stack[-1]
        elem = top.value_start if (top.kind == "{" and top.key is not None) else top.elem_start
        snap = ([(f, f.key) for f in stack], len(top.elements), elem, quoted)

    while i <= n:
        if i == cursor and snap is None and stack:
            take()
        if i == n:
            break
        ch = raw[i]
        if ch in "\"'" and stack:
            top = stack[-1]
            elem = top.value_start if (top.kind == "{" and top.key is not None) else top.elem_start
            if not raw[elem:i].strip():
                close = i + 1
                while close < n:
                    if ch == '"' and raw[close] == "\\":
                        close += 2
                        continue
                    if raw[close] == ch:
                        if ch == "'" and raw[close + 1 : close + 2] == "'":
                            close += 2
                            continue
                        break
                    close += 1
                if i < cursor <= close and snap is None:
                    take((i + 1, min(close, n)))
                i = close + 1
                continue
        if ch == "#" and i > 0 and raw[i - 1] in " \t":
            break
        if ch in "[{":
            stack.append(_Frame(ch, i + 1))
        elif ch in "]}":
            if stack:
                stack.pop().finish(i)
            if not stack:
                break
        elif ch == "," and stack:
            top = stack[-1]
            top.finish(i)
            top.elem_start = i + 1
            top.key = None
        elif ch == ":" and stack and stack[-1].kind == "{" and stack[-1].key is None:
            if i + 1 >= n or raw[i + 1] in " \t,}]":
                top = stack[-1]
                top.key = _unquote(raw[top.elem_start : i])
                top.value_start = i + 1
        i += 1
    if snap is None:
        return None
    frames, index, elem, quoted = snap
    adds: list[str] = []
    for frame, key in frames[:-1]:
        if frame.kind == "[":
            adds.append(ITEM)
        elif key is None:
            return None
        else:
            adds.append(key)
    inner, key = frames[-1]
    if index < len(inner.elements):
        elem_end = inner.elements[index][1]
    else:
        elem_end = _comment_start(raw)
    siblings = {_unquote(raw[a:b]) for j, (a, b) in enumerate(inner.elements) if j != index} - {""}
    if quoted is not None:
        start_col, end_col, quote = quoted[0], quoted[1], raw[quoted[0] - 1]
    else:
        start_col = elem
        while start_col < cursor and raw[start_col] in " \t":
            start_col += 1
        end_col = elem_end
        while end_col > cursor and raw[end_col - 1] in " \t\r":
            end_col -= 1
        end_col = max(end_col, cursor)
        quote = None
    if inner.kind == "[":
        return "value", adds + [ITEM], start_col, end_col, siblings, quote
    if key is not None:
        return "value", adds + [key], start_col, end_col, set(), quote
    if quoted is None:  # a key of the flow mapping: stop at its colon, if typed
        end_col = cursor + len(re.match(r"[^:,}\]]*", raw[cursor:]).group().rstrip())  # type: ignore[union-attr]
    return "key", adds, start_col, end_col, set(), quote


def _yaml_context(lines: list[str], line_no: int, col: int) -> _YamlContext | None:
    raw = lines[line_no].rstrip("\r")
    if col > len(raw):
        return None
    comment = _comment_start(raw)
    if col > comment:
        return None
    indent = len(raw) - len(raw.lstrip(" "))
    if not raw[:col].strip():  # a blank line (or the indentation of one): a key goes here
        if raw[col:].strip():
            return None  # in the indentation before text
        path = _parents(lines, line_no, col, False)
        return _YamlContext("key", path, col, col, _mapping_keys(lines, line_no, col))
    pos = indent
    tail: list[tuple[str, int, int]] = []
    # `- ` markers before the cursor
    while pos < col and (raw[pos:] == "-" or raw.startswith(("- ", "-\t"), pos)):
        tail.append((ITEM, pos, line_no))
        pos += 1
        while pos < len(raw) and raw[pos] in " \t":
            pos += 1
    if pos > col:  # the cursor is in the spaces after a dash
        pos = col
    body = raw[pos:comment]
    key = _split_key(body)
    if key is not None and pos + key[1] <= col:  # the cursor is in a value
        tail.append((key[0], pos, line_no))
        vstart = pos + key[1]
        while vstart < col and raw[vstart] in " \t":
            vstart += 1
        path = _parents(lines, line_no, tail[0][1], tail[0][0] == ITEM) + tail
        return _value_context(lines, line_no, raw, col, comment, vstart, path)
    if tail and key is None:  # a list entry's scalar: `- Na|me`
        path = _parents(lines, line_no, tail[0][1], True) + tail
        return _value_context(lines, line_no, raw, col, comment, pos, path)
    if not tail and raw[pos : pos + 1] in ("[", "{"):
        return None  # a continuation line of a flow collection
    # a key being typed at column `pos` (`plat|`, `plat|form: x`, `- na|me: x`)
    if tail:
        path = _parents(lines, line_no, tail[0][1], True) + tail
    else:
        path = _parents(lines, line_no, pos, False)
    end = pos + (len(body[: key[1] - 1].rstrip()) if key is not None else len(body.rstrip()))
    existing = _mapping_keys(lines, line_no, pos)
    return _YamlContext("key", path, pos, max(end, col), existing, has_colon=key is not None)


def _value_context(
    lines: list[str], line_no: int, raw: str, col: int, comment: int, vstart: int, path: list[tuple[str, int, int]]
) -> _YamlContext | None:
    """The cursor in the value that starts at `vstart` (a scalar or a flow collection)."""
    if col < vstart:
        return None
    first = raw[vstart : vstart + 1]
    if first in ("[", "{"):
        flow = _flow_context(raw, vstart, col)
        if flow is None:
            return None
        kind, adds, start, end, siblings, quote = flow
        full = path + [(a, -1, line_no) for a in adds]
        if kind == "value" and len(full) >= 2 and full[-1][0] == "name" and full[-2][0] == ITEM and full[-2][1] >= 0:
            siblings |= _block_items(lines, full[-2][2], full[-2][1])  # `- {name: |}`
        return _YamlContext(kind, full, start, end, siblings, flow=True, quote=quote)
    end = comment
    while end > col and raw[end - 1] in " \t":
        end -= 1
    quote = None
    start = vstart
    if first in ("'", '"'):
        quote = first
        start = vstart + 1
        close = raw.rfind(first, start, comment)
        end = close if close >= col else end
    ctx = _YamlContext("value", path, start, max(end, col), quote=quote)
    names = ctx.names
    if names and names[-1] == ITEM:
        ctx.existing = _block_items(lines, line_no, path[-1][1])
    elif len(names) >= 2 and names[-1] == "name" and names[-2] == ITEM:
        item_col, item_line = path[-2][1], path[-2][2]
        ctx.existing = _block_items(lines, item_line, item_col)
    else:
        ctx.block_list = True  # `sources: Back|`: a list-valued key given a block value
    return ctx


def _matches(names: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    if len(names) != len(pattern):
        return False
    for name, want in zip(names, pattern):
        if want == _ANY:
            if name == ITEM:
                return False
        elif name != want:
            return False
    return True


_PLAIN_SAFE = re.compile(r"[^\W\d][\w .\-/()]*")
_YAML11_WORDS = frozenset("y yes n no true false on off null".split())


def _yaml_scalar(name: str, quote: str | None) -> str:
    """`name` as it must be written: bare when YAML reads it back as that string."""
    if quote == '"':
        return json.dumps(name, ensure_ascii=False)[1:-1]
    if quote == "'":
        return name.replace("'", "''")
    if _PLAIN_SAFE.fullmatch(name) and not name.endswith(" ") and name.lower() not in _YAML11_WORDS:
        return name
    return json.dumps(name, ensure_ascii=False)


def _section_names(lines: list[str], section: str) -> list[str]:
    """The keys of a top-level mapping, read from the text (for a plan that did not load)."""
    names: list[str] = []
    start = None
    for i, raw in enumerate(lines):
        if raw.startswith(section):
            key = _split_key(raw.rstrip("\r"))
            if key is not None and key[0] == section:
                start = i
                break
    if start is None:
        return names
    child: int | None = None
    deeper = "\0"
    for raw in lines[start + 1 :]:
        if raw.startswith(deeper):
            continue
        stripped = raw.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        if indent == 0:
            break
        if child is None:
            child = indent
            deeper = " " * (child + 1)
        if indent == child:
            k = _split_key(stripped.rstrip("\r"))
            if k is not None:
                names.append(k[0])
    return names


def _names(plan: Plan | None, lines: list[str], section: str) -> list[str]:
    mapping: Mapping[str, Any] = (getattr(plan, section, None) or {}) if plan is not None else {}
    names = list(mapping)
    seen = set(names)
    for name in _section_names(lines, section):
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _complete_plan(plan: Plan | None, text: str, line: int, col: int) -> Completions:
    if line < 0 or col < 0:
        return NOTHING
    lines = text.split("\n")
    if line >= len(lines):
        return NOTHING
    ctx = _yaml_context(lines, line, col)
    if ctx is None:
        return NOTHING
    where = Span(line, ctx.start, line, ctx.end)
    before = lines[line][ctx.start - 1 : ctx.start] if ctx.start > 0 else ""
    space = " " if before in (":", "-") and ctx.quote is None else ""
    names = ctx.names
    if ctx.kind == "key":
        for pattern, keys in _KEYS_BY_PATH:
            if _matches(names, pattern):
                keyed = (
                    Completion(key, "keyword", "key", _KEY_DOCS.get(key, ""), key if ctx.has_colon else f"{key}: ", None, f"{i:04d}")
                    for i, key in enumerate(keys)
                    if key not in ctx.existing
                )
                return Completions(where, tuple(keyed))
        return NOTHING
    what = None
    wrap = False
    for pattern, kind in _VALUES_BY_PATH:
        if _matches(names, pattern):
            what = kind
            break
        if ctx.block_list and pattern[-1] == ITEM and _matches(names, pattern[:-1]):
            what, wrap = kind, True
            break
    if what is None:
        return NOTHING
    items = _value_items(what, plan, lines, ctx)
    result = []
    for i, (label, kind, detail, documentation) in enumerate(items):
        if label in ctx.existing:
            continue
        value = _yaml_scalar(label, ctx.quote)
        if wrap:
            value = f"[{value}]"
        result.append(Completion(label, kind, detail, documentation, space + value, None, f"{i:04d}"))
    return Completions(where, tuple(result))


def _value_items(what: str, plan: Plan | None, lines: list[str], ctx: _YamlContext) -> list[tuple[str, str, str, str]]:
    """(label, kind, detail, documentation) of each candidate value."""
    if what in ("property", "member"):
        props = plan.properties if plan is not None else {}
        own = ctx.path[1][0] if what == "member" and len(ctx.path) > 1 else None
        result = []
        for name in _names(plan, lines, "properties"):
            if name == own:
                continue
            prop = props.get(name)
            if prop is None:
                result.append((name, "property", "property", ""))
                continue
            detail = f"{prop.type}[]" if prop.is_list else prop.type
            if prop.send_as != "event":
                detail += f" ({prop.send_as})"
            doc = prop.description
            if prop.allowed:
                doc = (doc + "\n\n" if doc else "") + "One of " + ", ".join(_code(v) for v in prop.allowed) + "."
            result.append((name, "property", detail, doc))
        return result
    if what == "source":
        sources = plan.sources if plan is not None else {}
        result = []
        for name in _names(plan, lines, "sources"):
            source = sources.get(name)
            if source is None:
                result.append((name, "source", "source", ""))
            else:
                result.append((name, "source", f"{source.platform} {source.language}", f"Generates `{source.path}`."))
        return result
    if what == "destination":
        return [(name, "destination", "destination", "") for name in _names(plan, lines, "destinations")]
    if what == "action":
        return [(a, "action", "action", _ACTION_DOCS.get(a, "")) for a in ACTIONS]
    if what == "type":
        return [(t, "type", "property type", _TYPE_DOCS.get(t, "")) for t in PROPERTY_TYPES]
    if what == "platform":
        return [(p, "value", "platform", _VALUE_DOCS.get(p, "")) for p in PLATFORMS]
    if what == "language":
        return [(x, "value", "language", "") for x in LANGUAGES]
    if what == "send_as":
        return [(s, "value", "send_as", _VALUE_DOCS.get(s, "")) for s in SEND_AS]
    if what == "bool":
        return [("true", "value", "boolean", ""), ("false", "value", "boolean", "")]
    return []
