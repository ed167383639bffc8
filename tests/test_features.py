"""From plan to code and back, through the real server: hover, signature help, go to
definition, references, quick fixes, code lens, symbols and completion."""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient

from conftest import diagnostics_for, open_document, replace_document, summary, wait_for


def at(uri: str, line: int, character: int) -> dict:
    return {"text_document": lsp.TextDocumentIdentifier(uri=uri), "position": lsp.Position(line=line, character=character)}


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions; the test files are ASCII)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = offsets[edit.range.start.line] + edit.range.start.character
        end = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:start] + edit.new_text + text[end:]
    return text


def effective_edit(result: lsp.CompletionList, item: lsp.CompletionItem) -> tuple[lsp.InsertTextFormat | None, lsp.Range, str]:
    """(format, range, text) that the client inserts for `item`, with the list's
    `itemDefaults` applied as the specification says."""
    defaults = result.item_defaults
    if item.text_edit is not None:
        return item.insert_text_format, item.text_edit.range, item.text_edit.new_text
    assert defaults is not None and isinstance(defaults.edit_range, lsp.Range), "an item with no edit and no default range"
    text = item.text_edit_text if item.text_edit_text is not None else item.label
    return item.insert_text_format or defaults.insert_text_format, defaults.edit_range, text


async def test_completion_after_the_module_alias(client: LanguageClient, workspace):
    path = workspace / "backend" / "calls.py"
    text = path.read_text() + "    avo.\n"
    uri = open_document(client, path, text)
    result = await client.text_document_completion_async(lsp.CompletionParams(**at(uri, 15, 8)))
    by_label = {item.label: item for item in result.items}
    assert sorted(by_label) == ["checkout_completed", "checkout_started", "subscription_changed", "user_signed_up"]
    item = by_label["checkout_started"]
    assert item.kind == lsp.CompletionItemKind.Function
    # Neovim 0.11 takes the range and format once for the list; VS Code 1.65, per item.
    defaults = client.capabilities.text_document.completion.completion_list
    assert (result.item_defaults is not None) == bool(defaults and "editRange" in (defaults.item_defaults or ()))
    here = lsp.Range(start=lsp.Position(line=15, character=8), end=lsp.Position(line=15, character=8))
    if client.capabilities.text_document.completion.completion_item.snippet_support:
        snippet = "checkout_started(item_count=${1}, item_ids=${2}, user_id_=${3})"
        assert effective_edit(result, item) == (lsp.InsertTextFormat.Snippet, here, snippet)
    else:
        assert effective_edit(result, item) == (lsp.InsertTextFormat.PlainText, here, "checkout_started")
    assert "The shopper opened checkout." in item.documentation.value


async def test_completion_of_arguments_and_allowed_values_in_typescript(client: LanguageClient, workspace):
    path = workspace / "web" / "src" / "calls.ts"
    text = path.read_text().replace('Avo.cartViewed({ pageName: "cart" });', 'Avo.cartViewed({ pageName: "cart",  });')
    text = text.replace('signedUp({ plan: "pro", email: "a@b.c" });', 'signedUp({ plan: "", email: "a@b.c" });')
    uri = open_document(client, path, text)
    arguments = await client.text_document_completion_async(lsp.CompletionParams(**at(uri, 7, 37)))
    assert [item.label for item in arguments.items] == ["itemCount"]
    values = await client.text_document_completion_async(lsp.CompletionParams(**at(uri, 4, 20)))
    assert [item.label for item in values.items] == ["free", "pro", "team"]


async def test_hover_on_a_call_shows_the_event(client: LanguageClient, workspace):
    uri = open_document(client, workspace / "worker" / "calls.js")
    hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 3, 5)))
    assert hover.range == lsp.Range(start=lsp.Position(line=3, character=2), end=lsp.Position(line=3, character=14))
    assert hover.contents.value == (
        "### Order Shipped\n\n"
        "The warehouse handed the order to the carrier.\n\n"
        "`orderShipped`: event function of the Worker source (`worker/avo.js`)\n\n"
        "Sources: Worker (server, javascript)\n\n"
        "Actions: log_event\n\n"
        "| parameter | type | required | allowed values | min | max |\n"
        "|---|---|---|---|---|---|\n"
        "| `orderId` | string | yes |  |  |  |\n"
        "| `userId_` | string | yes |  |  |  |\n\n"
        "Identity: `userId_` is required (this source sends no anonymous ids).\n\n"
        'Always sent (pinned): Country = `"DE"`'
    )


