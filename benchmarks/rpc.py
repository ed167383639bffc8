"""A bare JSON-RPC client over a server's stdio, for the LSP benchmarks.

Editors parse the server's JSON natively (V8's JSON.parse in VS Code, a C decoder in
Neovim) and do not turn it into Python objects; pygls's own client structures every
message with cattrs, which for a list of 2,000 completion items costs more than the
server's work. This client reads the frames and `json.loads` them, like an editor, so
the figures are the server's and the wire's.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Callable


class RpcClient:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self._next_id = 0
        self._waiting: dict[int, asyncio.Future] = {}
        self._handlers: dict[str, Callable[[Any], None]] = {}
        self._reader: asyncio.Task | None = None

    def on(self, method: str, handler: Callable[[Any], None]) -> None:
        """Call `handler(params)` for each notification `method` from the server."""
        self._handlers[method] = handler

    async def start(self, *command: str) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26
        )
        self._reader = asyncio.get_running_loop().create_task(self._read())

    def _send(self, message: dict) -> None:
        assert self.process is not None and self.process.stdin is not None
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: Any = None) -> Any:
        self._next_id += 1
        future = asyncio.get_running_loop().create_future()
        self._waiting[self._next_id] = future
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return await future

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        while True:
            length = None
            while True:
                line = await stdout.readline()
                if not line:
                    return  # the server exited
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is None:
                print("rpc: a frame without Content-Length", file=sys.stderr)
                return
            message = json.loads(await stdout.readexactly(length))
            if "method" in message and "id" in message:
                # A request of the server's (configuration, progress...): the benchmark
                # client advertises none of them, so answer null.
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" in message:
                handler = self._handlers.get(message["method"])
                if handler is not None:
                    handler(message.get("params"))
            else:
                future = self._waiting.pop(message["id"], None)
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(RuntimeError(message["error"]))
                    else:
                        future.set_result(message.get("result"))

    async def stop(self) -> None:
        await self.request("shutdown")
        self.notify("exit")
        assert self.process is not None
        await asyncio.wait_for(self.process.wait(), 10)
        if self._reader is not None:
            self._reader.cancel()
