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


def _literal(index: int) -> str:
    kind = TYPES[index % 4]
    if kind == "string":
        return '"alpha"'
    return {"int": "7", "float": "1.5", "bool": "True"}[kind]


def python_calls(lines: int = 5000, calls: int = 1000, events: int = 2000, properties: int = 300) -> str:
    """A Python file of `lines` lines with `calls` valid call sites of the Backend module
    (every required property passed, with a value the plan allows)."""
    out = ["from backend import avo", "", "", "def work(user):"]
    per_call = (lines - len(out)) // calls
    for i in range(calls):
        e = (i * 37) % events
        args = []
        for k in range(5):
            index = (e * 7 + k * 13) % properties
            args.append(f"property_{index}={_literal(index)}")
        out.append(f"    avo.event_number_{e}({', '.join(args)}, user_id_=user)")
        out.extend(f"    x_{i}_{k} = {k}" for k in range(per_call - 1))
    while len(out) < lines:
        out.append("    pass")
    return "\n".join(out) + "\n"


def write_workspace(root: Path, events: int = 2000, properties: int = 300) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "avo.yaml").write_text(plan_text(events, properties))
    return root / "avo.yaml"


def write_tree(root: Path, files: int = 2000, calling_share: float = 0.1, events: int = 2000) -> None:
    """`files` source files, half Python and half TypeScript; `calling_share` of them
    import the generated module and call it, the others are ordinary code."""
    calling_every = round(1 / calling_share)
    for i in range(files):
        folder = root / ("backend" if i % 2 == 0 else "web") / f"pkg{i % 40}"
        folder.mkdir(parents=True, exist_ok=True)
        calls = i % calling_every == 0
        if i % 2 == 0:
            head = "from backend import avo\n\n" if calls else "import os\n\n"
            body = "".join(
                f"def handler_{k}(user):\n    value = os.getenv('X{k}') if False else {k}\n"
                + (f"    avo.event_number_{(i + k) % events}(user_id_=user)\n" if calls else "")
                + "    return value\n\n"
                for k in range(10)
            )
            (folder / f"module_{i}.py").write_text(head + body)
        else:
            depth = "../" * 2
            head = f'import Avo from "{depth}Avo";\n\n' if calls else 'import { readFileSync } from "fs";\n\n'
            body = "".join(
                f"export function handler{k}(user: string): number {{\n  const value = {k};\n"
                + (f"  Avo.eventNumber{(i + k) % events}({{}});\n" if calls else "")
                + "  return value;\n}\n\n"
                for k in range(10)
            )
            (folder / f"module_{i}.ts").write_text(head + body)
