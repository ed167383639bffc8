"""Navigation, as pure functions: hover, signature help, go to definition and symbols.

No LSP imports and no I/O: each function takes a `Project` snapshot (or a `Plan`), the
analysis or the text of a document and a position (0-based line, 0-based code-point
column), and returns a plain dataclass (or None / []). The language server turns them
into LSP types and converts positions to the client's encoding. Nothing here raises on a
position that is past the end, in whitespace or in text that does not parse: there is
simply nothing to say there.

In code (a file that imports a generated module):

- `hover_code`: on a call's function name, or on an import binding of a function, the
  event (heading, description, sources, actions, a table of the parameters, identity rule,
  pinned constants); on an import binding of the module, its source; on a keyword
  argument / object key, the property's definition (or what an identity argument means).
- `signature_help`: inside a call's parentheses, the function's signature with the
  parameter the cursor is at.
- `definition_code`: from a call's function name (or a function import binding) to the
  event's key in the plan; from an argument name to the property's key in the plan's
  `properties:`; from a module import binding to the source's key.

In the plan file (`avo.yaml`):

- `hover_plan`: on an event, property, source or destination key, or on a property name
  in an event's `properties:` list.
- `definition_plan`: from a property name in an event's `properties:` to its key in the
  catalogue.
- `document_symbols`: the outline, grouped "Sources" / "Destinations" / "Properties" /
  "Events" (in the file's order), an event's children being its property references.
- `workspace_symbols`: events, properties, sources and destinations whose name (or
  generated identifier) fuzzy-matches a query.

A position is "on" a span when it is inside it or just after its last character, the way
a text cursor sits after a word.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from ..analysis.model import CallSite, FileAnalysis
from ..api import PROPERTY, REVENUE, USER_ID, EventFunction, Parameter, SourceApi
from ..names import IDENTITY_PARAMS, identifier
from ..plan import Destination, Event, Plan, Property, PropertyRef, Source, Span

if TYPE_CHECKING:  # pragma: no cover
    from ..project import Project

__all__ = [
    "Hover",
    "Location",
    "ParameterInfo",
    "Signature",
    "Symbol",
    "SYMBOL_KINDS",
    "definition_code",
    "definition_plan",
    "destination_markdown",
    "document_symbols",
    "event_markdown",
    "hover_code",
    "hover_plan",
    "property_markdown",
    "signature_help",
    "signature_label",
    "source_markdown",
    "workspace_symbols",
]

SYMBOL_KINDS = ("group", "source", "destination", "property", "event")


@dataclass(frozen=True)
class Hover:
    markdown: str
    span: Span  # the range the hover applies to


@dataclass(frozen=True)
class Location:
    path: Path  # absolute
    span: Span


@dataclass(frozen=True)
class ParameterInfo:
    label: str  # the parameter's part of the signature label: `order_id: str`
    start: int  # its offsets in the signature label: code points, end exclusive
    end: int
    documentation: str  # markdown


@dataclass(frozen=True)
class Signature:
    label: str  # `checkout_completed(*, order_id: str, ...)`
    parameters: tuple[ParameterInfo, ...]
    active_parameter: int | None  # an index into `parameters`, or None
    documentation: str  # markdown
    span: Span  # the call


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # one of SYMBOL_KINDS
    span: Span  # the name (the key in the plan): LSP's selection range
    range: Span  # the whole entry, containing `span` and every child's range
    detail: str = ""
    children: tuple["Symbol", ...] = ()
    path: Path | None = None  # set by `workspace_symbols`
    container: str = ""  # set by `workspace_symbols`: "Events", "Properties", ...


# =========================================================================== positions


def _on(span: Span, line: int, col: int) -> bool:
    """True when (line, col) is inside `span` or just after it."""
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def _lines(text: str) -> list[str]:
    # Lines end at "\n", as in the finders and LSP; a "\r" before it stays in the line
    # (it is never part of a name, so it does not matter where it goes).
    return text.split("\n")


class _Text:
    """Offsets <-> positions of a text (lines split at "\\n")."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        self.starts.extend(m.end() for m in re.finditer("\n", text))

    def offset(self, line: int, col: int) -> int | None:
        if line < 0 or col < 0 or line >= len(self.starts):
            return None
        start = self.starts[line]
        end = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return start + col if start + col <= end else None


