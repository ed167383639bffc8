"""Builds the large plans and code trees the benchmarks use (deterministic)."""

from __future__ import annotations

from pathlib import Path

TYPES = ["string", "int", "float", "bool"]


def plan_text(events: int = 2000, properties: int = 300) -> str:
    lines = [
        "version: 1",
        "name: Benchmark",
        "sources:",
        "  Backend: {platform: server, language: python, path: backend/avo.py}",
        "  Web: {platform: client, language: typescript, path: web/Avo.ts}",
        "  Worker: {platform: server, language: javascript, path: worker/avo.js}",
        "destinations:",
        "  Segment: {}",
        "  Amplitude: {}",
        "properties:",
    ]
    for i in range(properties):
        kind = TYPES[i % 4]
        lines.append(f"  Property {i}:")
        lines.append(f"    type: {kind}")
        lines.append(f"    description: Property number {i}.")
        if kind == "string" and i % 8 == 0:
            lines.append("    allowed: [alpha, beta, gamma]")
        if kind == "int":
            lines.append("    min: 0")
            lines.append("    max: 1000")
    lines.append("events:")
    for i in range(events):
        lines.append(f"  Event Number {i}:")
        lines.append(f"    description: Event number {i} happened.")
        lines.append("    sources: [Backend, Web, Worker]")
        lines.append("    properties:")
        for k in range(5):
            lines.append(f"      - Property {(i * 7 + k * 13) % properties}")
    return "\n".join(lines) + "\n"


def python_calls(lines: int = 5000, calls: int = 1000, events: int = 2000) -> str:
    """A Python file of `lines` lines with `calls` call sites of the Backend module."""
    out = ["from backend import avo", "", "", "def work(user):"]
    per_call = (lines - len(out)) // calls
    for i in range(calls):
        e = (i * 37) % events
        out.append(f"    avo.event_number_{e}(user_id_=user)  # call {i}")
        out.extend(f"    x_{i}_{k} = {k}" for k in range(per_call - 1))
    while len(out) < lines:
        out.append("    pass")
    return "\n".join(out) + "\n"


def write_workspace(root: Path, events: int = 2000, properties: int = 300) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "avo.yaml").write_text(plan_text(events, properties))
    return root / "avo.yaml"
