"""The language server over stdio: a 2,000-event plan and a 5,000-line Python file with
1,000 call sites.

    .venv/bin/python benchmarks/lsp.py

Reports completion after `avo.` (p50/p95 of 100 requests), diagnostics of the file after
a change (debounce set to 0, so this is the analysis and the round trip), and plan save
-> every file regenerated and the open file's diagnostics refreshed. The client is a bare
JSON-RPC client (`rpc.py`) that parses the server's JSON as an editor does.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigplan import python_calls, write_workspace  # noqa: E402
from rpc import RpcClient  # noqa: E402

CAPABILITIES = {
    "textDocument": {
        "completion": {"completionItem": {"snippetSupport": True}},
        "publishDiagnostics": {"versionSupport": True},
    }
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def uri_of(path: Path) -> str:
    return path.as_uri()


async def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="avo-bench-"))
    plan = write_workspace(folder)
    (folder / "backend").mkdir()
    code_path = folder / "backend" / "work.py"
    text = python_calls()
    code_path.write_text(text)
    uri = uri_of(code_path)

    client = RpcClient()
    published: dict[int, float] = {}
    logs: list[tuple[float, str]] = []
    published_any: list[float] = []

    def on_diagnostics(params: dict) -> None:
        if params["uri"] == uri:
            published[params.get("version")] = time.perf_counter()
            published_any.append(time.perf_counter())

    client.on("textDocument/publishDiagnostics", on_diagnostics)
    client.on("window/logMessage", lambda params: logs.append((time.perf_counter(), params["message"])))

    # AVO_PROFILE=out.prof runs the server under cProfile, to see where the time goes.
    profile = ["-m", "cProfile", "-o", os.environ["AVO_PROFILE"]] if os.environ.get("AVO_PROFILE") else []
    await client.start(sys.executable, *profile, "-m", "avo_lsp", "serve")
    start = time.perf_counter()
    await client.request(
        "initialize",
        {"processId": None, "capabilities": CAPABILITIES, "rootUri": uri_of(folder), "initializationOptions": {"debounceMs": 0}},
    )
    client.notify("initialized", {})

    async def until(predicate, timeout=60.0):
        deadline = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > deadline:
                raise TimeoutError
            await asyncio.sleep(0.001)

    await until(lambda: any("start-up" in m for _, m in logs))
    print(f"start-up (load, generate 3 sources, write): {(time.perf_counter() - start) * 1000:.0f} ms")

    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    await until(lambda: 1 in published)

    def change(version: int, new_text: str) -> None:
        client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": new_text}]},
        )

    # Diagnostics after a change: a small edit, then wait for that version's diagnostics.
    lines = text.split("\n")
    timings = []
    for version in range(2, 42):
        lines[10] = f"    y = {version}"
        sent = time.perf_counter()
        change(version, "\n".join(lines))
        await until(lambda: version in published)
        timings.append(published[version] - sent)
    print(
        f"diagnostics after a change ({text.count(chr(10))} lines, 1000 calls): "
        f"p50 {statistics.median(timings) * 1000:.1f} ms, p95 {percentile(timings, 95) * 1000:.1f} ms"
    )

    # Completion after `avo.` on a new line.
    lines.insert(20, "    avo.")
    version = 100
    change(version, "\n".join(lines))
    await until(lambda: version in published)
    timings = []
    count = 0
    for _ in range(100):
        sent = time.perf_counter()
        result = await client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 20, "character": 8}})
        timings.append(time.perf_counter() - sent)
        items = result["items"] if isinstance(result, dict) else result
        count = len(items or [])
    assert count == 2000, count
    print(f"completion after `avo.` ({count} items): p50 {statistics.median(timings) * 1000:.1f} ms, p95 {percentile(timings, 95) * 1000:.1f} ms")

    # Plan save: every source regenerated and the open file's diagnostics refreshed.
    timings = []
    for round_ in range(5):
        before_logs, before_pub = len(logs), len(published_any)
        plan.write_text(plan.read_text().replace("happened.", f"happened ({round_}).", 1))
        sent = time.perf_counter()
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri_of(plan)}})
        await until(lambda: any("wrote" in m for _, m in logs[before_logs:]) and len(published_any) > before_pub)
        done = max(logs[-1][0], published_any[-1])
        timings.append(done - sent)
    print(f"plan save -> 3 files regenerated, diagnostics refreshed: p50 {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")

    await client.stop()


if __name__ == "__main__":
    asyncio.run(main())
