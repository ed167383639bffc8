"""The generated API of one source: which functions exist and which parameters they take.

Code generators print this model; the analysers check call sites against it; the
loader asks it for name collisions. So the rules "which property becomes a parameter",
"who gets `user_id_`" and "which names clash" are decided here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from .names import IDENTITY_PARAMS, camel_case, identifier, module_names, snake_case
from .plan import Event, Plan, Property, PropertyRef, Source, Span, fast_constructor

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

    # Derived once per function (the checks ask them of every call): cached_property
    # stores in the instance's __dict__, which a frozen dataclass allows; equality, hash
    # and repr still see the fields only.
    @cached_property
    def _by_name(self) -> Mapping[str, Parameter]:
        return MappingProxyType({p.name: p for p in reversed(self.parameters)})  # the first of a name wins

    def parameter(self, name: str) -> Parameter | None:
        return self._by_name.get(name)

    @cached_property
    def required(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.required)

    @cached_property
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

    @cached_property
    def derived(self) -> dict[str, Any]:
        """Room for what other modules derive from this API and keep while it lives
        (completion's tables, the checks' memo): the API is immutable, so nothing derived
        from it goes stale, and it all goes with the snapshot."""
        return {}


def is_parameter(ref: PropertyRef) -> bool:
    """System properties are set once at init and pinned ones are constants."""
    return ref.property.send_as != "system" and not ref.is_pinned


def source_api(plan: Plan, source: Source) -> SourceApi:
    return _Builder().api(plan, source)


def source_apis(plan: Plan, sources: Iterable[Source] | None = None) -> tuple[SourceApi, ...]:
    """The API of each of `sources` (default: all the plan's), the same as `source_api`
    gives for each, but with the work that sources of one naming style share done once."""
    builder = _Builder()
    return tuple(builder.api(plan, source) for source in (plan.sources.values() if sources is None else sources))


# A large plan has tens of thousands of these (see `fast_constructor`).
_new_parameter = fast_constructor(Parameter)
_new_function = fast_constructor(EventFunction)


class _Builder:
    """Builds source APIs; what depends only on an event and the naming style (the
    function name, the property parameters and their collisions) is built once and
    shared by every source of that style. Parameters are immutable, so sharing them
    between the APIs of, say, a TypeScript and a JavaScript source is safe."""

    def __init__(self) -> None:
        self._by_style: dict[tuple[str, int], tuple[str, list[Parameter], list[Collision], tuple[PropertyRef, ...]]] = {}
        self._events: dict[int, Event] = {}  # keeps each event alive while its id is a key

    def _shared(self, style: str, event: Event) -> tuple[str, list[Parameter], list[Collision], tuple[PropertyRef, ...]]:
        key = (style, id(event))
        found = self._by_style.get(key)
        if found is not None:
            return found
        self._events[id(event)] = event
        ident_of = snake_case if style == "python" else camel_case
        params: list[Parameter] = []
        collisions: list[Collision] = []
        seen: dict[str, str] = {}
        pinned: list[PropertyRef] = []
        for ref in event.properties:
            if ref.is_pinned:  # `is_parameter`, inline
                pinned.append(ref)
                continue
            prop = ref.property
            if prop.send_as == "system":
                continue
            name = prop.name
            ident = ident_of(name)
            if ident in seen:
                collisions.append(Collision(ident, seen[ident], name, ref.span, "parameter"))
                continue
            seen[ident] = name
            params.append(_new_parameter(ident, PROPERTY, not ref.optional, ref))
        found = self._by_style[key] = (ident_of(event.name), params, collisions, tuple(pinned))
        return found

    def function(self, source: Source, event: Event, identity: tuple[Parameter, ...]) -> tuple[EventFunction, list[Collision]]:
        lang = source.language
        name, params, collisions, pinned = self._shared(_style(lang), event)
        special = IDENTITY_PARAMS[lang]
        tail: list[Parameter] = []
        if source.is_server:
            # Server code keeps no identity: every call may carry either id, and the
            # "at least one" rule is checked at the call site (or at run time).
            tail.extend(identity)
        elif "identify" in event.actions:
            tail.append(identity[0])
        if "revenue" in event.actions:
            tail.append(Parameter(special["revenue"], REVENUE, True))
        return _new_function(name, event, tuple(params + tail) if tail else tuple(params), pinned), list(collisions)

    def api(self, plan: Plan, source: Source) -> SourceApi:
        functions: list[EventFunction] = []
        collisions: list[Collision] = []
        seen: dict[str, str] = {name: "the generated module" for name in module_names(source.language)}
        identity = _identity(source)
        for event in plan.events_of(source.name):
            fn, param_collisions = self.function(source, event, identity)
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


def _style(language: str) -> str:
    """Sources whose identifiers are made alike: `identifier` is snake_case for Python
    and camelCase for every other language."""
    return "python" if language == "python" else "camel"


def _identity(source: Source) -> tuple[Parameter, ...]:
    """The identity parameters of `source`'s functions: for a server source, `user_id_`
    (required without `anonymous_id`) and `anonymous_id_`; for a client source, the
    `user_id_` that Identify events take."""
    special = IDENTITY_PARAMS[source.language]
    if source.is_server:
        params = [Parameter(special["user_id"], USER_ID, not source.anonymous_id)]
        if source.anonymous_id:
            params.append(Parameter(special["anonymous_id"], ANONYMOUS_ID, False))
        return tuple(params)
    return (Parameter(special["user_id"], USER_ID, True),)