# =========================================================================== formatting

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text: str) -> str:
    """Plain text (a name from the plan) escaped for markdown."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _code(text: str) -> str:
    """An inline code span that shows `text` as it is, backticks included."""
    text = " ".join(str(text).split("\n"))
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell(text: str) -> str:
    """Text for a markdown table cell: pipes escaped, on one line."""
    return " ".join(text.split()).replace("|", "\\|")


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _literal(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _codes(values: Iterable[str]) -> str:
    return ", ".join(_code(v) for v in values)


def _type_text(prop: Property) -> str:
    text = f"list of {prop.type}" if prop.is_list else prop.type
    if prop.send_as == "user":
        text += " (user property)"
    elif prop.send_as == "system":
        text += " (system property)"
    return text


def _allowed_text(prop: Property, allowed: tuple[str, ...] | None) -> str:
    parts = []
    if allowed is not None:
        parts.append(_codes(allowed))
    if prop.regex is not None:
        parts.append(f"matches {_code(prop.regex)}")
    if prop.members:
        parts.append("members " + ", ".join(_md(m) for m in prop.members))
    return "; ".join(parts)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines)


def _identity_names(language: str) -> tuple[str, str]:
    names = IDENTITY_PARAMS.get(language, IDENTITY_PARAMS["python"])
    return names["user_id"], names["anonymous_id"]


def _identity_rule(source: Source) -> str:
    """What a call must pass of the identity parameters, for the required column."""
    user, anonymous = _identity_names(source.language)
    if source.is_server and source.anonymous_id:
        return f"pass {user} or {anonymous}"
    return "yes"


def _identity_sentence(source: Source, fn: EventFunction) -> str:
    user, anonymous = _identity_names(source.language)
    if source.is_server and source.anonymous_id:
        return f"Identity: pass {_code(user)} or {_code(anonymous)} (or both); a call with neither belongs to no user."
    if source.is_server:
        return f"Identity: {_code(user)} is required (this source sends no anonymous ids)."
    if fn.parameter(user) is not None:
        return f"Identity: {_code(user)} is required; the event identifies the user."
    return "Identity: none needed; the SDK keeps the user's identity."


def _sources_line(plan: Plan, event: Event) -> str:
    parts = []
    for name in event.sources:
        source = plan.sources.get(name)
        if source is None:
            parts.append(_md(name))
        else:
            parts.append(f"{_md(name)} ({source.platform}, {source.language})")
    return "Sources: " + (", ".join(parts) or "none")


def _pinned_line(refs: Sequence[PropertyRef]) -> str | None:
    if not refs:
        return None
    return "Always sent (pinned): " + ", ".join(f"{_md(r.name)} = {_code(_literal(r.pinned))}" for r in refs)


def _parameter_row(param: Parameter, source: Source) -> list[str]:
    if param.kind == PROPERTY and param.ref is not None:
        prop = param.ref.property
        return [
            _code(param.name),
            _type_text(prop),
            "yes" if param.required else "no",
            _allowed_text(prop, param.allowed),
            _number(prop.min) if prop.min is not None else "",
            _number(prop.max) if prop.max is not None else "",
        ]
    kind = "float" if param.kind == REVENUE else "string"
    if param.is_identity:
        required = _identity_rule(source) if source.is_server else ("yes" if param.required else "no")
    else:
        required = "yes" if param.required else "no"
    return [_code(param.name), kind, required, "", "", ""]


_PARAMETER_HEADER = ("parameter", "type", "required", "allowed values", "min", "max")
_PROPERTY_HEADER = ("property", "type", "required", "allowed values", "min", "max")


def _event_head(plan: Plan, event: Event) -> list[str]:
    blocks = [f"### {_md(event.name)}"]
    if event.description.strip():
        blocks.append(event.description.strip())
    blocks.append(_sources_line(plan, event))
    blocks.append("Actions: " + (", ".join(event.actions) or "none"))
    return blocks


def event_markdown(plan: Plan, event: Event, fn: EventFunction | None = None, source: Source | None = None) -> str:
    """The markdown of an event. With the generated function of a source (`fn`,
    `source`), its parameters as that source's code takes them; without, the event's
    properties by their plan names and the generated function of each source."""
    blocks = _event_head(plan, event)
    if fn is not None and source is not None:
        at = 2 if event.description.strip() else 1
        blocks.insert(at, f"{_code(fn.name)}: event function of the {_md(source.name)} source ({_code(source.path)})")
        if fn.parameters:
            blocks.append(_table(_PARAMETER_HEADER, (_parameter_row(p, source) for p in fn.parameters)))
        else:
            blocks.append("No parameters.")
        blocks.append(_identity_sentence(source, fn))
        pinned = _pinned_line(fn.pinned)
    else:
        rows = []
        for ref in event.properties:
            if ref.is_pinned:
                continue
            prop = ref.property
            rows.append(
                [
                    _md(ref.name),
                    _type_text(prop),
                    "no" if ref.optional else "yes",
                    _allowed_text(prop, ref.effective_allowed),
                    _number(prop.min) if prop.min is not None else "",
                    _number(prop.max) if prop.max is not None else "",
                ]
            )
        if "revenue" in event.actions:
            rows.append(["revenue amount (`revenue_`)", "float", "yes", "", "", ""])
        blocks.append(_table(_PROPERTY_HEADER, rows) if rows else "No properties.")
        pinned = _pinned_line([r for r in event.properties if r.is_pinned])
    if pinned:
        blocks.append(pinned)
    return "\n\n".join(blocks)


def _functions_block(plan: Plan, event: Event, apis: Iterable[SourceApi]) -> str | None:
    by_source = {api.source.name: api for api in apis}
    lines = []
    for name in event.sources:
        source = plan.sources.get(name)
        api = by_source.get(name)
        if source is None or api is None:
            continue
        fn = next((f for f in api.functions if f.event.name == event.name), None)
        if fn is None:
            continue
        user, anonymous = _identity_names(source.language)
        if source.is_server and source.anonymous_id:
            note = f" (pass {_code(user)} or {_code(anonymous)})"
        elif fn.parameter(user) is not None:
            note = f" ({_code(user)} required)"
        else:
            note = ""
        lines.append(f"- {_md(name)}: {_code(fn.name)}{note}")
    if not lines:
        return None
    return "Generated functions:\n\n" + "\n".join(lines)


def _apis_of(plan: Plan, apis: Iterable[SourceApi] | None) -> list[SourceApi]:
    if apis is not None:
        return list(apis)
    from ..api import source_api

    return [source_api(plan, s) for s in plan.sources.values()]


def _users(plan: Plan, name: str) -> list[Event]:
    return [e for e in plan.events.values() if any(r.name == name for r in e.properties)]


def property_markdown(plan: Plan, prop: Property, ref: PropertyRef | None = None, event: Event | None = None,
                      param: Parameter | None = None, used_by: bool = True) -> str:
    """The markdown of a property's definition; with an event's reference (`ref`,
    `event`), how that event uses it; with `param`, the parameter it becomes."""
    blocks = [f"### {_md(prop.name)}"]
    if ref is not None and event is not None:
        if ref.is_pinned:
            usage = f"pinned to {_code(_literal(ref.pinned))}"
        else:
            usage = "optional" if ref.optional else "required"
        head = f"{_code(param.name)}: " if param is not None else ""
        blocks.append(f"{head}{usage} in {_md(event.name)}")
    if prop.description.strip():
        blocks.append(prop.description.strip())
    facts = [f"- type: {_type_text(prop)}"]
    allowed = ref.effective_allowed if ref is not None else prop.allowed
    if allowed is not None:
        line = f"- allowed values: {_codes(allowed)}"
        if ref is not None and ref.allowed is not None and prop.allowed is not None and ref.allowed != prop.allowed:
            line += f" (narrowed from {_codes(prop.allowed)})"
        facts.append(line)
    if prop.min is not None:
        facts.append(f"- min: {_number(prop.min)}")
    if prop.max is not None:
        facts.append(f"- max: {_number(prop.max)}")
    if prop.regex is not None:
        facts.append(f"- regex: {_code(prop.regex)}")
    if prop.members:
        facts.append("- members: " + ", ".join(_md(m) for m in prop.members))
    if prop.send_as == "user":
        facts.append("- sent as: a user property")
    elif prop.send_as == "system":
        facts.append("- sent as: a system property (set once in init, sent with every event)")
    blocks.append("\n".join(facts))
    owners = [p.name for p in plan.properties.values() if prop.name in p.members]
    if owners:
        blocks.append("Member of: " + ", ".join(_md(o) for o in owners))
    if used_by:
        users = _users(plan, prop.name)
        blocks.append("Used by: " + (", ".join(_md(e.name) for e in users) if users else "no event"))
    return "\n\n".join(blocks)


def _identity_markdown(param: Parameter, source: Source, fn: EventFunction) -> str:
    user, anonymous = _identity_names(source.language)
    if param.kind == REVENUE:
        what = "The revenue amount (float), passed to the destinations' revenue call. Required."
    elif param.kind == USER_ID:
        what = "The id of the user (string)."
    else:
        what = "The anonymous (device) id (string), when the user is not known."
    return "\n\n".join(
        [f"### {_code(param.name)}", what, _identity_sentence(source, fn) if param.is_identity else f"In {_md(fn.event.name)}."]
    )


def source_markdown(plan: Plan, source: Source) -> str:
    events = plan.events_of(source.name)
    facts = [
        f"- platform: {source.platform}",
        f"- language: {source.language}",
        f"- path: {_code(source.path)}",
        f"- destinations: {', '.join(_md(d) for d in plan.destinations_of(source)) or 'none'}",
    ]
    if source.is_server:
        facts.append(f"- anonymous ids: {'yes' if source.anonymous_id else 'no'}")
    facts.append(f"- events: {len(events)}")
    return "\n\n".join([f"### {_md(source.name)}", "Source", "\n".join(facts)])


def destination_markdown(plan: Plan, destination: Destination) -> str:
    users = [s.name for s in plan.sources.values() if destination.name in plan.destinations_of(s)]
    return "\n\n".join(
        [f"### {_md(destination.name)}", "Destination", "Sources: " + (", ".join(_md(u) for u in users) or "none")]
    )


# =========================================================================== code: lookups


def _plan(project: "Project") -> Plan | None:
    return project.load.plan


def _function(project: "Project", module: Path, name: str) -> tuple[SourceApi, EventFunction] | None:
    api = project.apis.get(module)
    if api is None:
        return None
    fn = api.function(name)
    return (api, fn) if fn is not None else None


@dataclass(frozen=True)
class _Target:
    """What is under the cursor in code."""

    span: Span
    api: SourceApi
    fn: EventFunction | None = None  # a function name (callee or import binding)
    param: Parameter | None = None  # an argument name
    module_binding: bool = False


def _target(project: "Project", analysis: FileAnalysis, line: int, col: int) -> _Target | None:
    # Argument names first: they are the innermost thing (a call may hold another call).
    best: _Target | None = None
    for call in analysis.calls:
        if not _on(call.call_span, line, col):
            continue
        found = _function(project, call.module, call.function)
        if found is None:
            continue
        api, fn = found
        if _on(call.callee_span, line, col):
            best = _narrower(best, _Target(call.callee_span, api, fn))
        for arg in call.arguments:
            if _on(arg.name_span, line, col):
                param = fn.parameter(arg.name)
                if param is not None:
                    best = _narrower(best, _Target(arg.name_span, api, fn, param))
    if best is not None:
        return best
    for binding in analysis.bindings:
        if not _on(binding.span, line, col):
            continue
        api = project.apis.get(binding.module)
        if api is None:
            continue
        if binding.function is None:
            return _Target(binding.span, api, module_binding=True)
        fn = api.function(binding.function)
        if fn is not None:
            return _Target(binding.span, api, fn)
    return None


def _narrower(current: _Target | None, new: _Target) -> _Target:
    if current is None:
        return new
    return new if (new.span.line, new.span.col) >= (current.span.line, current.span.col) else current


def hover_code(project: "Project", analysis: FileAnalysis, line: int, col: int) -> Hover | None:
    """The hover at (line, col) of a code file, or None."""
    plan = _plan(project)
    if plan is None:
        return None
    target = _target(project, analysis, line, col)
    if target is None:
        return None
    source = target.api.source
    if target.module_binding:
        return Hover(source_markdown(plan, source), target.span)
    fn = target.fn
    assert fn is not None
    if target.param is None:
        return Hover(event_markdown(plan, fn.event, fn, source), target.span)
    param = target.param
    if param.ref is None:
        return Hover(_identity_markdown(param, source, fn), target.span)
    return Hover(property_markdown(plan, param.ref.property, param.ref, fn.event, param, used_by=False), target.span)


def definition_code(project: "Project", analysis: FileAnalysis, line: int, col: int) -> Location | None:
    """Where the thing at (line, col) of a code file is defined in the plan, or None."""
    plan = _plan(project)
    if plan is None:
        return None
    target = _target(project, analysis, line, col)
    if target is None:
        return None
    if target.module_binding:
        return Location(plan.path, target.api.source.span)
    if target.param is not None:
        if target.param.ref is None:
            return None  # user_id_, anonymous_id_, revenue_: not in the plan
        return Location(plan.path, target.param.ref.property.span)
    assert target.fn is not None
    return Location(plan.path, target.fn.event.span)


# =========================================================================== signature help


def _python_type(param: Parameter) -> str:
    if param.kind == REVENUE:
        return "float"
    if param.is_identity or param.prop is None:
        return "str"
    prop = param.prop
    allowed = param.allowed
    if prop.type == "string" and allowed is not None:
        base = "Literal[" + ", ".join(repr(v) for v in allowed) + "]"
    else:
        base = {"string": "str", "int": "int", "float": "float", "bool": "bool", "object": "dict[str, Any]"}.get(prop.type, "Any")
    return f"list[{base}]" if prop.is_list else base


def _script_type(param: Parameter) -> str:
    if param.kind == REVENUE:
        return "number"
    if param.is_identity or param.prop is None:
        return "string"
    prop = param.prop
    allowed = param.allowed
    if prop.type == "string" and allowed is not None:
        base = " | ".join(json.dumps(v, ensure_ascii=False) for v in allowed) or "never"
    else:
        base = {"string": "string", "int": "number", "float": "number", "bool": "boolean",
                "object": "Record<string, unknown>"}.get(prop.type, "unknown")
    if not prop.is_list:
        return base
    return f"({base})[]" if " " in base else f"{base}[]"


def _parameter_piece(param: Parameter, python: bool) -> str:
    if python:
        annotation = _python_type(param)
        return f"{param.name}: {annotation}" if param.required else f"{param.name}: {annotation} | None = None"
    return f"{param.name}{'' if param.required else '?'}: {_script_type(param)}"


def _parameter_doc(param: Parameter, source: Source) -> str:
    if param.ref is None:
        user, anonymous = _identity_names(source.language)
        if param.kind == REVENUE:
            return "The revenue amount (required)."
        what = "The id of the user" if param.kind == USER_ID else "The anonymous (device) id"
        if source.is_server and source.anonymous_id:
            return f"{what}: pass {_code(user)} or {_code(anonymous)} (or both)."
        return f"{what} (required)."
    prop = param.ref.property
    facts = [_type_text(prop), "required" if param.required else "optional"]
    if param.allowed is not None:
        facts.append("one of " + _codes(param.allowed))
    if prop.min is not None:
        facts.append(f"min {_number(prop.min)}")
    if prop.max is not None:
        facts.append(f"max {_number(prop.max)}")
    if prop.regex is not None:
        facts.append(f"matches {_code(prop.regex)}")
    text = f"{_md(prop.name)} ({', '.join(facts)})"
    if prop.description.strip():
        text += ": " + " ".join(prop.description.split())
    return text


def signature_label(fn: EventFunction, source: Source) -> tuple[str, tuple[ParameterInfo, ...]]:
    """The label of a function's signature and each parameter's part of it."""
    python = source.language == "python"
    if not fn.parameters:
        return f"{fn.name}()", ()
    label = f"{fn.name}(*, " if python else f"{fn.name}({{ "
    infos = []
    for i, param in enumerate(fn.parameters):
        if i:
            label += ", "
        piece = _parameter_piece(param, python)
        infos.append(ParameterInfo(piece, len(label), len(label) + len(piece), _parameter_doc(param, source)))
        label += piece
    label += ")" if python else " })"
    return label, tuple(infos)


_IDENT_BEFORE = re.compile(r"[A-Za-z_$\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*$")


def _first_unpassed(fn: EventFunction, call: CallSite, prefix: str = "") -> int | None:
    passed = {a.name for a in call.arguments}
    candidates = [i for i, p in enumerate(fn.parameters) if p.name not in passed]
    if prefix:
        lowered = prefix.lower()
        matching = [i for i in candidates if fn.parameters[i].name.lower().startswith(lowered)]
        if matching:
            return matching[0]
        return None
    return candidates[0] if candidates else None


def _index(fn: EventFunction, name: str) -> int | None:
    return next((i for i, p in enumerate(fn.parameters) if p.name == name), None)


def _inside(call: CallSite, line: int, col: int, doc: _Text | None) -> bool:
    """Whether (line, col) is between a call's parentheses."""
    pos = (line, col)
    callee_end = (call.callee_span.end_line, call.callee_span.end_col)
    end = (call.call_span.end_line, call.call_span.end_col)
    if doc is None:
        return callee_end < pos and (pos < end or (pos == end and call.dynamic))
    start = doc.offset(*callee_end)
    cursor = doc.offset(line, col)
    stop = doc.offset(*end)
    if start is None or cursor is None or stop is None:
        return False
    text = doc.text
    open_paren = text.find("(", start, stop)
    if open_paren < 0 or cursor <= open_paren:
        return False
    if stop > 0 and text[stop - 1] == ")" and stop - 1 > open_paren:
        return cursor < stop
    # An unterminated call (the user is typing): it goes on over what follows it that is
    # only blanks, commas and the start of a name.
    if cursor <= stop:
        return True
    if re.fullmatch(r"[\s,]*[\w$]*", text[stop:cursor]) is None:
        return False
    # ... up to a line that starts no deeper than the call's own line: code after it.
    indent = _INDENT.match(text, doc.starts[call.call_span.line]).end() - doc.starts[call.call_span.line]
    for line_no in range(call.call_span.end_line + 1, line + 1):
        raw = text[doc.starts[line_no]:cursor] if line_no == line else text[doc.starts[line_no]:doc.starts[line_no + 1]]
        if raw.strip() and len(raw) - len(raw.lstrip(" \t")) <= indent:
            return False
    return True


