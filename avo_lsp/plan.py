"""The tracking plan as an immutable, typed model.

Everything here is plain data: the loader (`avo_lsp.loader`) builds it from YAML, the
code generators and the analysers read it. Every element keeps the `Span` of its key in
the plan file, so errors, hover and "go to definition" can point at the exact spot.
Lines and columns are 0-based code-point positions, as Python indexes strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Literal, Mapping

PROPERTY_TYPES = ("string", "int", "float", "bool", "object", "any")
PLATFORMS = ("server", "client")
LANGUAGES = ("python", "typescript", "javascript")
SEND_AS = ("event", "user", "system")
# The stable codes of plan errors (spec section 1).
PLAN_ERROR_CODES = (
    "plan-syntax",
    "plan-schema",
    "duplicate-key",
    "unknown-property",
    "unknown-source",
    "unknown-destination",
    "name-collision",
    "invalid-constraint",
    "unsafe-path",
)
ACTIONS = ("log_event", "identify", "unidentify", "update_user_properties", "page", "revenue")

PropertyType = Literal["string", "int", "float", "bool", "object", "any"]
Platform = Literal["server", "client"]
Language = Literal["python", "typescript", "javascript"]
SendAs = Literal["event", "user", "system"]


@dataclass(frozen=True, order=True)
class Span:
    """A range in a text file: 0-based lines, 0-based code-point columns, end exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, line: int, col: int) -> "Span":
        return cls(line, col, line, col)


NO_SPAN = Span(0, 0, 0, 0)


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    description: str = ""
    is_list: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    regex: str | None = None
    send_as: str = "event"
    members: tuple[str, ...] = ()  # member property names of an `object` property
    span: Span = NO_SPAN


@dataclass(frozen=True)
class PropertyRef:
    """A property as an event uses it, with the event's overrides applied."""

    property: Property
    optional: bool = False
    allowed: tuple[str, ...] | None = None  # the override, a subset of the catalogue's
    pinned: Any = None
    is_pinned: bool = False
    span: Span = NO_SPAN

    @property
    def name(self) -> str:
        return self.property.name

    @property
    def effective_allowed(self) -> tuple[str, ...] | None:
        return self.allowed if self.allowed is not None else self.property.allowed


@dataclass(frozen=True)
class Source:
    name: str
    platform: str
    language: str
    path: str  # relative to the plan's folder, as written in the plan
    anonymous_id: bool = True
    destinations: tuple[str, ...] = ()
    span: Span = NO_SPAN

    @property
    def is_server(self) -> bool:
        return self.platform == "server"


@dataclass(frozen=True)
class Destination:
    name: str
    span: Span = NO_SPAN


@dataclass(frozen=True)
class Event:
    name: str
    sources: tuple[str, ...]
    description: str = ""
    actions: tuple[str, ...] = ("log_event",)
    properties: tuple[PropertyRef, ...] = ()
    span: Span = NO_SPAN


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Plan:
    path: Path  # the plan file, absolute
    version: int = 1
    name: str = ""
    sources: Mapping[str, Source] = field(default_factory=_frozen)
    destinations: Mapping[str, Destination] = field(default_factory=_frozen)
    properties: Mapping[str, Property] = field(default_factory=_frozen)
    events: Mapping[str, Event] = field(default_factory=_frozen)

    @property
    def root(self) -> Path:
        return self.path.parent

    def source_file(self, source: Source) -> Path:
        return (self.root / source.path).resolve()

    def events_of(self, source_name: str) -> tuple[Event, ...]:
        return tuple(e for e in self.events.values() if source_name in e.sources)

    def system_properties(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties.values() if p.send_as == "system")

    def destinations_of(self, source: Source) -> tuple[str, ...]:
        return source.destinations or tuple(self.destinations)


@dataclass(frozen=True)
class PlanError:
    """A problem in the plan file, with one of the spec's stable codes."""

    code: str
    message: str
    span: Span

    def format(self, path: Path | str) -> str:
        return f"{path}:{self.span.line + 1}:{self.span.col + 1}: {self.code}: {self.message}"


def fast_constructor(cls: type) -> Callable[..., Any]:
    """`cls(*values)` for a frozen dataclass, given every field in order, without the
    generated `__init__` and its `object.__setattr__` per field: some three times as
    fast, and the loader builds about 50,000 of these for a 2,000-event plan. The object
    is the same (same fields, equality, hash and repr), still frozen."""
    params = fields(cls)
    if "__post_init__" in dir(cls) or "__slots__" in vars(cls) or not all(f.init for f in params):
        raise TypeError(f"{cls.__name__} needs its own __init__")
    names = [f.name for f in params]
    source = (
        f"def make({', '.join(names)}):\n"
        "    obj = new(cls)\n"
        "    state = obj.__dict__\n"
        + "".join(f"    state[{n!r}] = {n}\n" for n in names)
        + "    return obj\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    exec(source, namespace)  # the way `dataclasses` makes `__init__`
    make = namespace["make"]
    make.__qualname__ = make.__name__ = f"new_{cls.__name__}"
    return make
