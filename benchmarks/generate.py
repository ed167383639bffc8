"""Load a plan of 2,000 events and 300 properties and generate all three languages.

    .venv/bin/python benchmarks/generate.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from avo_lsp.api import source_api  # noqa: E402
from avo_lsp.codegen import generate_source  # noqa: E402
from avo_lsp.loader import load_plan  # noqa: E402

from bigplan import write_workspace  # noqa: E402


def best_of(runs: int, fn):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times), statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_workspace(Path(folder))
        result, best, median = best_of(5, lambda: load_plan(path))
        assert not result.errors, result.errors[:3]
        plan = result.plan
        print(f"plan: {len(plan.events)} events, {len(plan.properties)} properties, {path.stat().st_size / 1e6:.2f} MB")
        print(f"load:                best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms")
        total = 0.0
        for source in plan.sources.values():
            text, best, median = best_of(5, lambda: generate_source(plan, source_api(plan, source)))
            total += best
            print(f"generate {source.language:<11} best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   ({len(text) / 1e6:.1f} MB)")
        print(f"generate all sources: {total * 1000:.1f} ms")


if __name__ == "__main__":
    main()