_INDENT = re.compile(r"[ \t]*")


def _active(fn: EventFunction, call: CallSite, line: int, col: int, doc: _Text | None) -> int | None:
    pos = (line, col)
    previous = None  # the last argument that ends before the cursor
    for arg in call.arguments:
        start = (arg.name_span.line, arg.name_span.col)
        end = max((arg.value_span.end_line, arg.value_span.end_col), (arg.name_span.end_line, arg.name_span.end_col))
        if start <= pos <= end:
            index = _index(fn, arg.name)
            if index is not None:
                return index
            # An argument name that is no parameter: the start of one being typed?
            if (arg.name_span.line, arg.name_span.col) <= pos <= (arg.name_span.end_line, arg.name_span.end_col):
                return _first_unpassed(fn, call, arg.name[: col - arg.name_span.col] if arg.name_span.line == line else "")
            return None
        if end < pos:
            previous = (arg, end)
    if doc is None:
        return _first_unpassed(fn, call)
    cursor = doc.offset(line, col)
    if cursor is None:
        return None
    if previous is not None:
        after = doc.offset(*previous[1])
        if after is not None and "," not in doc.text[after:cursor]:
            # Just after an argument, before its comma (or after a name being typed).
            index = _index(fn, previous[0].name)
            return index if index is not None else _first_unpassed(fn, call, previous[0].name)
    line_text = doc.text[doc.starts[line]:cursor]
    match = _IDENT_BEFORE.search(line_text)
    return _first_unpassed(fn, call, match.group(0) if match else "")


