"""Plans for tests: the spec's example plan, variants of it, and plans built in code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from avo_lsp.loader import load_plan
from avo_lsp.plan import Destination, Event, Plan, Property, PropertyRef, Source


REPO = Path(__file__).resolve().parents[1]


def example_plan_path() -> Path:
    """The spec's reference plan: the example workspace's plan is a copy of it (a test
    checks that the two agree where the team's shared/ folder is at hand)."""
    return REPO / "examples" / "shop" / "avo.yaml"


def example_plan() -> Plan:
    """The spec's reference plan, through the real loader."""
    result = load_plan(example_plan_path())
    assert result.plan is not None and not result.errors, result.errors
    return result.plan


def with_source(plan: Plan, name: str, **changes) -> Plan:
    """`plan` with source `name` changed: `with_source(plan, "Worker", language="typescript")`."""
    sources = dict(plan.sources)
    sources[name] = dataclasses.replace(sources[name], **changes)
    return dataclasses.replace(plan, sources=sources)


def build_plan(
    properties: list[Property],
    events: list[Event],
    sources: list[Source],
    destinations: tuple[str, ...] = ("Segment",),
    name: str = "Test",
    path: Path = Path("/plans/avo.yaml"),
) -> Plan:
    """A plan made in code, without the loader (and so without its checks)."""
    return Plan(
        path=path,
        name=name,
        sources={s.name: s for s in sources},
        destinations={d: Destination(d) for d in destinations},
        properties={p.name: p for p in properties},
        events={e.name: e for e in events},
    )


def ref(prop: Property, **overrides) -> PropertyRef:
    return PropertyRef(prop, **overrides)


# -- small builders (used by the Python codegen tests) ----------------------------------


def prop(name: str, type: str = "string", **fields) -> Property:
    """A catalogue property: `prop("Total", "float", min=0)`, `prop("Tags", is_list=True)`."""
    return Property(name, type, **fields)


def source(name: str, platform: str = "server", language: str = "python", path: str | None = None, **fields) -> Source:
    default = f"{name.lower()}/avo.py" if language == "python" else f"{name.lower()}/Avo.ts"
    return Source(name, platform, language, path or default, **fields)


def event(name: str, sources, properties=(), actions=("log_event",), description: str = "") -> Event:
    """An event; `properties` may mix `Property` (a plain reference) and `PropertyRef`."""
    refs = tuple(p if isinstance(p, PropertyRef) else PropertyRef(p) for p in properties)
    return Event(name, tuple(sources), description, tuple(actions), refs)


def add_source(plan: Plan, new: Source, like: str) -> Plan:
    """`plan` plus the source `new`, which gets every event that source `like` has."""
    events = {
        name: dataclasses.replace(e, sources=e.sources + (new.name,)) if like in e.sources else e
        for name, e in plan.events.items()
    }
    return dataclasses.replace(plan, sources={**plan.sources, new.name: new}, events=events)
