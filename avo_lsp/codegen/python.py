"""The Python code generator: one module per `language: python` source.

The generated module has four parts, in this order:

1. the header, a module docstring and the imports;
2. a fixed runtime (`RUNTIME` below): the public `AvoValidationError`,
   `AvoNotInitializedError`, `AvoOptions` and `AvoDestination`, and the private helpers
   that validate arguments and call the destinations;
3. what the plan says: one `str` enum per property with allowed values, the tables the
   helpers read (`_DESTINATIONS`, `_SYSTEM_PROPERTIES`, `_PROPERTIES`), `init_avo` and
   one function per event;
4. Avo's footer.

Every name the module defines for itself starts with `_` and a letter, or is CamelCase,
or is `init_avo`: a function or parameter made from a plan name is lower-case snake case
that never starts with `_` and a letter (see `avo_lsp.names`), so the two never meet.
Plan text goes into generated code only through `_str` (string literals) and
`_docstring` (docstrings), never raw.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from ..api import ANONYMOUS_ID, PROPERTY, REVENUE, USER_ID, EventFunction, Parameter, SourceApi
from ..names import python_class_name, python_constant_name, snake_case
from ..plan import Plan, Property, PropertyRef, Source
from . import footer_lines, header_lines

# Public names of the runtime: an enum class never takes one of these.
RUNTIME_NAMES = ("AvoValidationError", "AvoNotInitializedError", "AvoOptions", "AvoDestination")
TYPING_NAMES = ("Any", "Literal", "Protocol", "TypedDict")

# What each plan type is called in annotations and docstrings.
ANNOTATIONS = {"string": "str", "int": "int", "float": "float", "bool": "bool", "object": "dict[str, Any]", "any": "Any"}
DOC_TYPES = {"string": "str", "int": "int", "float": "float", "bool": "bool", "object": "dict", "any": "any"}

# The order in which an event's calls reach each destination (the `_send` helper).
CALL_ORDER = ("identify", "set_user_properties", "log_page", "revenue", "track_event", "unidentify")

IMPORTS = """\
import enum as _enum
import logging as _logging
import re as _re
import typing as _typing
from typing import Any, Literal, Protocol, TypedDict
"""

RUNTIME = '''\
class AvoValidationError(ValueError):
    """A call broke the tracking plan (raised outside "prod" when `strict` is on).

    `problems` lists every problem found; the message is those lines.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\\n".join(problems))
        self.problems = tuple(problems)


class AvoNotInitializedError(RuntimeError):
    """An event function was called before init_avo()."""


class AvoOptions(TypedDict, total=False):
    """The options of init_avo(). `env` is required."""

    env: Literal["dev", "staging", "prod"]
    strict: bool  # default True: raise AvoValidationError instead of logging
    noop: bool  # default False: when True, destinations are never called
    api_keys: dict[str, str]  # destination name in the plan -> key, passed to make()


class AvoDestination(Protocol):
    """What init_avo() expects of each destination: a wrapper around an analytics SDK."""

    def make(self, env: str, api_key: str | None) -> None: ...

    def track_event(
        self,
        user_id: str | None,
        event_name: str,
        event_properties: dict[str, Any],
        anonymous_id: str | None = None,
    ) -> None: ...

    def set_user_properties(self, user_id: str | None, user_properties: dict[str, Any]) -> None: ...

    def identify(self, user_id: str) -> None: ...

    def unidentify(self) -> None: ...

    def log_page(self, user_id: str | None, page_name: str, event_properties: dict[str, Any]) -> None: ...

    def revenue(self, user_id: str | None, amount: float, event_properties: dict[str, Any]) -> None: ...


class _Property(_typing.NamedTuple):
    """A property of the plan with its constraints, as the run-time checks read it."""

    name: str
    type: str
    is_list: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    regex: str | None = None
    members: tuple[str, ...] = ()


class _Avo(_typing.NamedTuple):
    """What init_avo() set up."""

    env: str
    strict: bool
    noop: bool
    system_properties: dict[str, Any]
    destinations: tuple[AvoDestination, ...]

    @property
    def validate(self) -> bool:
        return self.env != "prod"


