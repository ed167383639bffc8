"""Load a tracking plan from YAML into the immutable model, with every error located.

The YAML is *composed* (not constructed) so that every key and value keeps its line and
column; the loader then walks the node tree itself. That walk is where all plan errors
are decided, in one pass that collects every error instead of stopping at the first.
It never raises on any input: whatever goes wrong becomes a `PlanError`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .api import SourceApi, source_apis
from .gc_tuning import gc_paused
from .plan import (
    ACTIONS,
    LANGUAGES,
    PLATFORMS,
    PROPERTY_TYPES,
    SEND_AS,
    Destination,
    Event,
    Plan,
    PlanError,
    Property,
    PropertyRef,
    Source,
    Span,
    fast_constructor,
)

try:  # libyaml's composer is several times faster; the pure one gives the same nodes.
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _YamlLoader  # type: ignore[assignment]

PLAN_FILE_NAMES = ("avo.yaml", "avo.yml")
# A 2,000-event plan is well under 1 MB; a file far beyond that is a mistake (or an
# attack), and composing it would stall the server.
MAX_PLAN_BYTES = 10 * 1024 * 1024

EXTENSIONS = {
    "python": (".py",),
    "typescript": (".ts", ".tsx"),
    "javascript": (".js", ".mjs", ".cjs", ".jsx"),
}

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

# A number beyond a double's range cannot be written in generated JavaScript, and a
# huge integer cannot even be printed by Python (its 4,300-digit limit).
MAX_NUMBER = 1.7976931348623157e308
# Most file systems take names of at most 255 bytes and paths of at most 4,096.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096


# The constructors of the scalar tags a plan reads; they keep no state (unlike
# `construct_object`, which remembers every node it ever built).
_CONSTRUCTOR = SafeConstructor()
_SCALAR_CONSTRUCTORS = {tag: SafeConstructor.yaml_constructors[tag] for tag in (_INT, _FLOAT, _BOOL, _NULL)}
_INT_PATTERN = next(pattern for tag, pattern in Resolver.yaml_implicit_resolvers["1"] if tag == _INT)


@dataclass(frozen=True)
class LoadResult:
    path: Path
    plan: Plan | None  # None only when the file could not be read as YAML at all
    errors: tuple[PlanError, ...] = ()
    # The generated API of each source, built once here (the collision check needs it)
    # and reused by the code generators and the analysers.
    apis: tuple[SourceApi, ...] = ()

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.errors


def find_plan(folder: Path) -> Path | None:
    for name in PLAN_FILE_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def load_plan(path: Path) -> LoadResult:
    path = _absolute(path)
    try:
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            return _failed(path, "plan-syntax", f"the plan file is too large ({size / 1e6:.1f} MB; the limit is {MAX_PLAN_BYTES // 2**20} MB)")
        data = path.read_bytes()
    except OSError as exc:
        return _failed(path, "plan-syntax", f"cannot read the plan: {exc.strerror or exc}")
    except (ValueError, TypeError) as exc:  # a NUL character in the path, say
        return _failed(path, "plan-syntax", f"cannot read the plan: {exc}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start)
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1)
        return LoadResult(path, None, (PlanError("plan-syntax", "the plan is not UTF-8 text", Span.point(line, col)),))
    return load_plan_text(text, path)


def load_plan_text(text: str, path: Path) -> LoadResult:
    path = _absolute(path)
    try:
        with gc_paused():
            return _load_text(text, path)
    except RecursionError:
        return _failed(path, "plan-syntax", "the plan is nested too deeply")
    except MemoryError:
        return _failed(path, "plan-syntax", "the plan is too large to read")
    except Exception as exc:  # noqa: BLE001 - the last resort: a loader that raises leaves the server without a project
        return _failed(path, "plan-syntax", f"the plan could not be read: {type(exc).__name__}: {exc} (this is a bug in avo-lsp; please report it)")


def _load_text(text: str, path: Path) -> LoadResult:
    if len(text) > MAX_PLAN_BYTES:
        return _failed(path, "plan-syntax", f"the plan is too large ({len(text) / 1e6:.1f} MB)")
    try:
        root = yaml.compose(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span.point(mark.line, mark.column) if mark else Span.point(0, 0)
        message = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        return LoadResult(path, None, (PlanError("plan-syntax", f"invalid YAML: {message}", span),))
    except yaml.YAMLError as exc:  # e.g. a control character: no mark, only a position
        position = getattr(exc, "position", 0) or 0
        line = text.count("\n", 0, position)
        col = position - (text.rfind("\n", 0, position) + 1)
        return LoadResult(path, None, (PlanError("plan-syntax", f"invalid YAML: {exc}", Span.point(line, col)),))
    except UnicodeEncodeError as exc:  # a lone surrogate, say from an editor's buffer
        line = text.count("\n", 0, exc.start)
        col = exc.start - (text.rfind("\n", 0, exc.start) + 1)
        return LoadResult(path, None, (PlanError("plan-syntax", "the plan is not valid Unicode text (it has a lone surrogate)", Span.point(line, col)),))
    except RecursionError:
        return _failed(path, "plan-syntax", "the plan is nested too deeply")
    if root is None:
        return _failed(path, "plan-schema", "the plan is empty: it needs at least `version: 1`")
    return _PlanReader(path).read(root)


def _absolute(path: Path | str) -> Path:
    try:
        return Path(path).absolute()
    except OSError:  # the working folder is gone
        return Path(path)


def _failed(path: Path, code: str, message: str) -> LoadResult:
    return LoadResult(path, None, (PlanError(code, message, Span.point(0, 0)),))


def span_of(node: Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return _new_span(start.line, start.column, end.line, end.column)


# The model's objects that a large plan has by the ten thousand, made without the frozen
# dataclass's `__init__` (see `fast_constructor`): every field, in order.
_new_span = fast_constructor(Span)
_new_ref = fast_constructor(PropertyRef)
_new_event = fast_constructor(Event)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return {_STR: "a string", _INT: "an integer", _FLOAT: "a number", _BOOL: "a boolean", _NULL: "empty"}.get(
        node.tag, "a value"
    )


class _PlanReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[PlanError] = []
        self._seen: set[int] = set()
        self.broken_sources: set[str] = set()
        self._root: Path | None = None

    def error(self, code: str, node: Node | Span, message: str) -> None:
        span = node if isinstance(node, Span) else span_of(node)
        self.errors.append(PlanError(code, message, span))

    # -- generic node helpers -------------------------------------------------------

    def mapping(self, node: Node, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, tuple[ScalarNode, Node]]:
        """The entries of a mapping node by key, with schema and duplicate-key errors."""
        if type(node) is not MappingNode:
            if isinstance(node, ScalarNode) and node.tag == _NULL:
                node = MappingNode(_MAP, [], node.start_mark, node.end_mark)
            elif not isinstance(node, MappingNode):
                self.error("plan-schema", node, f"{where} must be a mapping, not {_kind(node)}")
                return {}
        entries: dict[str, tuple[ScalarNode, Node]] = {}
        for key, value in node.value:
            if not self.fresh(key) or not self.fresh(value):
                continue
            if not isinstance(key, ScalarNode):
                self.error("plan-schema", key, f"a key in {where} must be a plain name")
                continue
            name = str(key.value)
            if name in entries:
                first = entries[name][0].start_mark
                self.error("duplicate-key", key, f"duplicate key {name!r} in {where} (first defined on line {first.line + 1})")
                continue
            if allowed and name not in allowed:
                self.error("plan-schema", key, f"unknown key {name!r} in {where}; expected one of: {', '.join(allowed)}")
                continue
            entries[name] = (key, value)
        for name in required:
            if name not in entries:
                self.error("plan-schema", node if not entries else next(iter(entries.values()))[0], f"{where} is missing the required key {name!r}")
        return entries

    def fresh(self, node: Node) -> bool:
        """Aliases are refused: a plan needs none, and expanding them is the way to a
        'billion laughs' blow-up. An aliased node is the same object met twice."""
        if id(node) in self._seen:
            self.error("plan-syntax", node, "YAML anchors and aliases are not supported in a plan")
            return False
        self._seen.add(id(node))
        if type(node) is not ScalarNode and node.tag not in (_MAP, _SEQ):
            self.error("plan-schema", node, f"unsupported YAML tag {node.tag!r}")
            return False
        return True

    def sequence(self, node: Node, where: str) -> list[Node]:
        if type(node) is not SequenceNode:
            if isinstance(node, ScalarNode) and node.tag == _NULL:
                return []
            if not isinstance(node, SequenceNode):
                self.error("plan-schema", node, f"{where} must be a list, not {_kind(node)}")
                return []
        return [item for item in node.value if self.fresh(item)]

    def scalar(self, node: Node, where: str, tags: tuple[str, ...], expected: str) -> Any:
        """The value of a scalar node of one of `tags`, or None after an error."""
        if isinstance(node, ScalarNode):
            tag = node.tag
            if tag in tags:
                if tag == _STR:
                    return node.value
                try:
                    value = _SCALAR_CONSTRUCTORS[tag](_CONSTRUCTOR, node)
                except Exception:  # noqa: BLE001 - `!!int ""`, `!!bool maybe`, a 5,000-digit number...
                    if _huge_int_text(node):
                        self.error("plan-schema", node, f"{where} is too large a number (the limit is ±{MAX_NUMBER:.4g})")
                        return None
                else:
                    if not _too_large(value):
                        return value
                    self.error("plan-schema", node, f"{where} is too large a number (the limit is ±{MAX_NUMBER:.4g})")
                    return None
        self.error("plan-schema", node, f"{where} must be {expected}, not {_kind(node)}")
        return None

    def string(self, node: Node, where: str) -> str | None:
        if type(node) is ScalarNode and node.tag == _STR:  # the common case, without the detour
            return node.value
        return self.scalar(node, where, (_STR,), "a string")

    def boolean(self, node: Node, where: str) -> bool | None:
        return self.scalar(node, where, (_BOOL,), "true or false")

    def number(self, node: Node, where: str) -> float | int | None:
        return self.scalar(node, where, (_INT, _FLOAT), "a number")

    def choice(self, node: Node, where: str, choices: tuple[str, ...]) -> str | None:
        value = self.string(node, where)
        if value is not None and value not in choices:
            self.error("plan-schema", node, f"{where} must be one of {', '.join(choices)}, not {value!r}")
            return None
        return value

    def names(self, node: Node, where: str) -> list[tuple[str, ScalarNode]]:
        """A list of names (strings), each with its node; duplicates are errors."""
        result: list[tuple[str, ScalarNode]] = []
        listed: set[str] = set()
        for item in self.sequence(node, where):
            if type(item) is ScalarNode and item.tag == _STR:
                name = item.value
            else:
                name = self.string(item, f"an entry of {where}")
                if name is None:
                    continue
            if name in listed:
                self.error("duplicate-key", item, f"{name!r} is listed twice in {where}")
                continue
            listed.add(name)
            result.append((name, item))  # type: ignore[arg-type]
        return result

    def root(self) -> Path:
        """The plan's folder, resolved; paths in the plan must stay inside it."""
        if self._root is None:
            try:
                self._root = self.path.parent.resolve()
            except (OSError, RuntimeError, ValueError):  # a symlink loop: each source path says so
                self._root = self.path.parent
        return self._root

    # -- the plan -------------------------------------------------------------------

    def read(self, root: Node) -> LoadResult:
        top = self.mapping(root, "the plan", ("version", "name", "sources", "destinations", "properties", "events"), ("version",))
        if not isinstance(root, MappingNode):
            return LoadResult(self.path, None, tuple(self.errors))
        version = 1
        if "version" in top:
            value = self.scalar(top["version"][1], "version", (_INT,), "the integer 1")
            if value is not None and value != 1:
                self.error("plan-schema", top["version"][1], f"unsupported plan version {value}; the only version is 1")
        name = ""
        if "name" in top:
            name = self.string(top["name"][1], "name") or ""
        empty = ScalarNode(_NULL, "")
        destinations = self.read_destinations(top.get("destinations", (None, empty))[1])
        sources = self.read_sources(top.get("sources", (None, empty))[1], destinations)
        properties = self.read_properties(top.get("properties", (None, empty))[1])
        events = self.read_events(top.get("events", (None, empty))[1], sources, properties)
        plan = Plan(self.path, version, name, _frozen(sources), _frozen(destinations), _frozen(properties), _frozen(events))
        apis = source_apis(plan)
        for api in apis:
            source = api.source
            for collision in api.collisions:
                self.error(
                    "name-collision",
                    collision.span,
                    f"{collision.what} {collision.second!r} becomes `{collision.identifier}` in {source.name}'s "
                    f"{source.language} code, the same identifier as {collision.first!r}",
                )
        self.errors.sort(key=lambda e: (e.span.line, e.span.col))
        return LoadResult(self.path, plan, tuple(self.errors), apis)

    def read_destinations(self, node: Node) -> dict[str, Destination]:
        result = {}
        for name, (key, value) in self.mapping(node, "destinations", ()).items():
            self.mapping(value, f"destination {name!r}", ("description",))
            result[name] = Destination(name, span_of(key))
        return result

    def read_sources(self, node: Node, destinations: dict[str, Destination]) -> dict[str, Source]:
        result: dict[str, Source] = {}
        paths: dict[Path, str] = {}
        for name, (key, value) in self.mapping(node, "sources", ()).items():
            where = f"source {name!r}"
            fields = self.mapping(value, where, ("platform", "language", "path", "anonymous_id", "destinations"), ("platform", "language", "path"))
            platform = self.choice(fields["platform"][1], "platform", PLATFORMS) if "platform" in fields else None
            language = self.choice(fields["language"][1], "language", LANGUAGES) if "language" in fields else None
            found = self.source_path(fields["path"][1], language) if "path" in fields else None
            anonymous_id = True
            if "anonymous_id" in fields:
                anonymous_id = bool(self.boolean(fields["anonymous_id"][1], "anonymous_id"))
                if platform == "client":
                    self.error("plan-schema", fields["anonymous_id"][0], "anonymous_id is for server sources; client SDKs keep the user's identity")
            dests: list[str] = []
            if "destinations" in fields:
                for dest, dest_node in self.names(fields["destinations"][1], f"{where}'s destinations"):
                    if dest not in destinations:
                        self.error("unknown-destination", dest_node, f"unknown destination {dest!r}; the plan defines: {_listing(destinations)}")
                    else:
                        dests.append(dest)
            if platform is None or language is None or found is None:
                self.broken_sources.add(name)  # reported already; events may still name it
                continue
            path, target = found
            if target in paths:
                self.error("plan-schema", fields["path"][1], f"source {name!r} has the same path as source {paths[target]!r}")
                self.broken_sources.add(name)
                continue
            paths[target] = name
            result[name] = Source(name, platform, language, path, anonymous_id, tuple(dests), span_of(key))
        return result

    def source_path(self, node: Node, language: str | None) -> tuple[str, Path] | None:
        """The path as written and the file it leads to, or None after an error."""
        path = self.string(node, "path")
        if path is None:
            return None
        if "\0" in path:
            self.error("plan-schema", node, f"the path {path!r} contains a NUL character, which no file name may contain")
            return None
        root = self.root()
        if problem := _too_long(path, root):
            shown = repr(path) if len(path) <= 60 else repr(path[:40]) + "…"
            self.error("plan-schema", node, f"the path {shown} is too long: {problem}")
            return None
        if Path(path).is_absolute():
            self.error("unsafe-path", node, f"the path {path!r} leads outside the plan's folder {root}")
            return None
        try:
            target = (root / path).resolve()
        except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, above all
            reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
            self.error("unsafe-path", node, f"the path {path!r} cannot be followed inside the plan's folder {root}: {reason}")
            return None
        if not target.is_relative_to(root) or target == root:
            self.error("unsafe-path", node, f"the path {path!r} leads outside the plan's folder {root}")
            return None
        if language and not path.endswith(EXTENSIONS[language]):
            self.error("plan-schema", node, f"a {language} source's path must end with {' or '.join(EXTENSIONS[language])}")
            return None
        return path, target

    def read_properties(self, node: Node) -> dict[str, Property]:
        result: dict[str, Property] = {}
        members_of: dict[str, list[tuple[str, ScalarNode]]] = {}
        entries = self.mapping(node, "properties", ())
        for name, (key, value) in entries.items():
            prop = self.read_property(name, key, value, members_of)
            if prop is not None:
                result[name] = prop
        for name, members in members_of.items():
            for member, member_node in members:
                if member not in entries:
                    self.error("unknown-property", member_node, f"unknown property {member!r}; it is not in the plan's properties")
        return result

    def read_property(self, name: str, key: ScalarNode, value: Node, members_of: dict) -> Property | None:
        where = f"property {name!r}"
        fields = self.mapping(value, where, ("type", "description", "list", "allowed", "min", "max", "regex", "send_as", "properties"), ("type",))
        # A property whose type is missing or wrong still exists, as `any`: events that
        # use it should not each report it as unknown on top of the one real error.
        ptype = self.choice(fields["type"][1], "type", PROPERTY_TYPES) if "type" in fields else None
        if ptype is None:
            return Property(name, "any", span=span_of(key))
        get = _getter(fields)
        description = self.string(get("description"), "description") if get("description") else ""
        is_list = bool(self.boolean(get("list"), "list")) if get("list") else False
        send_as = self.choice(get("send_as"), "send_as", SEND_AS) if get("send_as") else "event"
        allowed = None
        if get("allowed"):
            allowed = self.allowed_values(get("allowed"), ptype, fields["allowed"][0])
        bounds: dict[str, float | int | None] = {"min": None, "max": None}
        for bound in bounds:
            if get(bound):
                if ptype not in ("int", "float"):
                    self.error("invalid-constraint", fields[bound][0], f"{bound} applies to int and float properties, not {ptype}")
                    continue
                bounds[bound] = self.number(get(bound), bound)
        if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
            self.error("invalid-constraint", get("max"), f"max ({bounds['max']}) is below min ({bounds['min']})")
        regex = None
        if get("regex"):
            if ptype != "string":
                self.error("invalid-constraint", fields["regex"][0], f"regex applies to string properties, not {ptype}")
            else:
                regex = self.string(get("regex"), "regex")
                if regex is not None and (problem := _regex_problem(regex)):
                    self.error("invalid-constraint", get("regex"), f"invalid regex: {problem}")
                    regex = None
        members: tuple[str, ...] = ()
        if get("properties"):
            if ptype != "object":
                self.error("invalid-constraint", fields["properties"][0], f"only object properties have member properties, not {ptype}")
            else:
                listed = self.names(get("properties"), f"{where}'s properties")
                members_of[name] = listed
                members = tuple(n for n, _ in listed)
        return Property(
            name, ptype, description or "", is_list, allowed, bounds["min"], bounds["max"], regex, send_as or "event", members, span_of(key)
        )

    def allowed_values(self, node: Node, ptype: str, key: Node) -> tuple[str, ...] | None:
        if ptype != "string":
            self.error("invalid-constraint", key, f"allowed values apply to string properties, not {ptype}")
            return None
        values = tuple(v for v, _ in self.names(node, "allowed"))
        if not values:
            self.error("invalid-constraint", node, "allowed needs at least one value")
            return None
        return values

    def read_events(self, node: Node, sources: dict[str, Source], properties: dict[str, Property]) -> dict[str, Event]:
        result: dict[str, Event] = {}
        broken = self.broken_sources
        for name, (key, value) in self.mapping(node, "events", ()).items():
            where = f"event {name!r}"
            fields = self.mapping(value, where, _EVENT_KEYS, ("sources",))
            get = _getter(fields)
            description = (self.string(get("description"), "description") or "") if get("description") else ""
            event_sources: list[str] = []
            sources_node = get("sources")
            if sources_node:
                listed = self.names(sources_node, f"{where}'s sources")
                if not listed and isinstance(sources_node, (SequenceNode, ScalarNode)):
                    self.error("plan-schema", sources_node, f"{where} needs at least one source")
                for source, source_node in listed:
                    if source in broken:
                        continue
                    if source not in sources:
                        self.error("unknown-source", source_node, f"unknown source {source!r}; the plan defines: {_listing(sources)}")
                    else:
                        event_sources.append(source)
            actions: tuple[str, ...] = ("log_event",)
            if get("actions"):
                actions = tuple(
                    a for a, a_node in self.names(get("actions"), f"{where}'s actions") if self.choice(a_node, "an action", ACTIONS)
                )
            refs: list[PropertyRef] = []
            properties_node = get("properties")
            if properties_node:
                seen: set[str] = set()
                for item in self.sequence(properties_node, f"{where}'s properties"):
                    ref = self.read_ref(item, properties)
                    if ref is None:
                        continue
                    if ref.name in seen:
                        self.error("duplicate-key", item, f"property {ref.name!r} is listed twice in {where}")
                        continue
                    seen.add(ref.name)
                    refs.append(ref)
            result[name] = _new_event(name, tuple(event_sources), description, actions, tuple(refs), span_of(key))
        return result

    def read_ref(self, item: Node, properties: dict[str, Property]) -> PropertyRef | None:
        if type(item) is ScalarNode and item.tag == _STR and item.value in properties:
            # A plain reference, nearly every one in a plan: no overrides to read.
            return _new_ref(properties[item.value], False, None, None, False, span_of(item))
        if isinstance(item, ScalarNode):
            name = self.string(item, "a property reference")
            fields: dict[str, tuple[ScalarNode, Node]] = {}
            name_node: Node = item
        else:
            fields = self.mapping(item, "a property reference", ("name", "optional", "allowed", "pinned"), ("name",))
            if "name" not in fields:
                return None
            name_node = fields["name"][1]
            name = self.string(name_node, "name")
        if name is None:
            return None
        prop = properties.get(name)
        if prop is None:
            self.error("unknown-property", name_node, f"unknown property {name!r}; it is not in the plan's properties")
            return None
        get = _getter(fields)
        optional = bool(self.boolean(get("optional"), "optional")) if get("optional") else False
        allowed = None
        if get("allowed"):
            allowed = self.allowed_values(get("allowed"), prop.type, fields["allowed"][0])
            if allowed is not None and prop.allowed is not None:
                extra = [v for v in allowed if v not in prop.allowed]
                if extra:
                    self.error("invalid-constraint", get("allowed"), f"allowed values {extra} are not among {name!r}'s allowed values {list(prop.allowed)}")
                    allowed = None
        pinned, is_pinned = None, False
        if get("pinned"):
            pinned, is_pinned = self.pinned_value(get("pinned"), prop, allowed)
        return _new_ref(prop, optional, allowed, pinned, is_pinned, span_of(name_node))

    def pinned_value(self, node: Node, prop: Property, allowed: tuple[str, ...] | None) -> tuple[Any, bool]:
        value = None
        if isinstance(node, ScalarNode):
            if node.tag == _STR:
                value = node.value
            else:
                try:
                    # A constructor of its own: `construct_object` remembers every node.
                    value = SafeConstructor().construct_object(node, deep=True)
                except Exception:  # noqa: BLE001 - `!!timestamp x`, `!!bool maybe`, `!!int ""`...
                    value = None
                    if _huge_int_text(node):
                        self.error("invalid-constraint", node, f"the pinned value is too large a number (the limit is ±{MAX_NUMBER:.4g})")
                        return None, False
        if _too_large(value):
            self.error("invalid-constraint", node, f"the pinned value is too large a number (the limit is ±{MAX_NUMBER:.4g})")
            return None, False
        expected = {"string": str, "int": int, "float": (int, float), "bool": bool}.get(prop.type)
        if prop.is_list or prop.type == "object" or value is None or (
            expected is not None and (not isinstance(value, expected) or (prop.type != "bool" and isinstance(value, bool)))
        ):
            self.error("invalid-constraint", node, f"the pinned value must be a single {prop.type}, like the property {prop.name!r}")
            return None, False
        choices = allowed or prop.allowed
        if choices is not None and value not in choices:
            self.error("invalid-constraint", node, f"the pinned value {value!r} is not among the allowed values {list(choices)}")
            return None, False
        return value, True


