"""Shared fixtures: a copy of the test workspace on disk and the real server over stdio."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Callable

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "shop"
WORKSPACE = Path(__file__).parent / "workspace"
CLIENTS = ["neovim", "visual_studio_code"]

LANGUAGE_IDS = {".py": "python", ".ts": "typescript", ".js": "javascript", ".yaml": "yaml", ".tsx": "typescriptreact"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The test workspace (the example's plan, calls of every kind) in a fresh folder."""
    root = tmp_path / "ws"
    shutil.copytree(WORKSPACE, root)
    shutil.copy(EXAMPLE / "avo.yaml", root / "avo.yaml")
    return root


@pytest.fixture
def init_options() -> dict:
    return {"debounceMs": 0}


def record_server_requests(lsp_client: LanguageClient) -> None:
    """Handlers the test client lacks, which record what the server asked: watcher
    registrations, code lens refreshes, and the version of each diagnostics publication
    ("never stale" is about versions)."""
    registrations: list[lsp.Registration] = []

    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: lsp.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    lsp_client.registrations = registrations  # type: ignore[attr-defined]
    lsp_client.code_lens_refreshes = 0  # type: ignore[attr-defined]

    @lsp_client.feature(lsp.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        lsp_client.code_lens_refreshes += 1  # type: ignore[attr-defined]

    lsp_client.diagnostic_versions = versions = {}  # type: ignore[attr-defined]
    features = lsp_client.protocol.fm.features
    record = features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def publish_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        versions[params.uri] = params.version
        record(params)

    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish_diagnostics


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "avo_lsp", "serve"]),
    params=CLIENTS,
)
async def client(lsp_client: LanguageClient, request, workspace: Path, init_options: dict):
    record_server_requests(lsp_client)
    lsp_client.set_configuration({}, section="avo")
    uri = from_fs_path(str(workspace))
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=uri,
            workspace_folders=[lsp.WorkspaceFolder(uri=uri, name="ws")],
            initialization_options=init_options,
        )
    )
    yield
    await lsp_client.shutdown_session()


async def wait_for(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    """Poll until `predicate()` is truthy; return its value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def open_document(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = from_fs_path(str(path))
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri,
                language_id=LANGUAGE_IDS.get(path.suffix, "plaintext"),
                version=version,
                text=path.read_text() if text is None else text,
            )
        )
    )
    return uri


def replace_document(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def diagnostics_for(client: LanguageClient, uri: str, version: int | None = None, timeout: float = 10.0):
    """The diagnostics published for `uri` (for `version`, when given)."""

    def ready():
        if uri not in client.diagnostics:
            return None
        if version is not None and client.diagnostic_versions.get(uri) != version:
            return None
        return True

    await wait_for(ready, timeout, f"diagnostics of {uri}")
    return list(client.diagnostics[uri])


def summary(diagnostics) -> list[tuple]:
    """(code, start line, start col, end line, end col, severity) of each diagnostic."""
    return sorted(
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, d.severity)
        for d in diagnostics
    )