def signature_help(project: "Project", analysis: FileAnalysis, line: int, col: int, text: str | None = None) -> Signature | None:
    """The signature of the call whose parentheses hold (line, col), or None.

    `text` (the document's text) is optional but makes the answer exact: it shows where
    the opening parenthesis is, whether the call is closed yet, and the name being typed
    (`tot|` is `total`). Without it, the call's spans decide."""
    doc = _Text(text) if text is not None else None
    best: CallSite | None = None
    for call in analysis.calls:
        if _inside(call, line, col, doc) and (
            best is None or (call.call_span.line, call.call_span.col) > (best.call_span.line, best.call_span.col)
        ):
            best = call
    if best is None:
        return None
    found = _function(project, best.module, best.function)
    if found is None:
        return None
    api, fn = found
    label, params = signature_label(fn, api.source)
    doc_parts = [f"**{_md(fn.event.name)}** ({_md(api.source.name)})"]
    if fn.event.description.strip():
        doc_parts.append(fn.event.description.strip())
    doc_parts.append(_identity_sentence(api.source, fn))
    active = _active(fn, best, line, col, doc) if params else None
    return Signature(label, params, active, "\n\n".join(doc_parts), best.call_span)


# =========================================================================== the plan file


def _written(lines: Sequence[str], span: Span, name: str) -> bool:
    """Whether the plan's span still holds `name` in the text (the plan may be a step
    behind the buffer)."""
    if span.line != span.end_line or span.line >= len(lines):
        return span.line < len(lines)
    raw = lines[span.line][span.col : span.end_col]
    if raw[:1] in ("'", '"'):
        return True  # a quoted scalar: escapes make comparing costly, and it rarely matters
    return raw == name