_EVENT_KEYS = ("description", "sources", "actions", "properties")


def _huge_int_text(node: ScalarNode) -> bool:
    """An integer too long to be read (Python reads at most 4,300 digits)."""
    return node.tag == _INT and len(node.value.replace("_", "")) > 300 and bool(_INT_PATTERN.match(node.value))


def _too_long(path: str, root: Path) -> str | None:
    """Why a file system would refuse `path` in `root` as too long, if it would."""
    if any(len(_bytes(part)) > MAX_NAME_BYTES for part in path.replace("\\", "/").split("/")):
        return f"a file or folder name may have at most {MAX_NAME_BYTES} bytes"
    if len(_bytes(str(root))) + 1 + len(_bytes(path)) >= MAX_PATH_BYTES:
        return f"the whole path may have at most {MAX_PATH_BYTES - 1} bytes"
    return None


def _bytes(name: str) -> bytes:
    try:
        return os.fsencode(name)
    except UnicodeEncodeError:  # not in the file system's encoding: about as long in UTF-8
        return name.encode("utf-8", "surrogatepass")


def _too_large(value: Any) -> bool:
    return type(value) is int and not -MAX_NUMBER <= value <= MAX_NUMBER


def _getter(fields: dict[str, tuple[ScalarNode, Node]]) -> Any:
    return {name: entry[1] for name, entry in fields.items()}.get


def _frozen(mapping: dict) -> Any:
    return MappingProxyType(mapping)


def _listing(names: dict) -> str:
    return ", ".join(names) or "none"


def _regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    except RecursionError:
        return "it is nested too deeply"
    except Exception as exc:  # noqa: BLE001 - OverflowError ("a{99999999999}"), ValueError...
        return str(exc) or type(exc).__name__
    return None
