"""How avo-lsp runs Python's cyclic garbage collector.

Loading a plan and analysing a file each build tens of thousands of small immutable
objects (nodes, spans, call sites), none in a reference cycle, so refcounting frees them.
The cyclic collector would walk them again and again as they pile up: a 2,000-event plan
loads in less than half the time without it. So:

- `gc_paused()` pauses it around such work, and turns it on again when the last of the
  pauses running in parallel threads ends, if it was on before the first;
- `tune()` raises its thresholds for the whole process (the CLI and the server): with
  the defaults, a full collection, which walks the whole plan snapshot too, runs every
  few analyses of a big file, a 30-50 ms stall in the middle of a keystroke's
  diagnostics. Young collections stay frequent enough to keep what cyclic garbage there
  is (asyncio's futures and tracebacks) small.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

THRESHOLDS = (50_000, 20, 100)  # the defaults are (700, 10, 10)

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def tune() -> None:
    gc.set_threshold(*THRESHOLDS)