async def test_definition_goes_from_the_call_and_the_argument_to_the_plan(client: LanguageClient, workspace):
    uri = open_document(client, workspace / "web" / "src" / "calls.ts")
    plan_uri = from_fs_path(str(workspace / "avo.yaml"))
    event = await client.text_document_definition_async(lsp.DefinitionParams(**at(uri, 5, 8)))
    assert event == lsp.Location(uri=plan_uri, range=lsp.Range(start=lsp.Position(line=108, character=2), end=lsp.Position(line=108, character=16)))
    prop = await client.text_document_definition_async(lsp.DefinitionParams(**at(uri, 5, 22)))
    assert prop == lsp.Location(uri=plan_uri, range=lsp.Range(start=lsp.Position(line=57, character=2), end=lsp.Position(line=57, character=6)))


async def test_signature_help_marks_the_active_parameter(client: LanguageClient, workspace):
    uri = open_document(client, workspace / "backend" / "calls.py")
    help_ = await client.text_document_signature_help_async(lsp.SignatureHelpParams(**at(uri, 13, 42)))
    [signature] = help_.signatures
    assert signature.label.startswith("checkout_started(*, item_count: int, item_ids: list[str]")
    active = signature.parameters[help_.active_parameter].label
    assert signature.label[active[0] : active[1]].startswith("item_ids")


async def test_references_of_an_event_in_every_language(client: LanguageClient, workspace):
    plan_uri = open_document(client, workspace / "avo.yaml")
    await wait_for(lambda: any(m.message.startswith("avo: indexed") for m in client.log_messages), what="the index")
    found = await client.text_document_references_async(
        lsp.ReferenceParams(**at(plan_uri, 80, 5), context=lsp.ReferenceContext(include_declaration=False))
    )
    assert [(loc.uri.rsplit("/ws/", 1)[1], loc.range.start.line, loc.range.start.character) for loc in found] == [
        ("backend/calls.py", 10, 4),
        ("backend/calls.py", 13, 8),
        ("web/src/calls.ts", 9, 6),
    ]


async def test_hover_on_a_plan_property_shows_its_definition_and_its_events(client: LanguageClient, workspace):
    plan_uri = open_document(client, workspace / "avo.yaml")
    hover = await client.text_document_hover_async(lsp.HoverParams(**at(plan_uri, 26, 4)))
    assert hover.range == lsp.Range(start=lsp.Position(line=26, character=2), end=lsp.Position(line=26, character=10))
    assert hover.contents.value == "### Order Id\n\nUnique id of the order.\n\n- type: string\n\nUsed by: Checkout Completed, Order Shipped"


async def test_references_with_the_declaration_in_javascript(client: LanguageClient, workspace):
    plan_uri = open_document(client, workspace / "avo.yaml")
    found = await client.text_document_references_async(
        lsp.ReferenceParams(**at(plan_uri, 101, 4), context=lsp.ReferenceContext(include_declaration=True))
    )
    assert [(loc.uri.rsplit("/ws/", 1)[1], loc.range.start.line, loc.range.start.character, loc.range.end.character) for loc in found] == [
        ("avo.yaml", 101, 2, 15),  # `Order Shipped:` in the plan
        ("worker/calls.js", 3, 2, 14),
        ("worker/calls.js", 4, 2, 14),
    ]


async def fixes_for(client: LanguageClient, uri: str, diagnostic: lsp.Diagnostic) -> list[lsp.CodeAction]:
    return await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), range=diagnostic.range, context=lsp.CodeActionContext(diagnostics=[diagnostic])
        )
    )


async def test_quick_fixes_for_a_missing_property_and_a_misspelt_event(client: LanguageClient, workspace):
    path = workspace / "backend" / "calls.py"
    uri = open_document(client, path)
    diagnostics = await diagnostics_for(client, uri, version=1)
    [missing] = [d for d in diagnostics if d.code == "missing-property"]
    [action] = await fixes_for(client, uri, missing)
    assert action.title == "Add missing property `item_count`"
    text = apply(path.read_text(), action.edit.changes[uri])
    assert text.split("\n")[10] == "    started(item_ids=[], user_id_=user, item_count=1)"
    [misspelt] = [d for d in diagnostics if d.code == "unknown-event"]
    change, add = await fixes_for(client, uri, misspelt)
    assert (change.title, change.is_preferred) == ("Change to `checkout_completed`", True)
    assert add.title == "Add event 'Checkout Complete' to avo.yaml"
    text = apply(text, change.edit.changes[uri])
    assert text.split("\n")[9] == '    avo.checkout_completed(order_id="o-1")'
    replace_document(client, uri, text, version=2)
    codes = [(d.code, d.range.start.line) for d in await diagnostics_for(client, uri, version=2)]
    assert ("missing-property", 10) not in codes and ("unknown-event", 9) not in codes
    # The renamed call is now a real one, and says what it still lacks.
    assert ("missing-property", 9) in codes and ("missing-user-identity", 9) in codes


