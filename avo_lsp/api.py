"""The generated API of one source: which functions exist and which parameters they take.

Code generators print this model; the analysers check call sites against it; the
loader asks it for name collisions. So the rules "which property becomes a parameter",
"who gets `user_id_`" and "which names clash" are decided here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

from .names import IDENTITY_PARAMS, identifier, module_names
from .plan import Event, Plan, Property, PropertyRef, Source, Span

# Parameter kinds
PROPERTY = "property"
USER_ID = "user_id"
ANONYMOUS_ID = "anonymous_id"
REVENUE = "revenue"


@dataclass(frozen=True)
class Parameter:
    name: str  # the identifier in the target language
    kind: str  # PROPERTY, USER_ID, ANONYMOUS_ID or REVENUE
    required: bool
    ref: PropertyRef | None = None  # set for PROPERTY parameters

    @property
    def prop(self) -> Property | None:
        return self.ref.property if self.ref else None

    @property
    def allowed(self) -> tuple[str, ...] | None:
        return self.ref.effective_allowed if self.ref else None

    @property
    def is_identity(self) -> bool:
        return self.kind in (USER_ID, ANONYMOUS_ID)


@dataclass(frozen=True)
class EventFunction:
    name: str  # the identifier of the generated function
    event: Event
    parameters: tuple[Parameter, ...]
    pinned: tuple[PropertyRef, ...]  # sent with a constant value, not parameters

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def required(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.required)

    @property
    def identity(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.is_identity)

    def property_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.kind == PROPERTY)


@dataclass(frozen=True)
class Collision:
    """Two plan names that become the same identifier."""

    identifier: str
    first: str
    second: str
    span: Span  # where the second one is written
    what: str  # "event", "parameter" or "system property"


@dataclass(frozen=True)
class SourceApi:
    source: Source
    functions: tuple[EventFunction, ...]
    collisions: tuple[Collision, ...] = ()

    @property
    def language(self) -> str:
        return self.source.language

    @cached_property
    def by_name(self) -> Mapping[str, EventFunction]:
        return MappingProxyType({f.name: f for f in self.functions})

    def function(self, name: str) -> EventFunction | None:
        return self.by_name.get(name)


def is_parameter(ref: PropertyRef) -> bool:
    """System properties are set once at init and pinned ones are constants."""
    return ref.property.send_as != "system" and not ref.is_pinned


def event_function(source: Source, event: Event) -> tuple[EventFunction, list[Collision]]:
    lang = source.language
    special = IDENTITY_PARAMS[lang]
    params: list[Parameter] = []
    collisions: list[Collision] = []
    seen: dict[str, str] = {}
    for ref in event.properties:
        if not is_parameter(ref):
            continue
        ident = identifier(ref.name, lang)
        if ident in seen:
            collisions.append(Collision(ident, seen[ident], ref.name, ref.span, "parameter"))
            continue
        seen[ident] = ref.name
        params.append(Parameter(ident, PROPERTY, not ref.optional, ref))
    if source.is_server:
        # Server code keeps no identity: every call may carry either id, and the
        # "at least one" rule is checked at the call site (or at run time).
        params.append(Parameter(special["user_id"], USER_ID, not source.anonymous_id))
        if source.anonymous_id:
            params.append(Parameter(special["anonymous_id"], ANONYMOUS_ID, False))
    elif "identify" in event.actions:
        params.append(Parameter(special["user_id"], USER_ID, True))
    if "revenue" in event.actions:
        params.append(Parameter(special["revenue"], REVENUE, True))
    pinned = tuple(r for r in event.properties if r.is_pinned)
    return EventFunction(identifier(event.name, lang), event, tuple(params), pinned), collisions


def source_api(plan: Plan, source: Source) -> SourceApi:
    functions: list[EventFunction] = []
    collisions: list[Collision] = []
    seen: dict[str, str] = {name: "the generated module" for name in module_names(source.language)}
    for event in plan.events_of(source.name):
        fn, param_collisions = event_function(source, event)
        collisions.extend(param_collisions)
        if fn.name in seen:
            collisions.append(Collision(fn.name, seen[fn.name], event.name, event.span, "event"))
            continue
        seen[fn.name] = event.name
        functions.append(fn)
    # init's system properties are keyed by their identifiers too: a clash there would
    # silently drop one of them.
    keys: dict[str, str] = {}
    for prop in plan.system_properties():
        key = identifier(prop.name, source.language)
        if key in keys:
            collisions.append(Collision(key, keys[key], prop.name, prop.span, "system property"))
            continue
        keys[key] = prop.name
    return SourceApi(source, tuple(functions), tuple(collisions))