def _plan_target(plan: Plan, text: str, line: int, col: int):
    """(kind, object, span, event) of the plan element whose key is at (line, col)."""
    lines = _lines(text)
    if line < 0 or line >= len(lines) or col < 0 or col > len(lines[line]):
        return None
    for event in plan.events.values():
        if _on(event.span, line, col) and _written(lines, event.span, event.name):
            return "event", event, event.span, None
        for ref in event.properties:
            if _on(ref.span, line, col) and _written(lines, ref.span, ref.name):
                return "reference", ref, ref.span, event
    for prop in plan.properties.values():
        if _on(prop.span, line, col) and _written(lines, prop.span, prop.name):
            return "property", prop, prop.span, None
    for source in plan.sources.values():
        if _on(source.span, line, col) and _written(lines, source.span, source.name):
            return "source", source, source.span, None
    for dest in plan.destinations.values():
        if _on(dest.span, line, col) and _written(lines, dest.span, dest.name):
            return "destination", dest, dest.span, None
    return None


def hover_plan(plan: Plan | None, text: str, line: int, col: int, apis: Iterable[SourceApi] | None = None) -> Hover | None:
    """The hover at (line, col) of the plan file, or None.

    `apis` (e.g. `project.load.apis`) are the generated APIs of the plan, for the
    function names of an event; without them they are built here."""
    if plan is None:
        return None
    found = _plan_target(plan, text, line, col)
    if found is None:
        return None
    kind, obj, span, event = found
    if kind == "event":
        markdown = event_markdown(plan, obj)
        functions = _functions_block(plan, obj, _apis_of(plan, apis))
        return Hover(markdown + ("\n\n" + functions if functions else ""), span)
    if kind == "reference":
        return Hover(property_markdown(plan, obj.property, obj, event), span)
    if kind == "property":
        return Hover(property_markdown(plan, obj), span)
    if kind == "source":
        return Hover(source_markdown(plan, obj), span)
    return Hover(destination_markdown(plan, obj), span)


