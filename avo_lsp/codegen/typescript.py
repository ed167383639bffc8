"""The TypeScript and JavaScript code generator: one module per source in either language.

The generated module has these parts, in this order:

1. the header, then the public types (TypeScript) or typedefs (JavaScript): `AvoEnv`,
   `AvoOptions`, `AvoDestination`, `AvoSystemProperties`;
2. one const object (and, in TypeScript, a union type) per property with allowed values,
   and an interface per object property with members;
3. a fixed runtime (`RUNTIME` below): the errors `AvoValidationError` and
   `AvoNotInitializedError`, and the private `__avo…` helpers that check a call against
   the plan and call the destinations;
4. `initAvo` and one function per event, each taking a single object of arguments and
   handing the runtime a literal description of the event (its parameters with their
   constraints, its actions, its pinned values);
5. the exports (a default export object holding every function), then Avo's footer.

The runtime is written once, as TypeScript whose annotations sit in Flow-style comments
(`/*: T */`, and `/*:: declaration */`): TypeScript output turns them into annotations,
JavaScript output drops them. So the code that runs is the same in both languages.

The behaviour matches the Python generator's: the same checks, the same destination
calls in the same order, `strict` on by default, events before `initAvo` an error.
Plan text reaches the code only through `_js_string` (string literals) and `_doc_line`
(comments); identifiers come from `avo_lsp.names`, and `_unique` keeps the names of
generated types apart.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ..api import ANONYMOUS_ID, PROPERTY, REVENUE, USER_ID, EventFunction, Parameter, SourceApi
from ..names import constant_case, identifier, pascal_case
from ..plan import Plan, Property
from . import footer_lines, header_lines

# Names the module defines itself, and the global types it refers to: a type made from a
# plan name never takes one of these.
RUNTIME_NAMES = (
    "AvoEnv",
    "AvoOptions",
    "AvoDestination",
    "AvoSystemProperties",
    "AvoServerIdentity",
    "AvoValidationError",
    "AvoNotInitializedError",
    "initAvo",
    "Record",
    "Readonly",
    "ReadonlyArray",
)

TS_TYPES = {"string": "string", "int": "number", "float": "number", "bool": "boolean", "any": "unknown",
            "object": "Record<string, unknown>"}
JSDOC_TYPES = {"string": "string", "int": "number", "float": "number", "bool": "boolean", "any": "*",
               "object": "Object"}

# The calls an event makes on each destination, in this order (as the Python code does).
CALLS = (
    ("identify", "identify"),
    ("update_user_properties", "setUserProperties"),
    ("page", "logPage"),
    ("revenue", "revenue"),
    ("log_event", "trackEvent"),
    ("unidentify", "unidentify"),
)


# -- text that comes from the plan ----------------------------------------------------


@functools.lru_cache(maxsize=1 << 15)  # plan names repeat across thousands of events
def _js_string(text: str) -> str:
    """A JavaScript string literal with exactly the characters of `text`."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
        return json.dumps(text)
    literal = json.dumps(text, ensure_ascii=False)
    return literal.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# Unicode categories Cc, Zl and Zp: controls and line/paragraph separators.
