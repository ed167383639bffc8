"""Quick fixes for the diagnostics on call sites: pure, no LSP types.

`fixes_for` takes the `Project` snapshot, the `FileAnalysis` of a document, its text and
path, and the `Finding`s the client asks about (those in the requested range), and
returns `Fix`es: a title, a list of `Edit`s (each in the code file or in the plan file)
and whether it is the preferred fix. Positions are `Span`s (0-based lines, 0-based
code-point columns, end exclusive); the server converts them to the client's encoding.

What each diagnostic gets:

- `missing-user-identity` / `missing-user-id`: "Add `user_id_=`" (Python) or "Add
  `userId_:`" (TypeScript/JavaScript), and "Add `anonymous_id_=`" when the function
  takes it. The value is an *identifier* named after the parameter (`user_id_=user_id`,
  `userId_: userId`): it compiles, it passes the check (a name is not a literal `None`),
  and where no such variable exists the developer's own type checker or linter flags
  it as undefined, which is exactly the "fill me in" marker wanted. A literal placeholder
  would not do: `None`/`null` keeps the diagnostic, `...` or `""` would silently send a
  wrong id. An argument already passed as a literal `None` gets its value replaced.
- `missing-property`: one fix adding every missing parameter with a *typed literal*
  placeholder that compiles and passes the checks: the first allowed value for an enum,
  `""` for a string (or a sample matching its `regex`), `0` for numbers (clamped to
  min/max), `False`/`false` for booleans, `[]` for lists, `{}` for objects, `""` for
  `any`. Typed literals make the call valid as written; the developer replaces them.
- `invalid-value` (with allowed values): one fix per allowed value, replacing the literal
  and keeping its quote character; a close match (by case-insensitive similarity) is
  preferred.
- `unknown-event`: "Change to `<suggestion>`" (renaming the import too when the function
  was imported by name), and either "Add event '<Name>' to avo.yaml" (a new event, named
  from the function, with this source and the call's arguments as properties: existing
  catalogue properties by reference, new ones added to the catalogue with a type
  inferred from the literal) or, when an event of that name exists for other sources,
  "Add source '<Source>' to event '<Name>'".
- `unknown-argument`: "Change to `<suggestion>`" and "Remove argument" (with its comma,
  or its whole line in a one-argument-per-line call).

Inserting arguments follows the call's layout: `f()` -> `f(a=1)`, `f(b=2)` ->
`f(b=2, a=1)`; a call with one argument per line gets a new line with the same
indentation (and a trailing comma when the call has one); in TS/JS, `f()` ->
`f({ a: 1 })`, `f({})` -> `f({ a: 1 })`.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..analysis.checks import (
    INVALID_VALUE,
    MISSING_PROPERTY,
    MISSING_USER_ID,
    MISSING_USER_IDENTITY,
    UNKNOWN_ARGUMENT,
    UNKNOWN_EVENT,
    Finding,
    value_problem,
)
from ..analysis.model import UNKNOWN, Argument, CallSite, FileAnalysis, ImportBinding
from ..api import ANONYMOUS_ID, REVENUE, USER_ID, Parameter, SourceApi
from ..names import IDENTITY_PARAMS, identifier, words
from ..plan import Plan, Span

QUICKFIX = "quickfix"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Edit:
    path: Path  # the code file or the plan file
    span: Span  # the range replaced; zero-width for an insertion
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    is_preferred: bool
    finding: Finding
    kind: str = QUICKFIX


def fixes_for(
    project: Any,
    analysis: FileAnalysis,
    text: str,
    path: Path,
    findings: Iterable[Finding],
    plan_text: str | None = None,
) -> list[Fix]:
    """The quick fixes for `findings` (from `project.check(analysis)` of this `text`).

    `plan_text` is the plan file's current text (an open editor's buffer); when None the
    plan file is read from disk, and only if a fix needs it (adding an event).
    """
    ctx = _Context(project, analysis, _Text(text), Path(path), plan_text)
    fixes: list[Fix] = []
    for finding in findings:
        try:
            fixes.extend(ctx.fixes(finding))
        except Exception:  # pragma: no cover - a fix must never break the code action request
            _log.exception("quick fixes for %s failed", finding.code)
    return fixes


# --------------------------------------------------------------------------- text helpers


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _Text:
    """A text with offset <-> Span conversion; lines end at \\n, \\r\\n or \\r (as in LSP)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        first = _LINE_BREAK.search(text)
        self.newline = first.group() if first else "\n"

    def offset(self, line: int, col: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        return min(self.starts[line] + col, len(self.text))

    def start(self, span: Span) -> int:
        return self.offset(span.line, span.col)

    def end(self, span: Span) -> int:
        return self.offset(span.end_line, span.end_col)

    def position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo, offset - self.starts[lo]

    def span(self, start: int, end: int | None = None) -> Span:
        a = self.position(start)
        b = self.position(start if end is None else end)
        return Span(a[0], a[1], b[0], b[1])

    def slice(self, span: Span) -> str:
        return self.text[self.start(span) : self.end(span)]

    def line_start(self, offset: int) -> int:
        return self.starts[self.position(offset)[0]]

    def line_end(self, offset: int) -> int:
        """The offset of the line break that ends the line of `offset` (or the text's end)."""
        m = _LINE_BREAK.search(self.text, offset)
        return m.start() if m else len(self.text)

    def next_line_start(self, offset: int) -> int | None:
        m = _LINE_BREAK.search(self.text, offset)
        return m.end() if m else None


def _merge(edits: Sequence[Edit]) -> tuple[Edit, ...]:
    """Sorted, with edits that touch at one point made one (LSP forbids overlaps, and two
    insertions at the same point would have no defined order)."""
    out: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (str(e.path), e.span.line, e.span.col, e.span.end_line, e.span.end_col)):
        if out and out[-1].path == edit.path:
            last = out[-1]
            last_end = (last.span.end_line, last.span.end_col)
            if last_end == (edit.span.line, edit.span.col):
                span = Span(last.span.line, last.span.col, edit.span.end_line, edit.span.end_col)
                out[-1] = Edit(last.path, span, last.new_text + edit.new_text)
                continue
        out.append(edit)
    return tuple(out)