def definition_plan(plan: Plan | None, text: str, line: int, col: int) -> Location | None:
    """From a property name in an event's `properties:` to its key in the catalogue."""
    if plan is None:
        return None
    found = _plan_target(plan, text, line, col)
    if found is None or found[0] != "reference":
        return None
    return Location(plan.path, found[1].property.span)


# --------------------------------------------------------------------------- symbols

_GROUPS = (("sources", "Sources"), ("destinations", "Destinations"), ("properties", "Properties"), ("events", "Events"))


def _end(span: Span) -> tuple[int, int]:
    return (span.end_line, span.end_col)


def _start(span: Span) -> tuple[int, int]:
    return (span.line, span.col)


def _property_detail(prop: Property) -> str:
    parts = [_type_text(prop)]
    if prop.allowed is not None:
        parts.append("one of " + ", ".join(prop.allowed))
    if prop.min is not None:
        parts.append(f"min {_number(prop.min)}")
    if prop.max is not None:
        parts.append(f"max {_number(prop.max)}")
    return ", ".join(parts)


def _ref_detail(ref: PropertyRef) -> str:
    if ref.is_pinned:
        return f"pinned: {_literal(ref.pinned)}"
    return "optional" if ref.optional else "required"


def _entry_end(lines: Sequence[str] | None, start: tuple[int, int], boundary: tuple[int, int] | None) -> tuple[int, int] | None:
    """The end of an entry that starts at `start` and runs up to `boundary` (the next
    entry or top-level key), trailing blanks, commas and comment lines left out."""
    if lines is None or boundary is None:
        return None
    line, col = boundary
    line = min(line, len(lines) - 1) if lines else 0
    col = min(col, len(lines[line])) if lines else 0
    while (line, col) > start:
        text = lines[line][:col]
        stripped = text.rstrip(" \t\r,")
        if stripped.lstrip().startswith("#") or not stripped.strip():
            if line == 0:
                break
            line -= 1
            col = len(lines[line])
            continue
        return (line, len(stripped))
    return None