_BREAKS_IN_COMMENTS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@functools.lru_cache(maxsize=1 << 15)
def _doc_line(text: str) -> str:
    """One line of comment text: no line breaks, no control characters, no `*/`."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _BREAKS_IN_COMMENTS.sub(" ", text).replace("*/", "*\\/")


def _doc_lines(text: str) -> list[str]:
    """A description, however many lines it has, as comment lines."""
    return [_doc_line(line).rstrip() for line in text.strip().splitlines()]


def _quoted(name: str) -> str:
    """A plan name as comments show it: in double quotes, escaped like JSON."""
    return _doc_line(_js_string(name))


def _jsdoc(lines: list[str], indent: str = "") -> str:
    if len(lines) == 1 and len(indent) + len(lines[0]) <= 110:
        return f"{indent}/** {lines[0]} */\n"
    body = "".join([f"{indent} * {line}\n" if line else f"{indent} *\n" for line in lines])
    return f"{indent}/**\n{body}{indent} */\n"


class _Raw(str):
    """Code that `_literal` prints as it is."""


def _data(value: Any) -> _Raw:
    """A plan value (a pinned value) as a JavaScript literal; YAML dates become strings."""
    # Numbers, booleans and null (nearly every bound and pinned value) as json.dumps prints
    # them, without its machinery: it prints exact ints and finite floats by their __repr__.
    kind = type(value)
    if kind is int:
        return _Raw(int.__repr__(value))
    if kind is float and math.isfinite(value):
        return _Raw(float.__repr__(value))
    if kind is bool:
        return _Raw("true" if value else "false")
    if value is None:
        return _Raw("null")
    text = json.dumps(value, ensure_ascii=False, default=str)  # NaN, Infinity: JS globals
    return _Raw(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class _Shared(dict):
    """A description that recurs in many events (a parameter's, see `_param_text`): its
    text is printed once and kept here. It lives in one `_Module`, so it never goes stale."""

    __slots__ = ("inline", "layouts")

    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self.inline: str | None = None
        self.layouts: dict[tuple[str, int, int], str] = {}


def _inline(value: Any) -> str:
    kind = type(value)  # the common exact types first, then subclasses as before
    if kind is _Raw:
        return str(value)
    if kind is str:
        return _js_string(value)
    if kind is _Shared:
        if value.inline is None:
            value.inline = _inline_dict(value)
        return value.inline
    if kind is list:
        return "[" + ", ".join([_inline(item) for item in value]) + "]"
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, dict):
        return _inline_dict(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join([_inline(item) for item in value]) + "]"
    return _data(value)


def _inline_dict(value: dict) -> str:
    return "{" + ", ".join([f"{key}: {_inline(item)}" for key, item in value.items()]) + "}"


def _literal(value: Any, indent: str = "", start: int = 0, width: int = 120) -> str:
    """A description for the runtime as a JavaScript literal (its keys are ours, so bare):
    one line when it fits (from column `start`, or else the indent), and a list of objects
    always one object a line."""
    if type(value) is not _Shared:
        return _layout(value, indent, start, width)
    key = (indent, start, width)
    text = value.layouts.get(key)
    if text is None:
        text = value.layouts[key] = _layout(value, indent, start, width)
    return text


def _layout(value: Any, indent: str, start: int, width: int) -> str:
    if not isinstance(value, (dict, list)) or not value:
        return _inline(value)
    # A list of objects goes one object a line whatever its length: no need to print it
    # on one line first.
    one_per_line = isinstance(value, list) and any(isinstance(item, dict) for item in value)
    if not one_per_line:
        inline = _inline(value)
        if max(start, len(indent)) + len(inline) <= width:
            return inline
    inner = indent + "  "
    if isinstance(value, dict):
        items = [
            f"{inner}{key}: {_literal(item, inner, len(inner) + len(key) + 2, width)}" for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + f",\n{indent}}}"
    items = [f"{inner}{_literal(item, inner, width=width)}" for item in value]
    return "[\n" + ",\n".join(items) + f",\n{indent}]"


# -- module-level names ---------------------------------------------------------------


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


@dataclass(frozen=True)
class _ParamText:
    """What the module says of one parameter of an event function."""

    member: str  # its member of the arguments interface (TypeScript)
    doc: str  # its `@param` line in the function's JSDoc
    spec: _Shared  # what the runtime checks of it


@dataclass
class _Module:
    """What the generator knows about the module it writes."""

    plan: Plan
    api: SourceApi
    typescript: bool
    esm: bool  # ES module (TypeScript, client JavaScript) or CommonJS (server JavaScript)
    enums: dict[str, str] = field(default_factory=dict)  # property name -> const/type name
    objects: dict[str, str] = field(default_factory=dict)  # property name -> interface name
    argument_types: dict[str, str] = field(default_factory=dict)  # function -> its argument type
    destinations: list[tuple[str, str]] = field(default_factory=list)  # (destination, parameter)
    system: dict[str, Property] = field(default_factory=dict)  # key in systemProperties -> property
    used: list[Property] = field(default_factory=list)  # see _used_properties
    # The text of each distinct parameter (see `_param_text`), for this module only.
    param_texts: dict[tuple, _ParamText] = field(default_factory=dict)

    @property
    def export(self) -> str:
        return "export " if self.esm else ""

    @functools.cached_property  # asked of every parameter and event
    def either_id(self) -> bool:
        """A server source with anonymous ids: a call passes userId_, anonymousId_ or both."""
        return self.api.source.is_server and self.api.source.anonymous_id

    def members(self, prop: Property) -> list[Property]:
        return [self.plan.properties[m] for m in prop.members if m in self.plan.properties]


def _used_properties(plan: Plan, api: SourceApi) -> list[Property]:
    """Properties this source's code describes: parameters, system properties, members."""
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


def _module(plan: Plan, api: SourceApi) -> _Module:
    language = api.language
    mod = _Module(plan, api, language == "typescript", language == "typescript" or not api.source.is_server)
    taken = set(RUNTIME_NAMES) | {fn.name for fn in api.functions}
    mod.used = _used_properties(plan, api)
    for prop in mod.used:
        if prop.type == "string" and prop.allowed is not None:
            mod.enums[prop.name] = _unique(pascal_case(prop.name), taken)
        if prop.type == "object" and prop.members and mod.typescript:
            mod.objects[prop.name] = _unique(pascal_case(prop.name), taken)
    if mod.typescript:
        for fn in api.functions:
            mod.argument_types[fn.name] = _unique(pascal_case(fn.event.name + " Properties"), taken)
    params = {"options", "systemProperties"}
    for dest in plan.destinations_of(api.source):
        mod.destinations.append((dest, _unique(identifier(dest + " Destination", language), params)))
    for prop in plan.system_properties():  # a clash is a plan error; the first one wins
        mod.system.setdefault(identifier(prop.name, language), prop)
    return mod


# -- types and descriptions of properties ----------------------------------------------


def _union(values: tuple[str, ...]) -> str:
    return " | ".join(_js_string(v) for v in values) if values else "never"


def _ts_type(mod: _Module, prop: Property, allowed: tuple[str, ...] | None) -> str:
    if prop.type == "string" and allowed is not None:
        same = tuple(allowed) == tuple(prop.allowed or ()) and prop.name in mod.enums
        base = mod.enums[prop.name] if same else _union(allowed)
    else:
        base = mod.objects.get(prop.name) or TS_TYPES.get(prop.type, "unknown")
    if not prop.is_list:
        return base
    return f"readonly ({base})[]" if " " in base else f"readonly {base}[]"


def _jsdoc_type(prop: Property, allowed: tuple[str, ...] | None) -> str:
    base = _union(allowed) if prop.type == "string" and allowed is not None else JSDOC_TYPES.get(prop.type, "*")
    if " " in base:
        base = f"({base})"
    return f"Array<{base}>" if prop.is_list else base


def _param_type(mod: _Module, param: Parameter, jsdoc: bool = False) -> str:
    if param.prop is None:
        return "number" if param.kind == REVENUE else "string"
    if jsdoc:
        return _jsdoc_type(param.prop, param.allowed)
    return _ts_type(mod, param.prop, param.allowed)


def _describe(prop: Property, allowed: tuple[str, ...] | None, need: str) -> str:
    """`"Total" (float, required, >= 0): Order total.`, for comments."""
    parts = [f"list of {prop.type}" if prop.is_list else prop.type, need]
    if allowed is not None:
        parts.append("one of " + ", ".join(_js_string(v) for v in allowed))
    if prop.min is not None:
        parts.append(f">= {_data(prop.min)}")
    if prop.max is not None:
        parts.append(f"<= {_data(prop.max)}")
    if prop.regex is not None:
        parts.append(f"matching the regex {_js_string(prop.regex)}")
    if prop.members:
        parts.append("with the keys " + ", ".join(_js_string(m) for m in prop.members))
    if prop.send_as == "user":
        parts.append("a user property")
    text = f"{_js_string(prop.name)} ({', '.join(parts)})"
    description = " ".join(prop.description.split())
    return _doc_line(f"{text}: {description}" if description else text)


def _describe_param(mod: _Module, param: Parameter) -> str:
    need = "required" if param.required else "optional"
    if param.prop is not None:
        return _describe(param.prop, param.allowed, need)
    either = "pass userId_, anonymousId_ or both"
    if param.kind == USER_ID:
        return f"The id of the user (string, {either if mod.either_id else need})."
    if param.kind == ANONYMOUS_ID:
        return f"The anonymous (device) id, when the user is not known (string, {either})."
    return "The amount, passed to the destinations' revenue() (number, required)."


def _property_spec(mod: _Module, prop: Property, allowed: tuple[str, ...] | None, stack: tuple[str, ...] = ()) -> dict:
    """What the runtime checks of a property's value."""
    spec: dict[str, Any] = {"name": prop.name, "type": prop.type}
    if prop.is_list:
        spec["list"] = True
    if allowed is not None:
        spec["allowed"] = list(allowed)
    if prop.min is not None:
        spec["min"] = _data(prop.min)
    if prop.max is not None:
        spec["max"] = _data(prop.max)
    if prop.regex is not None:
        spec["regex"] = prop.regex
    if prop.members and prop.name not in stack:  # objects that contain themselves: one level
        spec["members"] = [_property_spec(mod, m, m.allowed, stack + (prop.name,)) for m in mod.members(prop)]
    return spec


# -- the parts of the module ----------------------------------------------------------

TS_TYPES_BLOCK = """\
/** Where the code runs: outside "prod", every call is checked against the tracking plan. */
export type AvoEnv = "dev" | "staging" | "prod";
export const AvoEnv = { Dev: "dev", Staging: "staging", Prod: "prod" } as const;

/** The options of `initAvo`. */
export interface AvoOptions {
  env: AvoEnv;
  /** Outside "prod": throw an AvoValidationError on a call that breaks the plan (default true), or only warn. */
  strict?: boolean;
  /** Call no destination at all (calls are still checked). Default false. */
  noop?: boolean;
  /** Destination name in the plan -> the key passed to its make(). */
  apiKeys?: Readonly<Record<string, string>>;
}

/** What `initAvo` expects of each destination: a wrapper around an analytics SDK. */
export interface AvoDestination {
  make(env: AvoEnv, apiKey: string | null): void;
  trackEvent(
    userId: string | null,
    eventName: string,
    eventProperties: Record<string, unknown>,
    anonymousId?: string | null,
  ): void;
  setUserProperties(userId: string | null, userProperties: Record<string, unknown>): void;
  identify(userId: string): void;
  unidentify(): void;
  logPage(userId: string | null, pageName: string, eventProperties: Record<string, unknown>): void;
  revenue(userId: string | null, amount: number, eventProperties: Record<string, unknown>): void;
}
"""

TS_IDENTITY_BLOCK = """\
/** A server event must be tied to a user: pass `userId_`, `anonymousId_` or both. */
export type AvoServerIdentity =
  | { userId_: string; anonymousId_?: string | null }
  | { userId_?: string | null; anonymousId_: string };
"""

JS_TYPES_BLOCK = """\
/**
 * Where the code runs: outside "prod", every call is checked against the tracking plan.
 * @enum {string}
 */
%export%const AvoEnv = Object.freeze({ Dev: "dev", Staging: "staging", Prod: "prod" });

/**
 * The options of `initAvo`.
 * @typedef {Object} AvoOptions
 * @property {"dev" | "staging" | "prod"} env
 * @property {boolean} [strict] - outside "prod": throw an AvoValidationError on a call that breaks the plan (default true), or only warn
 * @property {boolean} [noop] - call no destination at all (calls are still checked); default false
 * @property {Object<string, string>} [apiKeys] - destination name in the plan -> the key passed to its make()
 */

/**
 * What `initAvo` expects of each destination: a wrapper around an analytics SDK.
 * @typedef {Object} AvoDestination
 * @property {function(string, ?string): void} make - (env, apiKey)
 * @property {function(?string, string, Object, ?string=): void} trackEvent - (userId, eventName, eventProperties, anonymousId)
 * @property {function(?string, Object): void} setUserProperties - (userId, userProperties)
 * @property {function(string): void} identify - (userId)
 * @property {function(): void} unidentify
 * @property {function(?string, string, Object): void} logPage - (userId, pageName, eventProperties)
 * @property {function(?string, number, Object): void} revenue - (userId, amount, eventProperties)
 */
"""

# Shared by both languages: `/*: T */` is a TypeScript annotation, `/*:: … */` a
# TypeScript-only declaration, `%export%` is `export ` in an ES module.
RUNTIME = """\
/** A call broke the tracking plan (thrown outside "prod" when `strict` is on): `problems` lists every problem. */
%export%class AvoValidationError extends Error {
  /*:: readonly problems: string[]; */
  constructor(problems /*: string[] */) {
    super(problems.join("\\n"));
    this.name = "AvoValidationError";
    this.problems = problems;
  }
}

/** An event function was called before `initAvo`. */
%export%class AvoNotInitializedError extends Error {
  constructor(message /*: string */) {
    super(message);
    this.name = "AvoNotInitializedError";
  }
}

/*::
interface __AvoState {
  env: AvoEnv;
  strict: boolean;
  noop: boolean;
  systemProperties: Record<string, unknown>;
  destinations: AvoDestination[];
}
*/

const __avoOptions = ["env", "strict", "noop", "apiKeys"];
const __avoMethods = ["make", "trackEvent", "setUserProperties", "identify", "unidentify", "logPage", "revenue"];

const __avoTypeNames /*: Record<string, string> */ = {
  string: "a string",
  int: "an integer",
  float: "a number",
  bool: "a boolean",
  object: "an object",
};

function __avoOwn(object /*: any */, key /*: string */) /*: any */ {
  if (object === null || typeof object !== "object") return undefined;
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

function __avoOwnOrInherited(object /*: any */, key /*: string */) /*: any */ {
  return object !== null && (typeof object === "object" || typeof object === "function") ? object[key] : undefined;
}

function __avoSet(object /*: Record<string, unknown> */, key /*: string */, value /*: unknown */) /*: void */ {
  // Not `object[key] = value`: a property may be called "__proto__".
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function __avoShow(value /*: unknown */) /*: string */ {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    // a cycle or a BigInt: String() it is
  }
  return String(value);
}

function __avoHasType(type /*: string */, value /*: any */) /*: boolean */ {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "int":
      return Number.isInteger(value);
    case "float":
      return typeof value === "number" && Number.isFinite(value);
    case "bool":
      return typeof value === "boolean";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

function __avoMatches(pattern /*: string */, value /*: string */) /*: boolean */ {
  for (const flags of ["u", ""]) {
    try {
      return new RegExp(pattern, flags).test(value);
    } catch {
      // not a JavaScript pattern with these flags
    }
  }
  return true; // a pattern only Python understands is not checked here
}

function __avoLabel(spec /*: any */, where /*: string */) /*: string */ {
  return where + " (" + __avoShow(spec.name) + ")";
}

function __avoCheck(spec /*: any */, value /*: any */, where /*: string */, required /*: boolean */) /*: string[] */ {
  if (value === undefined || value === null) {
    return required ? [(spec.name === undefined ? where : __avoLabel(spec, where)) + " is required"] : [];
  }
  if (!spec.list) return __avoCheckItem(spec, value, where);
  if (!Array.isArray(value)) return [__avoLabel(spec, where) + " must be a list, got " + __avoShow(value)];
  const problems /*: string[] */ = [];
  value.forEach((item /*: unknown */, index /*: number */) => {
    problems.push(...__avoCheckItem(spec, item, where + "[" + index + "]"));
  });
  return problems;
}

function __avoCheckItem(spec /*: any */, value /*: any */, where /*: string */) /*: string[] */ {
  const label = spec.name === undefined ? where : __avoLabel(spec, where);
  const shown = __avoShow(value);
  if (!__avoHasType(spec.type, value)) return [label + " must be " + __avoTypeNames[spec.type] + ", got " + shown];
  const problems /*: string[] */ = [];
  if (spec.allowed !== undefined && spec.allowed.indexOf(value) < 0) {
    problems.push(label + " must be one of " + spec.allowed.map(__avoShow).join(", ") + ", got " + shown);
  }
  if (spec.min !== undefined && !(value >= spec.min)) problems.push(label + " must be >= " + spec.min + ", got " + shown);
  if (spec.max !== undefined && !(value <= spec.max)) problems.push(label + " must be <= " + spec.max + ", got " + shown);
  if (spec.regex !== undefined && !__avoMatches(spec.regex, value)) {
    problems.push(label + " must match the regex " + __avoShow(spec.regex) + ", got " + shown);
  }
  for (const member of spec.members || []) {
    const memberWhere = where + "[" + __avoShow(member.name) + "]";
    problems.push(...__avoCheck(member, __avoOwn(value, member.name), memberWhere, false));
  }
  return problems;
}

function __avoCheckArguments(args /*: any */, parameters /*: any[] */) /*: string[] */ {
  if (!__avoHasType("object", args)) return ["the argument must be an object, got " + __avoShow(args)];
  const problems /*: string[] */ = [];
  for (const key of Object.keys(args)) {
    const known = parameters.some((parameter /*: any */) => parameter.key === key);
    if (!known) problems.push("unknown argument " + __avoShow(key));
  }
  for (const parameter of parameters) {
    problems.push(...__avoCheck(parameter, __avoOwn(args, parameter.key), parameter.key, parameter.required === true));
  }
  return problems;
}

function __avoReport(avo /*: __AvoState */, where /*: string */, problems /*: string[] */) /*: void */ {
  const messages = problems.map((problem /*: string */) => where + ": " + problem);
  if (messages.length > 0 && avo.strict) throw new AvoValidationError(messages);
  for (const message of messages) console.warn("[Avo] " + message);
}

// The values given, keyed by their names in the plan; absent ones are left out.
function __avoValues(args /*: any */, parameters /*: any[] */, sendAs /*: string */) /*: Record<string, unknown> */ {
  const values /*: Record<string, unknown> */ = {};
  for (const parameter of parameters) {
    const value = __avoOwn(args, parameter.key);
    if (parameter.sendAs === sendAs && value !== undefined && value !== null) __avoSet(values, parameter.name, value);
  }
  return values;
}

function __avoInit(
  options /*: any */,
  systemProperties /*: any */,
  parameters /*: any[] */,
  names /*: string[] */,
  destinations /*: any[] */,
  given /*: number */,
) /*: __AvoState */ {
  if (!__avoHasType("object", options)) {
    throw new TypeError('initAvo: options must be an object like {env: "dev"}, got ' + __avoShow(options));
  }
  const unknown = Object.keys(options).filter((key /*: string */) => __avoOptions.indexOf(key) < 0);
  if (unknown.length > 0) {
    const listed = unknown.map(__avoShow).join(", ");
    throw new Error("initAvo: unknown option(s) " + listed + "; the options are " + __avoOptions.join(", "));
  }
  const env = options.env;
  if (env !== "dev" && env !== "staging" && env !== "prod") {
    throw new Error('initAvo: env must be "dev", "staging" or "prod", got ' + __avoShow(env));
  }
  const strict = options.strict ?? true;
  const noop = options.noop ?? false;
  const apiKeys = options.apiKeys ?? {};
  if (typeof strict !== "boolean") throw new TypeError("initAvo: strict must be a boolean, got " + __avoShow(strict));
  if (typeof noop !== "boolean") throw new TypeError("initAvo: noop must be a boolean, got " + __avoShow(noop));
  if (!__avoHasType("object", apiKeys)) throw new TypeError("initAvo: apiKeys must be an object, got " + __avoShow(apiKeys));
  if (given !== names.length) {
    throw new TypeError(
      "initAvo takes " + names.length + " destination(s) after systemProperties, in this order: " +
        (names.map(__avoShow).join(", ") || "none") + "; got " + given,
    );
  }
  destinations.forEach((destination /*: any */, index /*: number */) => {
    const missing = __avoMethods.filter((method /*: string */) => {
      return typeof __avoOwnOrInherited(destination, method) !== "function";
    });
    if (missing.length > 0) {
      const name = __avoShow(names[index]) + " (argument " + (index + 3) + ")";
      throw new TypeError("initAvo: the destination " + name + " has no " + missing.join(", ") + " method(s)");
    }
  });
  const system = __avoValues(systemProperties, parameters, "system");
  const avo /*: __AvoState */ = { env, strict, noop, systemProperties: system, destinations };
  if (env !== "prod") __avoReport(avo, "initAvo", __avoCheckArguments(systemProperties, parameters));
  if (!noop) {
    destinations.forEach((destination /*: AvoDestination */, index /*: number */) => {
      destination.make(env, __avoOwn(apiKeys, names[index] /*:: as string */) ?? null);
    });
  }
  return avo;
}
"""

# The part of the runtime that only event functions use: left out when there are none,
# so that `noUnusedLocals` has nothing to say.
SEND_RUNTIME = """\
let __avo /*: __AvoState | null */ = null;

function __avoMerge(...parts /*: Record<string, unknown>[] */) /*: Record<string, unknown> */ {
  const merged /*: Record<string, unknown> */ = {};
  for (const part of parts) for (const key of Object.keys(part)) __avoSet(merged, key, part[key]);
  return merged;
}

function __avoPinned(event /*: any */, sendAs /*: string */) /*: Record<string, unknown> */ {
  const values /*: Record<string, unknown> */ = {};
  for (const pinned of event.pinned) if (pinned.sendAs === sendAs) __avoSet(values, pinned.name, pinned.value);
  return values;
}

function __avoSend(functionName /*: string */, args /*: any */, event /*: any */) /*: void */ {
  const avo = __avo;
  if (avo === null) {
    const hint = "call initAvo(...) once when the program starts";
    throw new AvoNotInitializedError(functionName + "() was called before initAvo(); " + hint);
  }
  if (avo.env !== "prod") {
    const problems = __avoCheckArguments(args, event.parameters);
    const ids /*: string[] | undefined */ = event.requireOneOf;
    if (ids !== undefined && ids.every((key /*: string */) => __avoOwn(args, key) == null)) {
      problems.push("pass " + ids.join(" or ") + " (or both): a server event must be tied to a user");
    }
    __avoReport(avo, functionName, problems);
  }
  if (avo.noop) return;
  const userId = __avoOwn(args, "userId_") ?? null;
  const anonymousId = __avoOwn(args, "anonymousId_") ?? null;
  const eventProperties = __avoMerge(
    __avoValues(args, event.parameters, "event"),
    __avoPinned(event, "event"),
    avo.systemProperties,
  );
  const userProperties = __avoMerge(__avoValues(args, event.parameters, "user"), __avoPinned(event, "user"));
  const calls /*: string[] */ = event.calls;
  for (const destination of avo.destinations) {
    if (calls.indexOf("identify") >= 0 && userId !== null) destination.identify(userId);
    if (calls.indexOf("setUserProperties") >= 0) destination.setUserProperties(userId, __avoMerge(userProperties));
    if (calls.indexOf("logPage") >= 0) destination.logPage(userId, event.name, __avoMerge(eventProperties));
    if (calls.indexOf("revenue") >= 0) destination.revenue(userId, __avoOwn(args, "revenue_"), __avoMerge(eventProperties));
    if (calls.indexOf("trackEvent") >= 0) destination.trackEvent(userId, event.name, __avoMerge(eventProperties), anonymousId);
    if (calls.indexOf("unidentify") >= 0) destination.unidentify();
  }
}
"""

_DECLARATION = re.compile(r"/\*::\s*(.*?)\s*\*/", re.S)
_DECLARATION_LINE = re.compile(r"^[ \t]*/\*::.*?\*/[ \t]*\n(?:[ \t]*\n)?", re.S | re.M)
_INLINE_DECLARATION = re.compile(r" /\*:: (.*?) \*/")
_ANNOTATION = re.compile(r" /\*: (.*?) \*/")


def _runtime(mod: _Module) -> str:
    text = RUNTIME + ("\n" + SEND_RUNTIME if mod.api.functions else "")
    text = text.replace("%export%", mod.export)
    if mod.typescript:
        text = _INLINE_DECLARATION.sub(r" \1", text)
        return _ANNOTATION.sub(r": \1", _DECLARATION.sub(r"\1", text))
    text = _INLINE_DECLARATION.sub("", _DECLARATION_LINE.sub("", text))
    return _ANNOTATION.sub("", text)


def _enum(mod: _Module, prop: Property) -> str:
    name = mod.enums[prop.name]
    taken: set[str] = set()
    values = prop.allowed or ()
    keys = [_unique("VALUE" if constant_case(v) == "_" else constant_case(v), taken) for v in values]
    body = "".join(f"  {key}: {_js_string(value)},\n" for key, value in zip(keys, values))
    doc = _jsdoc([f"The allowed values of {_quoted(prop.name)}.", *_doc_lines(prop.description)])
    if mod.typescript:
        return (
            f"{doc}export const {name} = {{\n{body}}} as const;\n"
            f"export type {name} = (typeof {name})[keyof typeof {name}];\n"
        )
    return f"{doc}{mod.export}const {name} = Object.freeze({{\n{body}}});\n"


def _member(line: str, key: str, type_: str) -> str:
    """A member of an interface, with its doc line; a key ending in `?` is optional."""
    return f"{_jsdoc([line], '  ')}  {key}: {type_};\n"


def _interface(name: str, doc: str, members: list[str], empty: str = "Record<string, never>") -> str:
    """`members`: from `_member`. `empty`: the type when there are no members (by default,
    one that takes only `{}`)."""
    if not members:
        return f"{doc}export type {name} = {empty};\n"
    return f"{doc}export interface {name} {{\n{''.join(members)}}}\n"


def _object_interface(mod: _Module, prop: Property) -> str:
    doc = _jsdoc([f"The value of {_quoted(prop.name)}: an object with these keys.", *_doc_lines(prop.description)])
    members = [
        _member(_describe(m, m.allowed, "optional"), f"{_js_string(m.name)}?", _member_type(mod, m))
        for m in mod.members(prop)
    ]
    return _interface(mod.objects[prop.name], doc, members)


# Every object seems to have these keys (Object.prototype's), so a member of that name
# could never be left out if it had a type: TypeScript gets `unknown` there, and the
# runtime checks it.
OBJECT_PROTOTYPE = frozenset(
    "constructor toString toLocaleString valueOf hasOwnProperty isPrototypeOf propertyIsEnumerable __proto__".split()
)


def _member_type(mod: _Module, member: Property) -> str:
    return "unknown" if member.name in OBJECT_PROTOTYPE else f"{_ts_type(mod, member, member.allowed)} | null"


def _system_interface(mod: _Module) -> str:
    doc = _jsdoc(["The system properties: given to `initAvo`, sent with every event."])
    members = [
        _member(_describe(p, p.allowed, "required"), key, _ts_type(mod, p, p.allowed)) for key, p in mod.system.items()
    ]
    return _interface("AvoSystemProperties", doc, members)


def _argument_interface(mod: _Module, fn: EventFunction, texts: list[_ParamText]) -> str:
    doc = _jsdoc([f"The arguments of `{fn.name}`, the event {_quoted(fn.event.name)}."])
    members = [
        text.member
        for param, text in zip(fn.parameters, texts)
        if not (mod.either_id and param.is_identity)  # those are in AvoServerIdentity
    ]
    # With AvoServerIdentity, `{}`-and-nothing-else would leave no room for the ids.
    empty = "Record<never, never>" if mod.either_id else "Record<string, never>"
    return _interface(mod.argument_types[fn.name], doc, members, empty)


def _signature(head: str, params: list[str], returns: str) -> str:
    one_line = f"{head}({', '.join(params)}){returns} {{"
    if len(one_line) <= 100:
        return one_line + "\n"
    return f"{head}(\n" + "".join(f"  {p},\n" for p in params) + f"){returns} {{\n"


def _system_jsdoc_type(mod: _Module) -> str:
    if not mod.system:
        return "Object"
    return _doc_line("{" + ", ".join(f"{key}: {_jsdoc_type(p, p.allowed)}" for key, p in mod.system.items()) + "}")


def _init_avo(mod: _Module) -> str:
    ts = mod.typescript
    destinations = ", ".join(_quoted(d) for d, _ in mod.destinations) or "none"
    system = [f"{key}: {_describe(p, p.allowed, 'required')}" for key, p in mod.system.items()]
    lines = [
        "Sets up tracking: call once, before any event function.",
        "",
        "@param " + ("" if ts else "{AvoOptions} ") + "options - env (\"dev\", \"staging\" or \"prod\"), strict (default true),"
        " noop (default false), apiKeys (destination name -> key).",
        "@param " + ("" if ts else f"{{{_system_jsdoc_type(mod)}}} ") + "systemProperties - sent with every event"
        + (", keyed by these names:" if system else ": none here, pass {}."),
        *(f"  {line}" for line in system),
    ]
    for dest, param in mod.destinations:
        lines.append("@param " + ("" if ts else "{AvoDestination} ") + f"{param} - the destination {_quoted(dest)}.")
    lines += [
        f"@throws {{TypeError}} bad options, or not one destination for each of: {destinations}.",
        "@throws {AvoValidationError} outside \"prod\" with strict, when a system property is missing or breaks the plan.",
    ]
    params = ["options", "systemProperties", *(p for _, p in mod.destinations)]
    if ts:
        types = ["AvoOptions", "AvoSystemProperties", *("AvoDestination" for _ in mod.destinations)]
        params = [f"{p}: {t}" for p, t in zip(params, types)]
    specs = [{"key": key, **_property_spec(mod, p, p.allowed), "sendAs": "system", "required": True} for key, p in mod.system.items()]
    names = _inline([d for d, _ in mod.destinations])
    passed = "[" + ", ".join(p for _, p in mod.destinations) + "]"
    init = f"__avoInit(options, systemProperties, {_literal(specs, '  ')}, {names}, {passed}, arguments.length - 2);"
    body = f"  __avo = {init}\n" if mod.api.functions else f"  {init}\n"
    return _jsdoc(lines) + _signature(f"{mod.export}function initAvo", params, ": void" if ts else "") + body + "}\n"


def _calls(fn: EventFunction) -> list[str]:
    actions = fn.event.actions
    user_properties = any(r.property.send_as == "user" for r in fn.event.properties)
    return [
        call
        for action, call in CALLS
        if action in actions or (call == "setUserProperties" and user_properties)
    ]


def _event_doc(mod: _Module, fn: EventFunction, texts: list[_ParamText], calls: list[str]) -> str:
    head, description = _quoted(fn.event.name), _doc_lines(fn.event.description)
    lines = [f"{head}: {description[0]}", *description[1:]] if description else [f"Tracks the event {head}."]
    lines += ["", "On each destination in turn, calls: " + (", ".join([f"{c}()" for c in calls]) or "nothing") + "."]
    if fn.pinned:
        lines.append("Always sends " + "; ".join(f"{_quoted(r.name)}: {_doc_line(_data(r.pinned))}" for r in fn.pinned) + ".")
    lines.append("")
    optional = not _argument_required(mod, fn)
    whole = "[properties]" if optional and not mod.typescript else "properties"
    what = "the arguments, by name:" if fn.parameters else "none: the event takes no arguments."
    lines.append("@param " + ("" if mod.typescript else "{Object} ") + f"{whole} - {what}")
    lines.extend([text.doc for text in texts])
    lines.append("@throws {AvoValidationError} outside \"prod\" with strict, when an argument breaks the plan.")
    return _jsdoc(lines)


def _argument_required(mod: _Module, fn: EventFunction) -> bool:
    return mod.either_id or any(p.required for p in fn.parameters)


def _param_text(mod: _Module, param: Parameter) -> _ParamText:
    """The text of `param`, made once per module: the same few hundred properties recur as
    the parameters of thousands of events, and describing and printing them was most of
    the generator's time. What the text depends on is the key (the plan, which holds every
    property for as long as the module is generated, makes `id(ref.property)` safe)."""
    ref = param.ref
    key = (param.name, param.kind, param.required) + ((id(ref.property), ref.allowed) if ref else ())
    text = mod.param_texts.get(key)
    if text is None:
        text = mod.param_texts[key] = _make_param_text(mod, param)
    return text


def _make_param_text(mod: _Module, param: Parameter) -> _ParamText:
    description = _describe_param(mod, param)
    key, type_ = param.name, _param_type(mod, param)
    if not param.required:
        key, type_ = f"{key}?", f"{type_} | null"
    name = f"properties.{param.name}"
    if not mod.typescript:
        name = f"{{{_doc_line(_param_type(mod, param, jsdoc=True))}}} " + (name if param.required else f"[{name}]")
    return _ParamText(_member(description, key, type_), f"@param {name} - {description}", _parameter_spec(mod, param))


def _parameter_spec(mod: _Module, param: Parameter) -> _Shared:
    if param.prop is None:
        spec: dict[str, Any] = {"key": param.name, "type": "float" if param.kind == REVENUE else "string"}
    else:
        spec = {"key": param.name, **_property_spec(mod, param.prop, param.allowed), "sendAs": param.prop.send_as}
    if param.required:
        spec["required"] = True
    return _Shared(spec)


def _event_spec(mod: _Module, fn: EventFunction, texts: list[_ParamText], calls: list[str]) -> dict:
    spec: dict[str, Any] = {
        "name": fn.event.name,
        "calls": calls,
        "parameters": [text.spec for text in texts],
        "pinned": [
            {"name": r.name, "sendAs": r.property.send_as, "value": _data(r.pinned)}
            for r in fn.pinned
            if r.property.send_as in ("event", "user")
        ],
    }
    if mod.either_id:
        spec["requireOneOf"] = [p.name for p in fn.identity]
    return spec


def _event_function(mod: _Module, fn: EventFunction) -> str:
    default = "" if _argument_required(mod, fn) else " = {}"
    if mod.typescript:
        arg_type = mod.argument_types[fn.name] + (" & AvoServerIdentity" if mod.either_id else "")
        head = f"export function {fn.name}(properties: {arg_type}{default}): void {{\n"
    else:
        head = f"{mod.export}function {fn.name}(properties{default}) {{\n"
    call = f"  __avoSend({_js_string(fn.name)}, properties, "
    texts = [_param_text(mod, param) for param in fn.parameters]
    calls = _calls(fn)
    body = f"{call}{_literal(_event_spec(mod, fn, texts, calls), '  ', len(call) + 2)});\n"
    interface = _argument_interface(mod, fn, texts) + "\n" if mod.typescript else ""
    return interface + _event_doc(mod, fn, texts, calls) + head + body + "}\n"


def _exports(mod: _Module) -> str:
    functions = ["initAvo", *(fn.name for fn in mod.api.functions)]
    if mod.esm:
        return "export default {\n" + "".join(f"  {name},\n" for name in functions) + "};\n"
    names = ["AvoEnv", "AvoValidationError", "AvoNotInitializedError", *mod.enums.values(), *functions]
    return (
        "module.exports = {\n" + "".join(f"  {name},\n" for name in names) + "};\n"
        "module.exports.default = module.exports;\n"
    )


def generate_typescript(plan: Plan, api: SourceApi) -> str:
    """The TypeScript (or JavaScript, after `api.language`) module of `api.source`."""
    mod = _module(plan, api)
    blocks = ['"use strict";\n'] if not mod.esm else []
    if mod.typescript:
        blocks.append(TS_TYPES_BLOCK)
        if mod.either_id:
            blocks.append(TS_IDENTITY_BLOCK)
        blocks.append(_system_interface(mod))
    else:
        blocks.append(JS_TYPES_BLOCK.replace("%export%", mod.export))
    for prop in mod.used:
        if prop.name in mod.enums:
            blocks.append(_enum(mod, prop))
        if prop.name in mod.objects:
            blocks.append(_object_interface(mod, prop))
    blocks.append(_runtime(mod))
    blocks.append(_init_avo(mod))
    blocks.extend(_event_function(mod, fn) for fn in api.functions)
    blocks.append(_exports(mod))
    footer = footer_lines(PurePosixPath(api.source.path).stem, [fn.name for fn in api.functions], "//")
    return header_lines(plan, "//") + "\n" + "\n".join(blocks) + "\n" + footer