async def test_quick_fix_adds_an_unknown_event_to_the_plan(client: LanguageClient, workspace):
    path = workspace / "web" / "src" / "calls.ts"
    uri = open_document(client, path)
    [unknown] = [d for d in await diagnostics_for(client, uri, version=1) if d.code == "unknown-event"]
    _, add = await fixes_for(client, uri, unknown)
    plan = workspace / "avo.yaml"
    plan_uri = from_fs_path(str(plan))
    assert add.title == "Add event 'Product Search' to avo.yaml" and list(add.edit.changes) == [plan_uri]
    [edit] = add.edit.changes[plan_uri]
    assert edit.new_text == "  Product Search:\n    sources: [Web]\n    properties:\n      - Search Term\n"
    open_document(client, plan)
    replace_document(client, plan_uri, apply(plan.read_text(), [edit]), version=2)
    assert await diagnostics_for(client, plan_uri, version=2) == []  # the new event is a valid one
    await wait_for(
        lambda: not [d for d in client.diagnostics[uri] if d.code == "unknown-event"], what="the call of the new event accepted"
    )


async def test_quick_fix_for_a_missing_identity_makes_the_diagnostic_go_away(client: LanguageClient, workspace):
    path = workspace / "backend" / "calls.py"
    uri = open_document(client, path)
    diagnostics = await diagnostics_for(client, uri, version=1)
    [target] = [d for d in diagnostics if d.code == "missing-user-identity" and d.range.start.line == 5]
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=target.range,
            context=lsp.CodeActionContext(diagnostics=[target]),
        )
    )
    titles = [a.title for a in actions]
    assert titles[:2] == ["Add `user_id_=`", "Add `anonymous_id_=`"]
    fixed = apply(path.read_text(), actions[0].edit.changes[uri])
    assert fixed.split("\n")[5] == '    avo.user_signed_up(plan="free", email="a@b.c", user_id_=user_id)'
    replace_document(client, uri, fixed, version=2)
    after = await diagnostics_for(client, uri, version=2)
    assert ("missing-user-identity", 5) not in [(d.code, d.range.start.line) for d in after]
    assert len(after) == len(diagnostics) - 1


async def test_quick_fix_for_an_invalid_value(client: LanguageClient, workspace):
    path = workspace / "backend" / "calls.py"
    uri = open_document(client, path)
    diagnostics = await diagnostics_for(client, uri, version=1)
    [target] = [d for d in diagnostics if d.code == "invalid-value" and d.range.start.character == 34]
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), range=target.range, context=lsp.CodeActionContext(diagnostics=[target]))
    )
    assert [a.title for a in actions] == ['Replace with "free"', 'Replace with "pro"', 'Replace with "team"']
    fixed = apply(path.read_text(), actions[1].edit.changes[uri])
    replace_document(client, uri, fixed, version=2)
    after = await diagnostics_for(client, uri, version=2)
    # 'gold' became "pro": the other invalid value on the line moved one column left.
    assert [d.range.start.character for d in after if d.code == "invalid-value" and d.range.start.line == 12] == [56]


async def test_code_lens_counts_call_sites_and_follows_new_calls(client: LanguageClient, workspace):
    plan_uri = open_document(client, workspace / "avo.yaml")
    # Asked at once, while the workspace is still being scanned: the answer waits for
    # the scan rather than call every event "not implemented".
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=plan_uri)))
    titles = {lens.range.start.line: lens.command.title for lens in lenses}
    assert titles[80] == "Web: 1 call site · Backend: 2 call sites"
    assert titles[88] == "Backend: 1 call site · not implemented in Worker · Web: 1 call site"
    assert titles[101] == "Worker: 2 call sites"
    assert titles[113] == "not implemented in Web"
    new = workspace / "web" / "src" / "more.ts"
    new.write_text('import Avo from "./Avo";\nAvo.checkoutStarted({ itemCount: 1, itemIds: [] });\n')
    refreshes = client.code_lens_refreshes
    open_document(client, new)
    await wait_for(lambda: new.as_uri() in client.diagnostics, what="the new file analysed")
    # A client that can be told (VS Code) is asked to fetch the lenses again.
    if client.capabilities.workspace.code_lens and client.capabilities.workspace.code_lens.refresh_support:
        await wait_for(lambda: client.code_lens_refreshes > refreshes, what="workspace/codeLens/refresh")
    else:
        assert client.code_lens_refreshes == 0
    lenses = await client.text_document_code_lens_async(lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=plan_uri)))
    assert {lens.range.start.line: lens.command.title for lens in lenses}[80] == "Web: 2 call sites · Backend: 2 call sites"


async def test_symbols(client: LanguageClient, workspace):
    plan_uri = open_document(client, workspace / "avo.yaml")
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=plan_uri)))
    assert [s.name for s in symbols] == ["Sources", "Destinations", "Properties", "Events"]
    events = symbols[3]
    assert [c.name for c in events.children][:3] == ["Product Searched", "Cart Viewed", "Checkout Started"]
    found = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="chkcomp"))
    assert found[0].name == "Checkout Completed"
    assert found[0].location.range.start == lsp.Position(line=88, character=2)