def _top_level_lines(lines: Sequence[str]) -> list[tuple[str, int]]:
    """(key, line) of each top-level key of a block-style plan."""
    result = []
    for i, raw in enumerate(lines):
        m = re.match(r"""^(?:(['"])(.*?)\1|([^\s#'"\-{\[][^:#]*?))\s*:(?:\s|$)""", raw)
        if m:
            result.append(((m.group(2) if m.group(1) else m.group(3)).strip(), i))
    return result


def _group_symbols(
    title: str,
    kind: str,
    entries: list[tuple[str, Span, str, tuple[Symbol, ...]]],
    header: Span | None,
    lines: Sequence[str] | None,
    boundaries: list[tuple[int, int]],
) -> Symbol | None:
    if not entries:
        return None
    entries = sorted(entries, key=lambda e: _start(e[1]))
    symbols = []
    for i, (name, span, detail, children) in enumerate(entries):
        start = _start(span)
        nxt = entries[i + 1][1] if i + 1 < len(entries) else None
        boundary = _start(nxt) if nxt is not None else next((b for b in boundaries if b > start), None)
        if nxt is None and boundary is None and lines is not None:
            boundary = (len(lines) - 1, len(lines[-1]))
        end = max([_end(span)] + [_end(c.range) for c in children])
        found = _entry_end(lines, start, boundary)
        if found is not None and found > end:
            end = found
        symbols.append(Symbol(name, kind, span, Span(start[0], start[1], end[0], end[1]), detail, children))
    first = symbols[0]
    span = header if header is not None and _start(header) <= _start(first.span) else first.span
    end = max(_end(s.range) for s in symbols)
    return Symbol(title, "group", span, Span(span.line, span.col, end[0], end[1]), f"{len(symbols)}", tuple(symbols))