_log = _logging.getLogger("avo")
_current: _Avo | None = None
_ENVS = ("dev", "staging", "prod")
_OPTIONS = ("env", "strict", "noop", "api_keys")
_ID = _Property("", "string")  # user_id_ and anonymous_id_
_REVENUE = _Property("", "float")  # revenue_
_TYPE_NAMES = {"string": "a str", "int": "an int", "float": "a float", "bool": "a bool", "object": "a dict"}


def _started(function: str) -> _Avo:
    if _current is None:
        raise AvoNotInitializedError(
            f"{function}() was called before init_avo(); call init_avo(...) once when the program starts"
        )
    return _current


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return text if value is None else f"{type(value).__name__} {text}"


def _is_type(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _label(where: str, prop: _Property) -> str:
    return f'{where} ("{prop.name}")' if prop.name else where


def _check(
    where: str,
    value: Any,
    prop: _Property,
    *,
    required: bool = False,
    allowed: tuple[str, ...] | None = None,
) -> list[str]:
    """The problems with one argument. None means "not passed"."""
    if value is None:
        return [f"{_label(where, prop)} is required, got None"] if required else []
    if not prop.is_list:
        return _check_value(where, value, prop, allowed)
    if not isinstance(value, (list, tuple)):
        return [f"{_label(where, prop)} must be a list, got {_describe(value)}"]
    problems = []
    for index, item in enumerate(value):
        problems += _check_value(f"{where}[{index}]", item, prop, allowed)
    return problems


def _check_value(where: str, value: Any, prop: _Property, allowed: tuple[str, ...] | None) -> list[str]:
    label = _label(where, prop)
    if not _is_type(prop.type, value):
        return [f"{label} must be {_TYPE_NAMES[prop.type]}, got {_describe(value)}"]
    problems = []
    allowed = prop.allowed if allowed is None else allowed
    if allowed is not None and value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        problems.append(f"{label} must be one of {choices}, got {_plain(value)!r}")
    if prop.min is not None and not value >= prop.min:
        problems.append(f"{label} must be >= {prop.min!r}, got {value!r}")
    if prop.max is not None and not value <= prop.max:
        problems.append(f"{label} must be <= {prop.max!r}, got {value!r}")
    if prop.regex is not None and _re.search(prop.regex, value) is None:
        problems.append(f"{label} must match the regex {prop.regex!r}, got {value!r}")
    for member in prop.members:
        if member in _PROPERTIES:
            problems += _check(f"{where}[{member!r}]", value.get(member), _PROPERTIES[member])
    return problems


def _check_identity(user_id: str | None, anonymous_id: str | None) -> list[str]:
    if user_id is None and anonymous_id is None:
        return ["pass user_id_ or anonymous_id_ (or both): a server event must be tied to a user"]
    return []


def _report(avo: _Avo, function: str, problems: list[str]) -> None:
    messages = [f"{function}: {problem}" for problem in problems]
    if messages and avo.strict:
        raise AvoValidationError(messages)
    for message in messages:
        _log.warning("%s", message)


def _plain(value: Any) -> Any:
    """Enum members become their values, in lists and dicts too."""
    if isinstance(value, _enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _send(
    avo: _Avo,
    *,
    event_name: str,
    actions: tuple[str, ...],
    user_id: str | None,
    anonymous_id: str | None,
    event_properties: dict[str, Any],
    user_properties: dict[str, Any] | None,
    revenue: Any = None,
) -> None:
    """Call each destination in init_avo()'s order; on each, the calls the actions ask for,
    in this order: identify, set_user_properties, log_page, revenue, track_event, unidentify.
    """
    event_properties = {**_plain(event_properties), **avo.system_properties}
    if user_properties is not None:
        user_properties = _plain(user_properties)
    for destination in avo.destinations:
        if "identify" in actions and user_id is not None:
            destination.identify(user_id)
        if user_properties is not None:
            destination.set_user_properties(user_id, dict(user_properties))
        if "page" in actions:
            destination.log_page(user_id, event_name, dict(event_properties))
        if "revenue" in actions:
            destination.revenue(user_id, revenue, dict(event_properties))
        if "log_event" in actions:
            destination.track_event(user_id, event_name, dict(event_properties), anonymous_id)
        if "unidentify" in actions:
            destination.unidentify()


def _read_options(options: AvoOptions) -> tuple[str, bool, bool, dict[str, str]]:
    if not isinstance(options, dict):
        raise TypeError(f"init_avo: options must be a dict like {{'env': 'dev'}}, got {_describe(options)}")
    unknown = [key for key in options if key not in _OPTIONS]
    if unknown:
        raise ValueError(
            f"init_avo: unknown option(s) {', '.join(map(repr, unknown))}; the options are {', '.join(_OPTIONS)}"
        )
    env = options.get("env")
    if env not in _ENVS:
        raise ValueError(f"init_avo: options['env'] must be 'dev', 'staging' or 'prod', got {env!r}")
    strict = options.get("strict", True)
    noop = options.get("noop", False)
    api_keys = options.get("api_keys", {})
    for key, value in (("strict", strict), ("noop", noop)):
        if not isinstance(value, bool):
            raise TypeError(f"init_avo: options[{key!r}] must be a bool, got {_describe(value)}")
    if not isinstance(api_keys, dict):
        raise TypeError(f"init_avo: options['api_keys'] must be a dict, got {_describe(api_keys)}")
    return env, strict, noop, api_keys


def _check_system_properties(values: dict[str, Any]) -> list[str]:
    expected = ", ".join(_SYSTEM_PROPERTIES) or "none"
    problems = [
        f"unknown system property {key!r}; this source's system properties are: {expected}"
        for key in values
        if key not in _SYSTEM_PROPERTIES
    ]
    for key, name in _SYSTEM_PROPERTIES.items():
        problems += _check(f"system_properties[{key!r}]", values.get(key), _PROPERTIES[name], required=True)
    return problems
'''

INIT_BODY = '''\
    global _current
    env, strict, noop, api_keys = _read_options(options)
    if system_properties is None:
        system_properties = {}
    if not isinstance(system_properties, dict):
        raise TypeError(f"init_avo: system_properties must be a dict, got {_describe(system_properties)}")
    if len(destinations) != len(_DESTINATIONS):
        raise TypeError(
            f"init_avo() takes {len(_DESTINATIONS)} destination(s) after system_properties, in this order: "
            f"{', '.join(_DESTINATIONS) or 'none'}; got {len(destinations)}"
        )
    system = {
        name: _plain(system_properties[key])
        for key, name in _SYSTEM_PROPERTIES.items()
        if system_properties.get(key) is not None
    }
    avo = _Avo(env, strict, noop, system, tuple(destinations))
    if avo.validate:
        _report(avo, "init_avo", _check_system_properties(system_properties))
    if not noop:
        for name, destination in zip(_DESTINATIONS, destinations):
            destination.make(env, api_keys.get(name))
    _current = avo
'''


def generate_python(plan: Plan, api: SourceApi) -> str:
    enums = _enum_names(plan, api)
    events = _Events(api.source, enums, bool(plan.system_properties()))
    blocks = [
        IMPORTS,
        _all(api, enums),
        RUNTIME,
        *(_enum_class(plan.properties[name], enum) for name, enum in enums.items()),
        _tables(plan, api),
        _init_avo(plan, api),
        *(_event_function(fn, events) for fn in api.functions),
    ]
    body = "\n\n".join(block.rstrip("\n") + "\n" for block in blocks)
    module = PurePosixPath(api.source.path).stem
    footer = footer_lines(module, [fn.name for fn in api.functions], "#")
    return header_lines(plan, "#") + _module_docstring(plan, api) + "\n" + body + "\n\n" + footer


# -- text that comes from the plan -------------------------------------------------------


def _str(value: str) -> str:
    """A Python string literal for any text: repr() escapes what needs escaping."""
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        return '"' + text[1:-1] + '"'  # the house style, when nothing inside needs it
    return text


def _literal(value: Any) -> str:
    """A Python literal for a plan value (a pinned value, a bound)."""
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return _str(str(value))


def _quoted(name: str) -> str:
    """A plan name as docstrings show it: in double quotes, escaped like JSON."""
    if type(name) is str and name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
        return f'"{name}"'  # what json.dumps gives: it escapes only controls, quotes and backslashes
    return json.dumps(name, ensure_ascii=False)


# A backslash, and the characters of Unicode categories Cc, Cs, Zl and Zp (controls,
# surrogates, line and paragraph separators) but newline and tab: escaped in docstrings.
_UNSAFE_IN_DOCS = re.compile("[\\\\\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")


def _escape_doc_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == "\\":
        return "\\\\"
    return f"\\\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\\\u{ord(ch):04x}"


_CLOSING_QUOTE = re.compile(r'"(?="|\Z)')


def _doc_text(text: str) -> str:
    """Text made safe inside a triple-quoted (non-raw) string literal."""
    text = _UNSAFE_IN_DOCS.sub(_escape_doc_char, text.replace("\r\n", "\n").replace("\r", "\n"))
    # No two quotes in a row and none at the very end: `"""` can never close early.
    return _CLOSING_QUOTE.sub(r'\\"', text)


def _docstring(text: str, indent: str) -> str:
    lines = _doc_text(text.strip()).split("\n")
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""\n'
    body = "\n".join(_indented(lines[1:], indent))
    return f'{indent}"""{lines[0].rstrip()}\n{body}\n{indent}"""\n'


def _indented(lines: list[str], indent: str) -> list[str]:
    """Lines of a docstring but its first (already safe), as the docstring shows them."""
    return [(indent + line).rstrip() for line in lines]


# -- module-level names ------------------------------------------------------------------


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _enum_names(plan: Plan, api: SourceApi) -> dict[str, str]:
    """Property name -> enum class name, for the allowed-values properties this source uses."""
    used = {p.ref.name for fn in api.functions for p in fn.parameters if p.kind == PROPERTY and p.ref}
    used |= {p.name for p in plan.system_properties()}
    taken = set(RUNTIME_NAMES) | set(TYPING_NAMES) | {"init_avo"} | {fn.name for fn in api.functions}
    return {
        prop.name: _unique(python_class_name(prop.name), taken)
        for prop in plan.properties.values()
        if prop.name in used and prop.allowed
    }


def _member_names(values: tuple[str, ...]) -> list[str]:
    taken: set[str] = set()
    names = []
    for value in values:
        base = python_constant_name(str(value))
        names.append(_unique("VALUE" if base == "_" else base, taken))
    return names


def _system_keys(plan: Plan) -> dict[str, str]:
    """snake_case key -> plan name of each system property (the first one wins a clash)."""
    keys: dict[str, str] = {}
    for prop in plan.system_properties():
        keys.setdefault(snake_case(prop.name), prop.name)
    return keys


def _all(api: SourceApi, enums: dict[str, str]) -> str:
    names = ["init_avo", *RUNTIME_NAMES, *enums.values(), *(fn.name for fn in api.functions)]
    return "__all__ = [\n" + "".join(f"    {_str(name)},\n" for name in names) + "]\n"


# -- the module docstring ----------------------------------------------------------------


def _module_docstring(plan: Plan, api: SourceApi) -> str:
    source = api.source
    destinations = ", ".join(_quoted(d) for d in plan.destinations_of(source)) or "none"
    system = ", ".join(f'"{key}" ({_quoted(name)})' for key, name in _system_keys(plan).items())
    example_system = "{" + ", ".join(f'"{key}": ...' for key in _system_keys(plan)) + "}"
    example_destinations = "".join(f", {snake_case(d)}_destination" for d in plan.destinations_of(source))
    text = f"""\
Type-safe tracking for the {source.platform} source {_quoted(source.name)}, generated from the tracking plan.

Call init_avo() once when the program starts, then one function per event:

    avo.init_avo({{"env": "dev"}}, {example_system}{example_destinations})
    avo.{api.functions[0].name if api.functions else "some_event"}(...)

init_avo(options, system_properties, *destinations):
    options: {{"env": "dev" | "staging" | "prod", "strict": bool (default True),
        "noop": bool (default False), "api_keys": {{destination name: key}}}}.
    system_properties: {system or "none here: pass {}"}; sent with every event.
    destinations: one AvoDestination per destination, in this order: {destinations}.
        init_avo() calls make(env, api_key) on each.

Event functions take keyword arguments only. Optional ones default to None and are left
out of what is sent when None. Calling one before init_avo() raises
AvoNotInitializedError.

Outside "prod", every call checks its arguments against the plan (types, allowed values,
min/max, regex, identity). With strict (the default) a problem raises AvoValidationError
listing every problem; otherwise each problem is logged as a warning on the "avo" logger
and the event is still sent. In "prod" nothing is checked. With noop, nothing is sent
(arguments are still checked).

For each destination in turn (in init_avo()'s order), an event makes the calls its
actions ask for, in this order:
    {", ".join(CALL_ORDER)}.
identify is called only with a user id; set_user_properties whenever the event has user
properties or the update_user_properties action. Enum members are sent as their values.
"""
    return _docstring(text, "")


# -- enums and tables ----------------------------------------------------------------


def _enum_class(prop: Property, name: str) -> str:
    doc = _docstring(f"The allowed values of {_quoted(prop.name)}.", "    ")
    members = "".join(
        f"    {member} = {_literal(value)}\n"
        for member, value in zip(_member_names(prop.allowed or ()), prop.allowed or ())
    )
    return f"class {name}(str, _enum.Enum):\n{doc}\n{members}"


def _used_properties(plan: Plan, api: SourceApi) -> list[Property]:
    """Properties the checks read: parameters, system properties and their members."""
    pending = [p.ref.name for fn in api.functions for p in fn.parameters if p.kind == PROPERTY and p.ref]
    pending += [p.name for p in plan.system_properties()]
    used: set[str] = set()
    while pending:
        name = pending.pop()
        if name in used or name not in plan.properties:
            continue
        used.add(name)
        pending.extend(plan.properties[name].members)
    return [p for p in plan.properties.values() if p.name in used]


def _property_entry(prop: Property) -> str:
    args = [_str(prop.name), _str(prop.type)]
    if prop.is_list:
        args.append("is_list=True")
    if prop.allowed is not None:
        args.append(f"allowed={_tuple(prop.allowed)}")
    if prop.min is not None:
        args.append(f"min={_literal(prop.min)}")
    if prop.max is not None:
        args.append(f"max={_literal(prop.max)}")
    if prop.regex is not None:
        args.append(f"regex={_str(prop.regex)}")
    if prop.members:
        args.append(f"members={_tuple(prop.members)}")
    return f"    {_str(prop.name)}: _Property({', '.join(args)}),\n"


def _tuple(values: tuple[Any, ...]) -> str:
    items = ", ".join(_literal(v) for v in values)
    return f"({items},)" if len(values) == 1 else f"({items})"


def _tables(plan: Plan, api: SourceApi) -> str:
    destinations = _tuple(plan.destinations_of(api.source))
    system = "".join(f"    {_str(key)}: {_str(name)},\n" for key, name in _system_keys(plan).items())
    properties = "".join(_property_entry(p) for p in _used_properties(plan, api))
    return (
        "# The plan, as the checks read it.\n"
        f"_DESTINATIONS = {destinations}\n"
        f"_SYSTEM_PROPERTIES = {{\n{system}}}\n"
        f"_PROPERTIES = {{\n{properties}}}\n"
    )


def _init_avo(plan: Plan, api: SourceApi) -> str:
    destinations = ", ".join(_quoted(d) for d in plan.destinations_of(api.source)) or "none"
    lines = []
    for key, name in _system_keys(plan).items():
        lines.append(f"        {key} ({_doc_type(plan.properties[name])}): {_quoted(name)}.")
    system = "\n".join(lines) or "        none: pass {}."
    doc = f"""\
Set up tracking: call once, before any event function.

Args:
    options: {{"env": "dev" | "staging" | "prod", "strict": bool, "noop": bool,
        "api_keys": dict}}; see the module's docstring.
    system_properties: sent with every event, keyed by these names:
{system}
    destinations: one AvoDestination each, in this order: {destinations}.

Raises:
    ValueError, TypeError: bad options, or the wrong number of destinations.
    AvoValidationError: outside "prod" with strict, when a system property is
        missing or breaks the plan.
"""
    return (
        "def init_avo(\n"
        "    options: AvoOptions,\n"
        "    system_properties: dict[str, Any],\n"
        "    *destinations: AvoDestination,\n"
        ") -> None:\n" + _docstring(doc, "    ") + INIT_BODY
    )


# -- event functions -----------------------------------------------------------------


class _ParamCode(NamedTuple):
    """The code of one parameter of an event function."""

    signature: str  # its line in the function's signature
    doc: str  # its entry under "Args:" in the docstring, safe and indented (see `_param_entry`)
    check: str  # its `_check(...)` call
    key: str  # the literal of its property's name (a key of the dict sent), or ""


@dataclass
class _Events:
    """What the event functions of one module share, for one generate_python() call."""

    source: Source
    enums: dict[str, str]
    system: bool  # the plan has system properties
    # The same few hundred properties recur as the parameters of thousands of events:
    # each distinct parameter's code is made once (see `_param_code`), for this module only.
    params: dict[tuple, _ParamCode] = field(default_factory=dict)
    # What follows "Args:" in a docstring (pinned values, identity, raises) takes only a
    # few distinct values: text -> its lines in the docstring, made once.
    doc_tails: dict[str, str] = field(default_factory=dict)


def _param_code(param: Parameter, events: _Events) -> _ParamCode:
    """The code of `param`, from `events.params` when an earlier event made it. The key is
    what that code depends on (the plan, which holds every property while the module is
    generated, makes `id(ref.property)` safe)."""
    ref = param.ref
    key = (param.name, param.kind, param.required) + ((id(ref.property), ref.allowed) if ref else ())
    code = events.params.get(key)
    if code is None:
        code = events.params[key] = _ParamCode(
            _signature_line(param, events.enums),
            _param_entry(param, events.enums),
            _check(param),
            _str(ref.name) if ref else "",
        )
    return code


def _annotation(param: Parameter, enums: dict[str, str]) -> str:
    if param.kind == REVENUE:
        return "float"
    if param.is_identity:
        return "str"
    prop = param.prop
    assert prop is not None
    text = ANNOTATIONS[prop.type]
    allowed = param.allowed
    if allowed is not None and prop.type == "string":
        text = _allowed_annotation(prop, allowed, enums.get(prop.name))
    return f"list[{text}]" if prop.is_list else text


def _allowed_annotation(prop: Property, allowed: tuple[str, ...], enum: str | None) -> str:
    strings = ", ".join(_literal(v) for v in allowed)
    if enum is None:
        return f"Literal[{strings}]"
    if tuple(allowed) == tuple(prop.allowed or ()):
        return f"{enum} | Literal[{strings}]"
    members = dict(zip(prop.allowed or (), _member_names(prop.allowed or ())))
    return f"Literal[{', '.join(f'{enum}.{members[v]}' for v in allowed if v in members)}, {strings}]"


def _signature(fn: EventFunction, params: list[_ParamCode]) -> str:
    if not fn.parameters:
        return f"def {fn.name}() -> None:\n"
    lines = "".join([param.signature for param in params])
    return f"def {fn.name}(\n    *,\n{lines}) -> None:\n"


def _signature_line(param: Parameter, enums: dict[str, str]) -> str:
    annotation = _annotation(param, enums)
    if param.required:
        return f"    {param.name}: {annotation},\n"
    return f"    {param.name}: {annotation} | None = None,\n"


def _doc_type(prop: Property) -> str:
    kind = DOC_TYPES[prop.type]
    return f"list[{kind}]" if prop.is_list else kind


def _constraints(prop: Property, allowed: tuple[str, ...] | None, enum: str | None) -> list[str]:
    found = []
    if allowed is not None:
        choices = ", ".join(_quoted(str(v)) for v in allowed)
        found.append(f"one of {choices}" + (f" (or a {enum} member)" if enum else ""))
    if prop.min is not None:
        found.append(f"at least {_literal(prop.min)}")
    if prop.max is not None:
        found.append(f"at most {_literal(prop.max)}")
    if prop.regex is not None:
        found.append(f"matching the regex {_quoted(prop.regex)}")
    if prop.members:
        found.append("with the keys " + ", ".join(_quoted(m) for m in prop.members))
    if prop.send_as == "user":
        found.append("a user property")
    return found


IDENTITY_DOCS = {
    USER_ID: "the id of the user",
    ANONYMOUS_ID: "the anonymous (device) id, when the user is not known",
    REVENUE: "the amount, passed to the destinations' revenue()",
}


def _param_doc(param: Parameter, enums: dict[str, str]) -> str:
    need = "required" if param.required else "optional"
    prop = param.prop
    if prop is None:
        kind = "float" if param.kind == REVENUE else "str"
        return f"    {param.name} ({kind}, {need}): {IDENTITY_DOCS[param.kind]}."
    details = ", ".join([_quoted(prop.name), *_constraints(prop, param.allowed, enums.get(prop.name))])
    text = f"    {param.name} ({_doc_type(prop)}, {need}): {details}."
    if prop.description.strip():
        text += "\n" + "\n".join("        " + line for line in prop.description.strip().splitlines())
    return text


def _param_entry(param: Parameter, enums: dict[str, str]) -> str:
    """`_param_doc` as `_docstring` shows it among an event function's "Args:". In the
    docstring a line break follows the entry, hence the one made safe with it."""
    return "\n".join(_indented(_doc_text(_param_doc(param, enums) + "\n").split("\n")[:-1], "    "))


def _identity_doc(fn: EventFunction, source: Source) -> str:
    if source.is_server and source.anonymous_id:
        return "Identity: pass user_id_, anonymous_id_ or both; a call with neither is an error."
    if source.is_server:
        return "Identity: user_id_ is required (this source sends no anonymous ids)."
    if any(p.kind == USER_ID for p in fn.parameters):
        return "Identity: user_id_ is required; the user is identified as user_id_ first."
    return "Identity: none needed; the destinations' SDKs keep the user's identity."


def _calls(fn: EventFunction, user_refs: list[PropertyRef] | None) -> list[str]:
    """The destination calls of an event, in CALL_ORDER (`user_refs`: see `_user_refs`)."""
    actions = fn.event.actions
    present = {
        "identify": "identify" in actions,
        "set_user_properties": user_refs is not None,
        "log_page": "page" in actions,
        "revenue": "revenue" in actions,
        "track_event": "log_event" in actions,
        "unidentify": "unidentify" in actions,
    }
    return [call for call in CALL_ORDER if present[call]]


def _function_doc(fn: EventFunction, events: _Events, user_refs: list[PropertyRef] | None) -> tuple[str, str]:
    """The paragraphs of an event function's docstring that come before its "Args:" and
    those after."""
    event = fn.event
    before = [event.description.strip() or f"Tracks the event {_quoted(event.name)}."]
    calls = ", ".join([f"{call}()" for call in _calls(fn, user_refs)]) or "nothing"
    before.append(f"Event {_quoted(event.name)}. On each destination in turn, calls: {calls}.")
    after = []
    sent = [f"{_quoted(r.name)}: {_literal(r.pinned)} (pinned)" for r in fn.pinned]
    if events.system:
        sent.append("the system properties given to init_avo()")
    if sent:
        after.append("Always sends " + "; ".join(sent) + ".")
    after.append(_identity_doc(fn, events.source))
    if fn.parameters:
        after.append('Raises:\n    AvoValidationError: outside "prod" with strict, when an argument breaks the plan.')
    return "\n\n".join(before), "\n\n".join(after)


def _function_docstring(
    fn: EventFunction, events: _Events, params: list[_ParamCode], user_refs: list[PropertyRef] | None
) -> str:
    """The docstring `_docstring` makes of `before`, "Args:" and its entries, and `after`,
    built from parts: each entry comes made safe and indented (`_ParamCode.doc`), and so
    does a text after them seen before (`events.doc_tails`). The lines are the same:
    `_doc_text` never looks across a line break but for a quote at the very end, every part
    is whole lines, `before` and `after` end in a period, and `strip()` has nothing to do."""
    before, after = _function_doc(fn, events, user_refs)
    if not params:
        return _docstring(f"{before}\n\n{after}", "    ")
    head = _doc_text(before).split("\n")
    tail = events.doc_tails.get(after)
    if tail is None:
        tail = events.doc_tails[after] = "\n".join(_indented(_doc_text(after).split("\n"), "    "))
    body = "\n".join([*_indented(head[1:], "    "), "", "    Args:", *[param.doc for param in params], "", tail])
    return f'    """{head[0].rstrip()}\n{body}\n    """\n'


def _checks(fn: EventFunction, params: list[_ParamCode]) -> list[str]:
    checks = [param.check for param in params]
    names = {p.kind: p.name for p in fn.parameters}
    if ANONYMOUS_ID in names:  # a server source with anonymous ids: at least one of the two
        checks.append(f"_check_identity({names[USER_ID]}, {names[ANONYMOUS_ID]})")
    return checks


def _check(param: Parameter) -> str:
    required = ", required=True" if param.required else ""
    if param.kind == PROPERTY:
        assert param.ref is not None
        allowed = ""
        if param.ref.allowed is not None and param.ref.allowed != param.ref.property.allowed:
            allowed = f", allowed={_tuple(param.ref.allowed)}"
        prop = f"_PROPERTIES[{_str(param.ref.name)}]"
        return f"_check({_str(param.name)}, {param.name}, {prop}{required}{allowed})"
    spec = "_REVENUE" if param.kind == REVENUE else "_ID"
    return f"_check({_str(param.name)}, {param.name}, {spec}{required})"


def _user_refs(fn: EventFunction, sent: list[PropertyRef]) -> list[PropertyRef] | None:
    """The user properties an event sets, or None when it calls no set_user_properties()."""
    refs = [r for r in sent if r.property.send_as == "user"]
    if refs or "update_user_properties" in fn.event.actions:
        return refs
    return None


def _sent(fn: EventFunction, by_ref: dict[int, Any]) -> list[PropertyRef]:
    """The properties an event sends: the pinned ones, and those that became a parameter
    (not lost to a name clash). `by_ref`: keyed by the id of each parameter's ref."""
    return [ref for ref in fn.event.properties if ref.is_pinned or id(ref) in by_ref]


def _dict_code(var: str, refs: list[PropertyRef], by_ref: dict[int, tuple[Parameter, _ParamCode]]) -> list[str]:
    """Build `var`: required and pinned values in a literal, then the optional ones if given.
    `by_ref`: id of a ref -> the parameter made of it, and its code."""
    fixed, optional = [], []
    for ref in refs:
        if ref.is_pinned:
            fixed.append(f"        {_str(ref.name)}: {_literal(ref.pinned)},\n")
            continue
        param, code = by_ref[id(ref)]
        if param.required:
            fixed.append(f"        {code.key}: {param.name},\n")
        else:
            optional.append((param, code))
    literal = "{\n" + "".join(fixed) + "    }" if fixed else "{}"
    lines = [f"    {var}: dict[str, Any] = {literal}\n"]
    for param, code in optional:
        lines.append(f"    if {param.name} is not None:\n        {var}[{code.key}] = {param.name}\n")
    return lines


def _event_function(fn: EventFunction, events: _Events) -> str:
    params = [_param_code(param, events) for param in fn.parameters]
    by_ref = {id(p.ref): (p, c) for p, c in zip(fn.parameters, params) if p.ref is not None}
    sent = _sent(fn, by_ref)
    user_refs = _user_refs(fn, sent)
    code = [_signature(fn, params), _function_docstring(fn, events, params, user_refs)]
    name = _str(fn.name)
    code.append(f"    _avo = _started({name})\n")
    checks = _checks(fn, params)
    if checks:
        code.append("    if _avo.validate:\n        _problems = [\n")
        code.extend([f"            *{check},\n" for check in checks])
        code.append(f"        ]\n        _report(_avo, {name}, _problems)\n")
    code.append("    if _avo.noop:\n        return\n")
    event_refs = [r for r in sent if r.property.send_as == "event"]
    code.extend(_dict_code("_event_properties", event_refs, by_ref))
    if user_refs is not None:
        code.extend(_dict_code("_user_properties", user_refs, by_ref))
    names = {p.kind: p.name for p in fn.parameters}
    arguments = [
        f"event_name={_str(fn.event.name)}",
        f"actions={_tuple(fn.event.actions)}",
        f"user_id={names.get(USER_ID, 'None')}",
        f"anonymous_id={names.get(ANONYMOUS_ID, 'None')}",
        "event_properties=_event_properties",
        f"user_properties={'_user_properties' if user_refs is not None else 'None'}",
    ]
    if REVENUE in names:
        arguments.append(f"revenue={names[REVENUE]}")
    code.append("    _send(\n        _avo,\n" + "".join([f"        {a},\n" for a in arguments]) + "    )\n")
    return "".join(code)
