"""`avo-lsp check` and the server's initial index over a tree of 2,000 files (Python and
TypeScript, 10% of them calling the generated module).

    .venv/bin/python benchmarks/scan.py
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigplan import write_tree, write_workspace  # noqa: E402

FILES = 2000


async def server_index(folder: Path) -> float:
    client = LanguageClient("bench", "1")
    done = asyncio.get_running_loop().create_future()

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def on_log(params: lsp.LogMessageParams) -> None:
        if params.message.startswith("avo: indexed") and not done.done():
            done.set_result(time.perf_counter())

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params) -> None:
        pass

    await client.start_io(sys.executable, "-m", "avo_lsp", "serve")
    start = time.perf_counter()
    await client.initialize_async(
        lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(folder)), initialization_options={"regenerate": "off"})
    )
    client.initialized(lsp.InitializedParams())
    finished = await asyncio.wait_for(done, 120)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return finished - start


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="avo-scan-"))
    write_workspace(folder)
    write_tree(folder, FILES)
    subprocess.run([sys.executable, "-m", "avo_lsp", "generate"], cwd=folder, check=True, capture_output=True)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "avo_lsp", "check", "--format", "json"], cwd=folder, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(f"avo-lsp check, {FILES} files (process start and plan load included): {elapsed:.2f} s, {FILES / elapsed:.0f} files/s (exit {result.returncode})")
    elapsed = asyncio.run(server_index(folder))
    print(f"server start-up to a complete index, {FILES} files: {elapsed:.2f} s, {FILES / elapsed:.0f} files/s")


if __name__ == "__main__":
    main()