def document_symbols(plan: Plan | None, text: str | None = None) -> list[Symbol]:
    """The outline of the plan file: a "Sources", "Destinations", "Properties" and
    "Events" group (each only when it has entries, in the order of the file), an event's
    children being its property references.

    `text` (the plan's text) makes every entry's range run to its last line and the
    groups start at their `events:` (...) key; without it, ranges end at the last key
    known inside them."""
    if plan is None:
        return []
    lines = _lines(text) if text is not None else None
    top_lines = _top_level_lines(lines) if lines is not None else []
    boundaries = sorted((line, 0) for _, line in top_lines)

    def header_for(key: str, first: Span) -> Span | None:
        best = None
        for name, line in top_lines:
            if name == key and line <= first.line:
                best = Span(line, 0, line, len(name))
        return best

    groups: list[Symbol] = []
    for key, title in _GROUPS:
        if key == "sources":
            src = [(s.name, s.span, f"{s.platform}, {s.language}, {s.path}", ()) for s in plan.sources.values()]
            entries, kind = src, "source"
        elif key == "destinations":
            entries, kind = [(d.name, d.span, "", ()) for d in plan.destinations.values()], "destination"
        elif key == "properties":
            entries, kind = [(p.name, p.span, _property_detail(p), ()) for p in plan.properties.values()], "property"
        else:
            entries = []
            for e in plan.events.values():
                children = tuple(
                    Symbol(r.name, "property", r.span, r.span, _ref_detail(r)) for r in sorted(e.properties, key=lambda r: _start(r.span))
                )
                entries.append((e.name, e.span, ", ".join(e.sources), children))
            kind = "event"
        if not entries:
            continue
        first = min((e[1] for e in entries), key=_start)
        group = _group_symbols(title, kind, list(entries), header_for(key, first), lines, boundaries)
        if group is not None:
            groups.append(group)
    groups.sort(key=lambda g: _start(g.span))
    return groups


def _normal(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _match_score(query: str, candidate: str) -> tuple[int, int] | None:
    """How well `query` (normalised) matches `candidate` as a subsequence: (gaps, start);
    lower is better. None when it does not match."""
    if not query:
        return (0, 0)
    text = _normal(candidate)
    if query in text:
        return (0, text.index(query))
    pos = 0
    runs = 0
    last = -2
    first = -1
    for ch in query:
        found = text.find(ch, pos)
        if found < 0:
            return None
        if found != last + 1:
            runs += 1
        if first < 0:
            first = found
        last = found
        pos = found + 1
    return (runs, first)


def _identifiers(name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((identifier(name, "python"), identifier(name, "typescript"))))


def workspace_symbols(plan: Plan | None, query: str) -> list[Symbol]:
    """Events, properties, sources and destinations whose name, or the identifier it
    becomes in generated code, matches `query` as a case-insensitive subsequence
    (letters and digits only: "chkcomp" and "checkout_completed" both find "Checkout
    Completed"), the best matches first. An empty query matches everything."""
    if plan is None:
        return []
    wanted = _normal(query or "")
    found: list[tuple[tuple, Symbol]] = []
    order = {"event": 0, "property": 1, "source": 2, "destination": 3}

    def consider(name: str, kind: str, span: Span, detail: str, container: str) -> None:
        scores = [s for s in (_match_score(wanted, c) for c in (name, *_identifiers(name))) if s is not None]
        if not scores:
            return
        best = min(scores)
        symbol = Symbol(name, kind, span, span, detail, (), plan.path, container)
        rank = (best, order[kind], len(name), name.lower()) if wanted else (order[kind], len(found))
        found.append((rank, symbol))

    for e in plan.events.values():
        consider(e.name, "event", e.span, " / ".join(_identifiers(e.name)), "Events")
    for p in plan.properties.values():
        consider(p.name, "property", p.span, _property_detail(p), "Properties")
    for s in plan.sources.values():
        consider(s.name, "source", s.span, f"{s.platform}, {s.language}", "Sources")
    for d in plan.destinations.values():
        consider(d.name, "destination", d.span, "", "Destinations")
    found.sort(key=lambda item: item[0])
    return [s for _, s in found]
