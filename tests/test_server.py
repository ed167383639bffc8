"""The real server over stdio, in the neovim and VS Code capability sets."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from conftest import diagnostics_for, open_document, replace_document, summary, wait_for

E, W = lsp.DiagnosticSeverity.Error, lsp.DiagnosticSeverity.Warning


async def test_python_call_sites_get_every_code_at_the_exact_range(client: LanguageClient, workspace):
    uri = open_document(client, workspace / "backend" / "calls.py")
    diagnostics = await diagnostics_for(client, uri, version=1)
    assert summary(diagnostics) == [
        ("invalid-value", 12, 34, 12, 40, W),
        ("invalid-value", 12, 57, 12, 68, W),
        ("invalid-value", 13, 36, 13, 37, W),
        ("missing-property", 10, 4, 10, 11, E),
        ("missing-user-identity", 5, 8, 5, 22, E),
        ("missing-user-identity", 8, 8, 8, 22, E),
        ("unknown-argument", 11, 79, 11, 85, E),
        ("unknown-event", 9, 8, 9, 25, E),
    ]
    by_line = {d.range.start.line: d for d in diagnostics if d.code != "invalid-value"}
    assert by_line[5].message == (
        "`user_signed_up` is a server event of Backend: pass `user_id_` or `anonymous_id_`, or the event belongs to no user"
    )
    assert by_line[9].message == "`checkout_complete` is not an event of Backend in the tracking plan; did you mean `checkout_completed`?"
    assert by_line[10].message == "`checkout_started` (Checkout Started) needs `item_count`"
    assert by_line[11].message == "`subscription_changed` (Subscription Changed) takes no argument `coupon`"
    values = sorted((d.range.start.character, d.message) for d in diagnostics if d.code == "invalid-value")
    assert values == [
        (34, "`plan`: 'gold' is not an allowed value; expected one of 'free', 'pro', 'team'"),
        (36, "`item_count`: 0 is below the minimum 1"),
        (57, "`payment_method`: 'Apple Pay' is not an allowed value; expected one of 'Card', 'PayPal'"),
    ]
    assert all(d.source == "avo" for d in diagnostics)


async def test_typescript_and_javascript_call_sites(client: LanguageClient, workspace):
    ts = open_document(client, workspace / "web" / "src" / "calls.ts")
    js = open_document(client, workspace / "worker" / "calls.js")
    ts_diagnostics = await diagnostics_for(client, ts, version=1)
    assert summary(ts_diagnostics) == [
        ("invalid-value", 9, 35, 9, 38, W),
        ("missing-property", 7, 6, 7, 16, E),
        ("missing-user-id", 4, 2, 4, 10, E),
        ("unknown-argument", 8, 41, 8, 46, E),
        ("unknown-event", 6, 6, 6, 19, E),
    ]
    messages = {d.code: d.message for d in ts_diagnostics}
    assert messages["missing-user-id"] == "`userSignedUp` identifies the user (User Signed Up has the identify action): pass `userId_`"
    assert messages["invalid-value"] == "`itemCount`: 501 is above the maximum 500"
    assert messages["unknown-event"].endswith("did you mean `productSearched`?")
    js_diagnostics = await diagnostics_for(client, js, version=1)
    assert summary(js_diagnostics) == [("missing-user-identity", 3, 2, 3, 14, E)]
    assert js_diagnostics[0].message == (
        "`orderShipped` is a server event of Worker: pass `userId_`, or the event belongs to no user"
    )


async def test_the_example_has_exactly_its_one_deliberate_mistake(client: LanguageClient, workspace):
    from conftest import EXAMPLE

    for relative in ("backend/orders.py", "web/src/checkout.ts", "worker/jobs.js"):
        target = workspace / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((EXAMPLE / relative).read_text())
    orders = open_document(client, workspace / "backend/orders.py")
    checkout = open_document(client, workspace / "web/src/checkout.ts")
    jobs = open_document(client, workspace / "worker/jobs.js")
    assert summary(await diagnostics_for(client, orders, 1)) == [("missing-user-identity", 32, 8, 32, 22, E)]
    assert await diagnostics_for(client, checkout, 1) == []
    assert await diagnostics_for(client, jobs, 1) == []


async def test_diagnostics_follow_edits_and_are_cleared_on_close(client: LanguageClient, workspace):
    path = workspace / "backend" / "calls.py"
    uri = open_document(client, path)
    assert len(await diagnostics_for(client, uri, version=1)) == 8
    fixed = "from backend.analytics import avo\n\navo.user_signed_up(plan='pro', email='x', user_id_='u')\n"
    replace_document(client, uri, fixed, version=2)
    assert await diagnostics_for(client, uri, version=2) == []
    replace_document(client, uri, fixed.replace("user_id_='u'", "anonymous_id_=None"), version=3)
    assert summary(await diagnostics_for(client, uri, version=3)) == [("missing-user-identity", 2, 4, 2, 18, E)]
    path.write_text(fixed)  # saved, then closed: nothing is wrong on disk any more
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    await wait_for(lambda: list(client.diagnostics[uri]) == [], what="diagnostics cleared on close")


async def test_closing_an_unsaved_buffer_shows_the_file_on_disk_again(client: LanguageClient, workspace):
    path = workspace / "worker" / "calls.js"
    uri = open_document(client, path)
    assert len(await diagnostics_for(client, uri, version=1)) == 1
    replace_document(client, uri, "// nothing here yet\n", version=2)
    assert await diagnostics_for(client, uri, version=2) == []
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    # Workspace diagnostics: the closed file shows what is wrong on disk, without a version.
    await wait_for(lambda: client.diagnostic_versions.get(uri, 0) is None, what="diagnostics of the closed file")
    assert summary(client.diagnostics[uri]) == [("missing-user-identity", 3, 2, 3, 14, E)]


async def test_files_that_are_not_open_get_workspace_diagnostics(client: LanguageClient, workspace):
    uri = from_fs_path(str(workspace / "web" / "src" / "calls.ts"))
    await wait_for(lambda: uri in client.diagnostics, what="diagnostics of a file never opened")
    assert client.diagnostic_versions[uri] is None
    assert [d.code for d in sorted(client.diagnostics[uri], key=lambda d: d.range.start.line)] == [
        "missing-user-id",
        "unknown-event",
        "missing-property",
        "unknown-argument",
        "invalid-value",
    ]


async def test_startup_generates_the_code_and_says_so(client: LanguageClient, workspace):
    line = await wait_for(
        lambda: next((m.message for m in client.log_messages if m.message.startswith("avo: start-up:")), None),
        what="the log line",
    )
    assert line == "avo: start-up: wrote backend/analytics/avo.py, worker/avo.js, web/src/Avo.ts"
    for path in ("backend/analytics/avo.py", "worker/avo.js", "web/src/Avo.ts"):
        assert (workspace / path).read_text().startswith("// This file is generated by avo-lsp" if path[-1] != "y" else "# This file is generated by avo-lsp")
    if client.capabilities.window and client.capabilities.window.work_done_progress:
        [reports] = [r for r in client.progress_reports.values() if r and r[0].title == "Avo: generating code"]
        assert [type(r).__name__ for r in reports] == ["WorkDoneProgressBegin", "WorkDoneProgressEnd"]
    else:
        assert client.progress_reports == {}


async def test_renaming_an_event_on_disk_regenerates_and_flags_old_calls(client: LanguageClient, workspace):
    generated = workspace / "backend" / "analytics" / "avo.py"
    await wait_for(generated.exists, what="generated Python")
    uri = open_document(client, workspace / "backend" / "calls.py")
    assert len(await diagnostics_for(client, uri, version=1)) == 8
    plan = workspace / "avo.yaml"
    plan.write_text(plan.read_text().replace("  User Signed Up:", "  Account Created:"))
    await wait_for(lambda: "def account_created(" in generated.read_text(), what="regenerated code")
    assert "def user_signed_up(" not in generated.read_text()
    diagnostics = await wait_for(
        lambda: [d for d in client.diagnostics.get(uri, []) if d.code == "unknown-event" and d.range.start.line == 5],
        what="unknown-event on the renamed event",
    )
    assert diagnostics[0].message == "`user_signed_up` is not an event of Backend in the tracking plan"


async def test_a_broken_plan_gets_diagnostics_and_leaves_generated_files_alone(client: LanguageClient, workspace):
    generated = workspace / "backend" / "analytics" / "avo.py"
    await wait_for(generated.exists, what="generated Python")
    before = generated.read_text()
    plan = workspace / "avo.yaml"
    plan_uri = open_document(client, plan)
    broken = plan.read_text().replace("    type: float\n", "    type: decimal\n", 1)
    replace_document(client, plan_uri, broken, version=2)
    plan.write_text(broken)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=plan_uri)))
    diagnostics = await diagnostics_for(client, plan_uri, version=2)
    assert summary(diagnostics) == [("plan-schema", 30, 10, 30, 17, E)]
    assert diagnostics[0].message == "type must be one of string, int, float, bool, object, any, not 'decimal'"
    await wait_for(
        lambda: any("no file was regenerated" in m.message for m in client.log_messages), what="the refusal in the log"
    )
    assert generated.read_text() == before


@pytest.mark.parametrize("init_options", [{"debounceMs": 0, "regenerate": "onChange"}])
async def test_on_change_regenerates_from_the_unsaved_buffer(client: LanguageClient, workspace, init_options):
    generated = workspace / "web" / "src" / "Avo.ts"
    await wait_for(generated.exists, what="generated TypeScript")
    plan = workspace / "avo.yaml"
    plan_uri = open_document(client, plan)
    replace_document(client, plan_uri, plan.read_text().replace("  Product Searched:", "  Product Found:"), version=2)
    await wait_for(lambda: "productFound" in generated.read_text(), what="regenerated from the buffer")
    assert "Product Searched" in plan.read_text()  # the plan on disk is untouched


async def test_the_generate_command(client: LanguageClient, workspace):
    generated = workspace / "worker" / "avo.js"
    await wait_for(generated.exists, what="generated JavaScript")
    generated.unlink()
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="avo.generate"))
    assert result["written"] == [str(generated)]
    assert len(result["unchanged"]) == 2
    assert generated.exists()


async def test_the_plan_watcher_is_registered_only_where_supported(client: LanguageClient, workspace):
    await wait_for(lambda: (workspace / "worker" / "avo.js").exists(), what="start-up")
    caps = client.capabilities.workspace.did_change_watched_files
    if caps and caps.dynamic_registration:
        [registration] = client.registrations
        assert registration.method == "workspace/didChangeWatchedFiles"
        assert [w["globPattern"] for w in registration.register_options["watchers"]] == [
            "**/avo.yaml",
            "**/avo.yml",
            "**/*.{py,pyi,ts,mts,cts,tsx,js,mjs,cjs,jsx}",
        ]
    else:
        assert client.registrations == []


@pytest.mark.parametrize("init_options", [{"debounceMs": "soon", "severity": {"invalid-value": "off", "missing-user-identity": "hint"}, "colour": "red"}])
async def test_bad_settings_get_a_message_and_the_default(client: LanguageClient, workspace, init_options):
    uri = open_document(client, workspace / "backend" / "calls.py")
    diagnostics = await diagnostics_for(client, uri, version=1)
    codes = {d.code: d.severity for d in diagnostics}
    assert "invalid-value" not in codes
    assert codes["missing-user-identity"] == lsp.DiagnosticSeverity.Hint
    messages = [m.message for m in client.log_messages]
    assert "avo.debounceMs must be a number from 0 to 10000, not 'soon'; using 100" in messages
    assert "unknown avo setting 'colour'; known settings: planPath, regenerate, debounceMs, severity" in messages


async def test_the_server_survives_garbage(client: LanguageClient, workspace):
    garbage = workspace / "backend" / "garbage.py"
    uri = open_document(client, garbage, text="from backend.analytics import avo\n\x00\x01 avo.(((( ]]] \ufffd" * 50)
    await diagnostics_for(client, uri, version=1)
    binary = open_document(client, workspace / "web" / "src" / "blob.ts", text="import Avo from './Avo'\n" + "\udcff\x00" * 100)
    await diagnostics_for(client, binary, version=1)
    plan_uri = open_document(client, workspace / "avo.yaml", text="{{{{ not: yaml: at: all")
    assert (await diagnostics_for(client, plan_uri, version=1))[0].code == "plan-syntax"
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=9999, character=9999))
    )
    assert result is None or list(getattr(result, "items", result)) == []
    # Still alive and answering; closing the plan buffer brings back the plan on disk.
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=plan_uri)))
    # (The plan on disk is reloaded in the background: diagnostics computed against the
    # broken buffer may come first, then the real ones.)
    calls = open_document(client, workspace / "backend" / "calls.py")
    codes = await wait_for(lambda: {d.code for d in client.diagnostics.get(calls, [])}, what="calls.py diagnostics")
    assert "missing-user-identity" in codes