# --------------------------------------------------------------------------- literals


def _string_literal(value: str, quote: str) -> str:
    escaped = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if quote == "`":
        escaped = escaped.replace("${", "\\${")
    return quote + escaped + quote


def _number_literal(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _quote_of(literal: str) -> str | None:
    """The quote character of a string literal as written (after any Python prefix)."""
    m = re.match(r"[A-Za-z]{0,2}(['\"`])", literal)
    return m.group(1) if m else None


def _regex_sample(pattern: str) -> str | None:
    """A short string the pattern matches (`re.search`), or None."""
    try:
        try:
            from re import _parser as sre_parse  # type: ignore[attr-defined]
        except ImportError:  # pragma: no cover - Python < 3.11
            import sre_parse  # type: ignore[no-redef]
        sample = _sample(sre_parse.parse(pattern))
        if sample is not None and re.search(pattern, sample) is not None:
            return sample
    except Exception:
        pass
    return "" if re.search(pattern, "") is not None else None


_CATEGORY_SAMPLES = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": " ",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}


def _sample(items: Any) -> str | None:
    out: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append("b" if av == ord("a") else "a")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            first_op, first_av = av[0]
            kind = str(first_op)
            if kind == "LITERAL":
                out.append(chr(first_av))
            elif kind == "RANGE":
                out.append(chr(first_av[0]))
            elif kind == "CATEGORY":
                out.append(_CATEGORY_SAMPLES.get(str(first_av), "a"))
            else:  # NEGATE and the like: give up, the caller verifies anyway
                return None
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, _hi, sub = av
            part = _sample(sub)
            if part is None:
                return None
            out.append(part * lo)
        elif name == "SUBPATTERN":
            part = _sample(av[-1])
            if part is None:
                return None
            out.append(part)
        elif name == "BRANCH":
            part = _sample(av[1][0])
            if part is None:
                return None
            out.append(part)
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "CATEGORY":
            out.append(_CATEGORY_SAMPLES.get(str(av), "a"))
        else:
            return None
    return "".join(out)


# --------------------------------------------------------------------------- YAML helpers


def _yaml_scalar(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back as the same string (and is
    safe inside a flow sequence), else double-quoted."""
    if re.fullmatch(r"[^\W\d][\w .'/-]*", value) and not value.endswith(" "):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def _plan_name(ident: str) -> str:
    """A plan name for an identifier: `checkout_complete` / `checkoutComplete` ->
    "Checkout Complete"."""
    return " ".join(w[:1].upper() + w[1:] for w in words(ident))


def _mapping_get(node: Node | None, key: str) -> tuple[ScalarNode, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def _content_end(node: Node) -> int:
    """The offset just after the last character that belongs to `node` (a block
    collection's own end mark lies after any blank lines and comments that follow)."""
    if isinstance(node, MappingNode) and node.value and node.flow_style is not True:
        key, value = node.value[-1]
        return max(_content_end(key), _content_end(value))
    if isinstance(node, SequenceNode) and node.value and node.flow_style is not True:
        return _content_end(node.value[-1])
    return node.end_mark.index


# --------------------------------------------------------------------------- the fixes


@dataclass
class _Context:
    project: Any
    analysis: FileAnalysis
    doc: _Text
    path: Path
    plan_text: str | None

    # -- lookups

    def api_of(self, call: CallSite) -> SourceApi | None:
        return self.project.apis.get(call.module)

    def call_at_callee(self, span: Span) -> CallSite | None:
        return next((c for c in self.analysis.calls if c.callee_span == span), None)

    def call_with_argument(self, span: Span, attr: str) -> tuple[CallSite, Argument] | None:
        for call in self.analysis.calls:
            for arg in call.arguments:
                if getattr(arg, attr) == span:
                    return call, arg
        return None

    def fixes(self, finding: Finding) -> list[Fix]:
        code = finding.code
        if code in (MISSING_USER_IDENTITY, MISSING_USER_ID):
            return self.identity_fixes(finding)
        if code == MISSING_PROPERTY:
            return self.property_fixes(finding)
        if code == INVALID_VALUE:
            return self.value_fixes(finding)
        if code == UNKNOWN_EVENT:
            return self.event_fixes(finding)
        if code == UNKNOWN_ARGUMENT:
            return self.argument_fixes(finding)
        return []

    # -- adding arguments

    def is_python(self, api: SourceApi) -> bool:
        return api.language == "python"

    def piece(self, api: SourceApi, name: str, value: str) -> str:
        return f"{name}={value}" if self.is_python(api) else f"{name}: {value}"

    def add_arguments(self, call: CallSite, api: SourceApi, values: list[tuple[str, str]]) -> list[Edit] | None:
        """Edits that pass `values` ((name, value source) pairs) at `call`: an argument
        already passed (as a literal None) gets its value replaced, the others are
        inserted. None when the call has no place to insert."""
        edits: list[Edit] = []
        pieces: list[str] = []
        for name, value in values:
            arg = call.argument(name)
            if arg is not None:
                edits.append(Edit(self.path, arg.value_span, value))
            else:
                pieces.append(self.piece(api, name, value))
        if pieces:
            inserted = self.insert_edits(call, api, pieces)
            if inserted is None:
                return None
            edits.extend(inserted)
        return edits

    def insert_edits(self, call: CallSite, api: SourceApi, pieces: list[str]) -> list[Edit] | None:
        if call.insert_at is None or not pieces:
            return None
        doc, text = self.doc, self.doc.text
        python = self.is_python(api)
        at = doc.start(call.insert_at)
        before = text[at - 1] if at > 0 else ""
        point = call.insert_at

        def insert(offset: int, new_text: str) -> Edit:
            return Edit(self.path, doc.span(offset), new_text)

        if not python and before == "(":
            return [Edit(self.path, point, "{ " + ", ".join(pieces) + " }")]
        if not call.arguments:
            if python:
                return [Edit(self.path, point, ", ".join(pieces))]
            if before == "{":
                after = text[at] if at < len(text) else ""
                tail = " " if after == "}" else ""
                return [Edit(self.path, point, " " + ", ".join(pieces) + tail)]
            return None
        last = call.arguments[-1]
        arg_start = min(doc.start(last.name_span), doc.start(last.value_span))
        if arg_start > 0 and text[arg_start - 1] in "'\"`" and not python:
            arg_start -= 1  # a quoted key
        line_start = doc.line_start(arg_start)
        indent = text[line_start:arg_start]
        if indent.strip():  # the last argument shares its line with something before it
            return [Edit(self.path, point, ", " + ", ".join(pieces))]
        # One argument per line: new lines, with the same indentation.
        nl = doc.newline
        j = at
        while j < len(text) and text[j] in " \t":
            j += 1
        trailing = j < len(text) and text[j] == ","
        if trailing:
            j += 1
            while j < len(text) and text[j] in " \t":
                j += 1
        rest = text[j : doc.line_end(j)]
        rest_is_empty = not rest.strip() or rest.lstrip().startswith("#" if python else ("//", "/*"))
        line_end = doc.line_end(j)
        if trailing and rest_is_empty:
            return [insert(line_end, "".join(nl + indent + p + "," for p in pieces))]
        if trailing:  # `b=2, )`: keep it on the line
            return [Edit(self.path, point, ", " + ", ".join(pieces))]
        lines = ("," + nl + indent).join(pieces)
        if rest_is_empty:  # the comma goes after the value, the new lines after any comment
            return [Edit(self.path, point, ","), insert(line_end, nl + indent + lines)]
        return [Edit(self.path, point, "," + nl + indent + lines)]

    # -- missing-user-identity / missing-user-id

    def identity_fixes(self, finding: Finding) -> list[Fix]:
        call = self.call_at_callee(finding.span)
        if call is None or call.dynamic:
            return []
        api = self.api_of(call)
        fn = api.function(call.function) if api else None
        if api is None or fn is None:
            return []
        missing = list(finding.data.get("missing") or [p.name for p in fn.identity])
        # user_id_ first: it is what a server call usually has at hand.
        order = {USER_ID: 0, ANONYMOUS_ID: 1}
        params = sorted(
            (p for p in fn.identity if p.name in missing), key=lambda p: order.get(p.kind, 2)
        )
        fixes: list[Fix] = []
        sep = "=" if self.is_python(api) else ":"
        for i, param in enumerate(params):
            placeholder = param.name.rstrip("_") or param.name
            edits = self.add_arguments(call, api, [(param.name, placeholder)])
            if not edits:
                continue
            verb = "Set" if call.argument(param.name) is not None else "Add"
            fixes.append(Fix(f"{verb} `{param.name}{sep}`", _merge(edits), i == 0, finding))
        return fixes

    # -- missing-property

    def placeholder(self, param: Parameter, api: SourceApi, quote: str) -> str:
        python = self.is_python(api)
        if param.kind in (USER_ID, ANONYMOUS_ID):
            return param.name.rstrip("_") or param.name
        if param.kind == REVENUE:
            return "0"
        prop = param.prop
        if prop is None:
            return "None" if python else "null"
        if prop.is_list:
            return "[]"
        allowed = param.allowed
        if prop.type == "string":
            if allowed:
                return _string_literal(allowed[0], quote)
            sample = _regex_sample(prop.regex) if prop.regex else ""
            return _string_literal(sample or "", quote)
        if prop.type in ("int", "float"):
            value: float = 0
            if prop.min is not None and value < prop.min:
                value = math.ceil(prop.min) if prop.type == "int" else prop.min
            if prop.max is not None and value > prop.max:
                value = math.floor(prop.max) if prop.type == "int" else prop.max
            return _number_literal(value)
        if prop.type == "bool":
            return "False" if python else "false"
        if prop.type == "object":
            return "{}"
        return _string_literal("", quote)  # any

    def quote_style(self, call: CallSite, api: SourceApi) -> str:
        for arg in call.arguments:
            if isinstance(arg.value, str):
                quote = _quote_of(self.doc.slice(arg.value_span))
                if quote in ("'", '"'):
                    return quote
        return '"'

    def property_fixes(self, finding: Finding) -> list[Fix]:
        call = self.call_at_callee(finding.span)
        if call is None or call.dynamic:
            return []
        api = self.api_of(call)
        fn = api.function(call.function) if api else None
        if api is None or fn is None:
            return []
        quote = self.quote_style(call, api)
        values = []
        for name in finding.data.get("missing") or ():
            param = fn.parameter(name)
            if param is not None:
                values.append((name, self.placeholder(param, api, quote)))
        if not values:
            return []
        edits = self.add_arguments(call, api, values)
        if not edits:
            return []
        names = ", ".join(f"`{n}`" for n, _ in values)
        title = f"Add missing propert{'y' if len(values) == 1 else 'ies'} {names}"
        return [Fix(title, _merge(edits), True, finding)]

    # -- invalid-value

    def value_fixes(self, finding: Finding) -> list[Fix]:
        allowed = list(finding.data.get("allowed") or ())
        found = self.call_with_argument(finding.span, "value_span")
        if not allowed or found is None:
            return []
        call, arg = found
        if isinstance(arg.value, list):
            return []  # a list: the fix would have to pick an item
        api = self.api_of(call)
        fn = api.function(call.function) if api else None
        param = fn.parameter(arg.name) if fn else None
        if api is None or param is None:
            return []
        quote = _quote_of(self.doc.slice(arg.value_span)) or '"'
        if quote == "`" and api.language == "python":
            quote = '"'
        current = arg.value if isinstance(arg.value, str) else ""
        lowered = {v.lower(): v for v in allowed}
        close = difflib.get_close_matches(current.lower(), list(lowered), n=1, cutoff=0.6)
        preferred = lowered[close[0]] if close else (allowed[0] if len(allowed) == 1 else None)
        fixes = []
        for value in allowed:
            if value_problem(param, value, api.language) is not None:
                continue  # an allowed value that breaks another constraint (a regex)
            literal = _string_literal(value, quote)
            fixes.append(
                Fix(f"Replace with {literal}", (Edit(self.path, arg.value_span, literal),), value == preferred, finding)
            )
        return fixes

    # -- unknown-argument

    def argument_fixes(self, finding: Finding) -> list[Fix]:
        found = self.call_with_argument(finding.span, "name_span")
        if found is None:
            return []
        call, arg = found
        api = self.api_of(call)
        if api is None:
            return []
        fixes: list[Fix] = []
        suggestion = finding.data.get("suggestion")
        if suggestion and call.argument(suggestion) is None:
            new_text = suggestion
            if not self.is_python(api) and arg.name_span == arg.value_span:
                new_text = f"{suggestion}: {arg.name}"  # a shorthand `{query}` keeps its value
            fixes.append(Fix(f"Change to `{suggestion}`", (Edit(self.path, arg.name_span, new_text),), True, finding))
        removal = self.remove_argument(call, arg, api)
        if removal is not None:
            fixes.append(Fix("Remove argument", (removal,), not fixes, finding))
        return fixes

    def remove_argument(self, call: CallSite, arg: Argument, api: SourceApi) -> Edit | None:
        doc, text = self.doc, self.doc.text
        python = self.is_python(api)
        start = min(doc.start(arg.name_span), doc.start(arg.value_span))
        end = max(doc.end(arg.name_span), doc.end(arg.value_span))
        name_end = doc.end(arg.name_span)
        if not python and start > 0 and text[start - 1] in "'\"`" and name_end < len(text) and text[name_end] == text[start - 1]:
            start -= 1  # a quoted key: `"key": value`
        comment = ("#",) if python else ("//", "/*")
        # A comma after the argument?
        j = end
        while j < len(text) and text[j] in " \t\r\n":
            j += 1
        comma_after = j < len(text) and text[j] == ","
        line_start = doc.line_start(start)
        own_line = not text[line_start:start].strip()
        if own_line:
            k = j + 1 if comma_after else end
            rest = text[k : doc.line_end(k)] if doc.position(k)[0] == doc.position(end)[0] else ""
            if not rest.strip() or rest.lstrip().startswith(comment):
                # The whole line goes (with its comment); a trailing comma left on the
                # previous line is valid in both languages.
                next_start = doc.next_line_start(k)
                if next_start is not None:
                    return Edit(self.path, doc.span(line_start, next_start), "")
        if comma_after:
            k = j + 1
            while k < len(text) and text[k] in " \t":
                k += 1
            return Edit(self.path, doc.span(start, k), "")
        # The last argument: take the comma before it.
        i = start
        while i > 0 and text[i - 1] in " \t\r\n":
            i -= 1
        if i > 0 and text[i - 1] == ",":
            return Edit(self.path, doc.span(i - 1, end), "")
        if i > 0 and text[i - 1] in "({":
            # The only argument: take the blanks around it too (`f({ a: 1 })` -> `f({})`).
            k = end
            while k < len(text) and text[k] in " \t":
                k += 1
            if k < len(text) and text[k] in ")}" and "\n" not in text[i:start] and "\r" not in text[i:start]:
                return Edit(self.path, doc.span(i, k), "")
        return Edit(self.path, doc.span(start, end), "")

    # -- unknown-event

    def event_fixes(self, finding: Finding) -> list[Fix]:
        call = self.call_at_callee(finding.span)
        if call is None:
            return []
        api = self.api_of(call)
        if api is None:
            return []
        fixes: list[Fix] = []
        suggestion = finding.data.get("suggestion")
        if suggestion:
            edits = self.rename_edits(call, suggestion)
            if edits:
                fixes.append(Fix(f"Change to `{suggestion}`", _merge(edits), True, finding))
        plan_fix = self.plan_event_fix(call, api, finding)
        if plan_fix is not None:
            fixes.append(plan_fix)
        return fixes

    def rename_edits(self, call: CallSite, new_name: str) -> list[Edit] | None:
        doc, text = self.doc, self.doc.text
        written = doc.slice(call.callee_span)
        start = doc.start(call.callee_span)
        i = start
        while i > 0 and text[i - 1] in " \t":
            i -= 1
        through_module = i > 0 and text[i - 1] in ".\"'`"
        if through_module:
            if written != call.function:
                return None
            return [Edit(self.path, call.callee_span, new_name)]
        # A name bound by an import: rename it where it is imported.
        bindings = [b for b in self.analysis.bindings if b.local == written and b.module == call.module and b.function == call.function]
        if not bindings:
            return None
        edits: list[Edit] = []
        for binding in bindings:
            if binding.local == binding.function:
                # `from avo import fn`: the import and every bare call of it change.
                edits.append(Edit(self.path, binding.span, new_name))
                for other in self.analysis.calls:
                    if other.module == call.module and other.function == call.function and doc.slice(other.callee_span) == written:
                        o = doc.start(other.callee_span)
                        while o > 0 and text[o - 1] in " \t":
                            o -= 1
                        if not (o > 0 and text[o - 1] in ".\"'`"):
                            edits.append(Edit(self.path, other.callee_span, new_name))
            else:
                imported = self.imported_name_span(binding)
                if imported is None:
                    return None
                edits.append(Edit(self.path, imported, new_name))
        return sorted(set(edits), key=lambda e: e.span)

    def imported_name_span(self, binding: ImportBinding) -> Span | None:
        """The span of `fn` in `fn as alias` (Python, ES imports) or `fn: alias` (a
        destructured `require`)."""
        doc, text = self.doc, self.doc.text
        end = doc.start(binding.span)
        window = text[max(0, end - 300) : end]
        m = re.search(r"([^\W\d][\w$]*)\s+as\s+$|([^\W\d][\w$]*)\s*:\s*$", window)
        if m is None:
            return None
        group = 1 if m.group(1) is not None else 2
        if m.group(group) != binding.function:
            return None
        base = end - len(window)
        return doc.span(base + m.start(group), base + m.end(group))

    # -- the plan file

    def read_plan_text(self) -> str | None:
        if self.plan_text is None:
            try:
                self.plan_text = Path(self.project.load.path).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                return None
        return self.plan_text

    def plan_event_fix(self, call: CallSite, api: SourceApi, finding: Finding) -> Fix | None:
        plan: Plan | None = self.project.load.plan
        text = self.read_plan_text()
        if plan is None or text is None:
            return None
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            return None
        if not isinstance(root, MappingNode):
            return None
        plan_path = Path(self.project.load.path)
        editor = _PlanEditor(_Text(text), root, plan_path)
        lang = api.language
        source = api.source
        file_name = plan_path.name
        existing = next((e for e in plan.events.values() if identifier(e.name, lang) == call.function), None)
        if existing is not None:
            if source.name in existing.sources:
                return None  # a name collision dropped it; adding it again would not help
            edit = editor.add_to_sources(existing.name, source.name)
            if edit is None:
                return None
            title = f"Add source '{source.name}' to event '{existing.name}' in {file_name}"
            return Fix(title, (edit,), False, finding)
        name = _plan_name(call.function)
        if not name or identifier(name, lang) != call.function:
            return None  # no plan name becomes this identifier the way it is written
        # The call's arguments become the event's properties.
        special = IDENTITY_PARAMS[lang]
        refs: list[tuple[str, bool]] = []  # (property name, optional)
        new_props: list[tuple[str, list[str]]] = []  # (name, body lines)
        actions: list[str] = []
        by_ident: dict[str, str] = {}
        system: set[str] = set()
        for prop in plan.properties.values():
            ident = identifier(prop.name, lang)
            if prop.send_as == "system":
                system.add(ident)
            else:
                by_ident.setdefault(ident, prop.name)
        seen: set[str] = set()
        for arg in call.arguments:
            if arg.name in seen:
                continue
            seen.add(arg.name)
            if arg.name == special["user_id"]:
                if not source.is_server:
                    actions.append("identify")
                continue
            if arg.name == special["anonymous_id"]:
                continue
            if arg.name == special["revenue"]:
                actions.append("revenue")
                continue
            optional = arg.value is None
            if arg.name in by_ident:
                refs.append((by_ident[arg.name], optional))
                continue
            if arg.name in system:
                continue  # set at init, never passed: it stays an unknown argument
            prop_name = _plan_name(arg.name)
            if not prop_name or identifier(prop_name, lang) != arg.name or prop_name in plan.properties:
                continue
            refs.append((prop_name, optional))
            new_props.append((prop_name, _property_body(arg.value)))
            by_ident[arg.name] = prop_name
        body = [f"sources: [{_yaml_scalar(source.name)}]"]
        if actions:
            ordered = [a for a in ("identify", "log_event", "revenue") if a == "log_event" or a in actions]
            body.append(f"actions: [{', '.join(ordered)}]")
        if refs:
            body.append("properties:")
            for prop_name, optional in refs:
                if optional:
                    body.append(f"  - name: {_yaml_scalar(prop_name)}")
                    body.append("    optional: true")
                else:
                    body.append(f"  - {_yaml_scalar(prop_name)}")
        edits: list[Edit] = []
        for section, key, lines in [("events", name, body)] + [("properties", n, b) for n, b in new_props]:
            added = editor.add_entry(section, key, lines)
            if added is None:
                return None
            edits.extend(added)
        return Fix(f"Add event '{name}' to {file_name}", _merge(edits), False, finding)


def _yaml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "any"


def _property_body(value: Any) -> list[str]:
    if isinstance(value, list):
        known = [v for v in value if v is not UNKNOWN and v is not None]
        kinds = {_yaml_type(v) for v in known}
        if kinds == {"int", "float"}:
            kinds = {"float"}
        kind = kinds.pop() if len(kinds) == 1 else "any"
        return [f"type: {kind}", "list: true"]
    return [f"type: {_yaml_type(value)}"]


class _PlanEditor:
    """Text edits that add entries to the plan's top-level mappings, keeping its layout."""

    def __init__(self, doc: _Text, root: MappingNode, path: Path) -> None:
        self.doc = doc
        self.root = root
        self.path = path

    def column(self, node: Node) -> int:
        return node.start_mark.index - self.doc.line_start(node.start_mark.index)

    def step(self) -> int:
        """The indentation step of the file: from the first nested block mapping."""
        for _, value in self.root.value:
            if isinstance(value, MappingNode) and value.flow_style is not True and value.value:
                first_key, first_value = value.value[0]
                outer = self.column(first_key)
                if isinstance(first_value, MappingNode) and first_value.flow_style is not True and first_value.value:
                    inner = self.column(first_value.value[0][0]) - outer
                    if inner > 0:
                        return inner
                if outer > 0:
                    return outer
        return 2

    def after_line(self, offset: int) -> tuple[int, str]:
        """Where a new line goes after the line of `offset`: (offset, prefix), the prefix
        being a line break when that line is the text's last and has none."""
        doc = self.doc
        next_start = doc.next_line_start(offset)
        if next_start is None:
            return len(doc.text), doc.newline
        return next_start, ""

    def add_entry(self, section: str, key: str, body: list[str]) -> list[Edit] | None:
        doc, nl = self.doc, self.doc.newline
        step = self.step()
        found = _mapping_get(self.root, section)
        if found is None:
            # No such section: a new one at the end of the file.
            lines = [f"{section}:", " " * step + f"{_yaml_scalar(key)}:"] + [" " * 2 * step + b for b in body]
            end = len(doc.text)
            prefix = "" if not doc.text or doc.text.endswith(("\n", "\r")) else nl
            return [Edit(self.path, doc.span(end), prefix + nl.join(lines) + nl)]
        key_node, mapping = found
        if isinstance(mapping, MappingNode) and mapping.flow_style is not True and mapping.value:
            indent = self.column(mapping.value[0][0])
            first_value = mapping.value[0][1]
            inner = step
            if isinstance(first_value, MappingNode) and first_value.flow_style is not True and first_value.value:
                inner = max(1, self.column(first_value.value[0][0]) - indent)
            lines = [" " * indent + f"{_yaml_scalar(key)}:"] + [" " * (indent + inner) + b for b in body]
            offset, prefix = self.after_line(max(_content_end(mapping) - 1, mapping.start_mark.index))
            return [Edit(self.path, doc.span(offset), prefix + nl.join(lines) + nl)]
        lines = [" " * step + f"{_yaml_scalar(key)}:"] + [" " * 2 * step + b for b in body]
        if isinstance(mapping, ScalarNode) and mapping.tag == "tag:yaml.org,2002:null" and not mapping.value:
            # `events:` with nothing after it.
            offset, prefix = self.after_line(key_node.end_mark.index)
            return [Edit(self.path, doc.span(offset), prefix + nl.join(lines) + nl)]
        if isinstance(mapping, MappingNode) and not mapping.value:
            # `events: {}`: the flow mapping goes, a block takes its place on the next lines
            # (after any comment on its line).
            start = mapping.start_mark.index
            while start > key_node.end_mark.index + 1 and doc.text[start - 1] in " \t":
                start -= 1
            offset, prefix = self.after_line(mapping.end_mark.index)
            return [
                Edit(self.path, doc.span(start, mapping.end_mark.index), ""),
                Edit(self.path, doc.span(offset), prefix + nl.join(lines) + nl),
            ]
        return None  # a non-empty flow mapping, or not a mapping at all: leave it be

    def add_to_sources(self, event_name: str, source_name: str) -> Edit | None:
        doc = self.doc
        events = _mapping_get(self.root, "events")
        event = _mapping_get(events[1], event_name) if events else None
        sources = _mapping_get(event[1], "sources") if event else None
        if sources is None or not isinstance(sources[1], SequenceNode):
            return None
        seq = sources[1]
        scalar = _yaml_scalar(source_name)
        if seq.flow_style is True:
            if seq.value:
                return Edit(self.path, doc.span(seq.value[-1].end_mark.index), f", {scalar}")
            return Edit(self.path, doc.span(seq.start_mark.index + 1), scalar)
        if not seq.value:
            return None
        last = seq.value[-1]
        line_start = doc.line_start(last.start_mark.index)
        dash = re.match(r"[ \t]*-[ \t]+", doc.text[line_start : last.start_mark.index])
        if dash is None:
            return None
        offset, prefix = self.after_line(max(_content_end(last) - 1, last.start_mark.index))
        return Edit(self.path, doc.span(offset), prefix + dash.group() + scalar + doc.newline)
