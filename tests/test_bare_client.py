"""The real server and a client that declares no optional capability at all: no
snippets, no markdown, no progress, no `workspace/configuration`, no dynamic
registration, no position encoding (so UTF-16). Every "only where supported" branch of
the server takes its other side here; pytest-lsp turns a request the client did not
declare into an `LspSpecificationWarning`, which the suite treats as an error."""

from __future__ import annotations

import sys

import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient

from conftest import diagnostics_for, open_document, record_server_requests, replace_document, summary, wait_for

E = lsp.DiagnosticSeverity.Error


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "avo_lsp", "serve"]))
async def bare(lsp_client: LanguageClient, workspace):
    record_server_requests(lsp_client)
    uri = from_fs_path(str(workspace))
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=uri,
            workspace_folders=[lsp.WorkspaceFolder(uri=uri, name="ws")],
            initialization_options={"debounceMs": 0},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_completion_is_plain_text(bare: LanguageClient, workspace):
    path = workspace / "backend" / "calls.py"
    uri = open_document(bare, path, path.read_text() + "    avo.\n")
    result = await bare.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=15, character=8))
    )
    assert result.item_defaults is None
    item = {i.label: i for i in result.items}["checkout_started"]
    assert item.insert_text_format == lsp.InsertTextFormat.PlainText
    assert item.text_edit == lsp.TextEdit(
        range=lsp.Range(start=lsp.Position(line=15, character=8), end=lsp.Position(line=15, character=8)), new_text="checkout_started"
    )
    assert item.documentation.kind == lsp.MarkupKind.PlainText
    assert item.documentation.value.startswith("**Checkout Started** (source Backend, server)")


async def test_hover_is_plain_text(bare: LanguageClient, workspace):
    uri = open_document(bare, workspace / "backend" / "calls.py")
    hover = await bare.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=5, character=12))
    )
    assert hover.contents.kind == lsp.MarkupKind.PlainText
    assert hover.contents.value.startswith("### User Signed Up\n\nAn account was created.")


async def test_no_progress_no_configuration_no_registration(bare: LanguageClient, workspace):
    line = await wait_for(
        lambda: next((m.message for m in bare.log_messages if m.message.startswith("avo: start-up:")), None), what="start-up"
    )
    assert line == "avo: start-up: wrote backend/analytics/avo.py, worker/avo.js, web/src/Avo.ts"
    await wait_for(lambda: any(m.message.startswith("avo: indexed") for m in bare.log_messages), what="the index")
    assert bare.progress_reports == {}
    assert (bare.registrations, bare.code_lens_refreshes) == ([], 0)


async def test_columns_after_an_emoji_are_utf16_units(bare: LanguageClient, workspace):
    path = workspace / "backend" / "emoji.py"
    text = 'from backend.analytics import avo\n\nnote = "😀"; avo.user_signed_up(plan="free", email="a@b.c")\n'
    uri = open_document(bare, path, text)
    # "😀" is one code point but two UTF-16 units: the callee starts at column 17, not 16.
    assert text.split("\n")[2].index("user_signed_up") == 16
    assert summary(await diagnostics_for(bare, uri)) == [("missing-user-identity", 2, 17, 2, 31, E)]


async def test_quick_edits_never_publish_an_older_version(bare: LanguageClient, workspace):
    path = workspace / "backend" / "calls.py"
    uri = open_document(bare, path)
    await diagnostics_for(bare, uri, version=1)
    seen: list[int | None] = []
    record = bare.protocol.fm.features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def publish(params: lsp.PublishDiagnosticsParams) -> None:
        if params.uri == uri:
            seen.append(params.version)
        record(params)

    bare.protocol.fm.features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    text = path.read_text()
    for version in range(2, 12):  # faster than the server can analyse each
        replace_document(bare, uri, text + "\n" * version, version)
    await wait_for(lambda: seen and seen[-1] == 11, what="the last version's diagnostics")
    assert seen == sorted(seen), seen  # a version may come twice (the index finishing), never after a newer one
    assert len(bare.diagnostics[uri]) == 8


async def test_the_extension_decides_the_language_over_a_wrong_language_id(bare: LanguageClient, workspace):
    # Eglot 1.9 sends every buffer of a server with the language id of the first one.
    path = workspace / "worker" / "calls.js"
    uri = from_fs_path(str(path))
    bare.text_document_did_open(
        lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=path.read_text()))
    )
    assert summary(await diagnostics_for(bare, uri, version=1)) == [("missing-user-identity", 3, 2, 3, 14, E)]
