"""The server's own bookkeeping, below the protocol: a save reported several ways is
loaded once, a snapshot is written once, and a setting the client drops goes back.
The server runs without a client here (what it would send goes nowhere)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from avo_lsp import server as server_module
from avo_lsp.server import AvoLanguageServer

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shop"


@pytest.fixture
def ls(tmp_path: Path, monkeypatch) -> AvoLanguageServer:
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    instance = AvoLanguageServer()
    params = lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=root.as_uri(), initialization_options={"debounceMs": 0})
    for _ in instance.protocol.lsp_initialize(params):  # pygls's part: the workspace
        pass
    server_module.initialize(instance, params)  # ours: the root, the settings, the plan
    monkeypatch.setattr(instance, "start_indexing", lambda: None)  # no workspace scan
    return instance


def count_calls(monkeypatch, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(server_module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(server_module, name, counted)
    return calls


async def test_reloads_of_one_text_share_one_load(ls: AvoLanguageServer, monkeypatch) -> None:
    from_disk, from_text = count_calls(monkeypatch, "load_plan"), count_calls(monkeypatch, "load_plan_text")
    text = ls.plan_path.read_text()
    # didSave (the text read from disk), a file event and the watcher (the disk), at once.
    results = await asyncio.gather(ls.reload_plan(text), ls.reload_plan(), ls.reload_plan())
    assert results == [True, True, True]
    assert (len(from_disk), len(from_text)) == (0, 1)
    assert ls.project is not None and ls.plan_text == text
    # A different text is a load of its own.
    await ls.reload_plan(text.replace("A shopper ran a search.", "A shopper searched."))
    assert len(from_text) == 2


async def test_a_snapshot_is_written_once_unless_asked_again(ls: AvoLanguageServer, monkeypatch) -> None:
    generated = count_calls(monkeypatch, "generate")
    await ls.reload_plan()
    # Three reports of one change while the first writing is under way: one writing.
    outcomes = await asyncio.gather(ls.regenerate("a"), ls.regenerate("b"), ls.regenerate("c", again=True))
    assert len(generated) == 1 and outcomes[0] is outcomes[1] is outcomes[2]
    await ls.regenerate("the watcher again")  # the same snapshot, already written
    assert len(generated) == 1
    (ls.root / "worker" / "avo.js").unlink()
    outcomes = await ls.regenerate("a save of the unchanged plan", again=True)
    assert len(generated) == 2 and [o.status for o in outcomes].count("written") == 1
    assert (ls.root / "worker" / "avo.js").exists()


def test_a_setting_the_client_drops_goes_back(ls: AvoLanguageServer) -> None:
    ls.apply_settings({"regenerate": "off", "severity": {"invalid-value": "off"}})
    assert (ls.settings.regenerate, dict(ls.settings.severity)) == ("off", {"invalid-value": "off"})
    ls.apply_settings({})  # the user removed both
    assert (ls.settings.regenerate, dict(ls.settings.severity), ls.settings.debounce_ms) == ("onSave", {}, 0)
