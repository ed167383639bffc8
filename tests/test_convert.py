"""Core results -> LSP (avo_lsp.convert): positions in the client's units and the
completion list's JSON, which the server sends as it is."""

from __future__ import annotations

import json

import pytest
from lsprotocol import converters
from lsprotocol import types as lsp
from pygls.workspace import PositionCodec

from avo_lsp import convert
from avo_lsp.plan import Span
from avo_lsp.service.completion import Completion, Completions

UTF16 = PositionCodec(lsp.PositionEncodingKind.Utf16)
UTF8 = PositionCodec(lsp.PositionEncodingKind.Utf8)
UTF32 = PositionCodec(lsp.PositionEncodingKind.Utf32)

# "é" is one UTF-16 unit and two UTF-8 bytes; "😀" is two UTF-16 units and four bytes.
LINES = ["x = 'é😀'; avo.checkout_completed()", "plain"]
CALL = LINES[0].index("avo")  # 10 code points


@pytest.mark.parametrize("codec, units", [(UTF16, CALL + 1), (UTF8, CALL + 1 + 3), (UTF32, CALL)])
def test_positions_in_the_clients_units(codec: PositionCodec, units: int) -> None:
    assert convert.client_units(0, CALL, LINES, codec) == units
    assert convert.from_position(lsp.Position(line=0, character=units), LINES, codec) == (0, CALL)
    assert convert.to_range(Span(0, CALL, 1, 5), LINES, codec) == lsp.Range(
        start=lsp.Position(line=0, character=units), end=lsp.Position(line=1, character=5)
    )


def test_positions_past_the_end_are_clamped() -> None:
    assert convert.from_position(lsp.Position(line=9, character=99), LINES, UTF16) == (1, 5)
    assert convert.from_position(lsp.Position(line=0, character=999), LINES, UTF16) == (0, len(LINES[0]))
    assert convert.from_position(lsp.Position(line=0, character=0), [], UTF16) == (0, 0)


def _function(i: int) -> Completion:
    return Completion(
        label=f"event_{i}",
        kind="function",
        detail=f"event_{i}(*, n: int) -> None",
        documentation=f"**Event {i}**",
        insert_text=f"event_{i}",
        snippet=f"event_{i}(n=${{1}})",
    )


def _range(line: int, start: int, end: int) -> dict:
    return {"start": {"line": line, "character": start}, "end": {"line": line, "character": end}}


LONG = tuple(_function(i) for i in range(150))  # long enough to be remembered
CODE_LINES = ["avo.", "    avo.ev"]


def test_completion_list_with_a_range_per_item() -> None:
    found = Completions(Span(1, 8, 1, 10), LONG)
    sent = json.loads(convert.completion_list(found, CODE_LINES, UTF16, True, True, False, item_defaults=False))
    assert sent["isIncomplete"] is False and "itemDefaults" not in sent
    assert len(sent["items"]) == 150
    assert sent["items"][7] == {
        "label": "event_7",
        "kind": lsp.CompletionItemKind.Function.value,
        "detail": "event_7(*, n: int) -> None",
        "insertTextFormat": lsp.InsertTextFormat.Snippet.value,
        "textEdit": {"range": _range(1, 8, 10), "newText": "event_7(n=${1})"},
    }
    # The same items at another position: the remembered encoding takes the new range.
    again = json.loads(convert.completion_list(Completions(Span(0, 4, 0, 4), LONG), CODE_LINES, UTF16, True, True, False, False))
    assert {json.dumps(item["textEdit"]["range"]) for item in again["items"]} == {json.dumps(_range(0, 4, 4))}


def test_completion_list_with_item_defaults() -> None:
    found = Completions(Span(1, 8, 1, 10), LONG)
    sent = json.loads(convert.completion_list(found, CODE_LINES, UTF16, True, True, False, item_defaults=True))
    assert sent["itemDefaults"] == {"editRange": _range(1, 8, 10), "insertTextFormat": lsp.InsertTextFormat.Snippet.value}
    assert sent["items"][7] == {
        "label": "event_7",
        "kind": lsp.CompletionItemKind.Function.value,
        "detail": "event_7(*, n: int) -> None",
        "textEditText": "event_7(n=${1})",
    }
    # It is a valid CompletionList of the protocol, as a typed client reads it.
    parsed = converters.get_converter().structure(sent, lsp.CompletionList)
    assert parsed.item_defaults.edit_range == lsp.Range(start=lsp.Position(line=1, character=8), end=lsp.Position(line=1, character=10))
    assert parsed.items[7].text_edit_text == "event_7(n=${1})"


def test_completion_list_without_snippets_mixes_formats_correctly() -> None:
    # Plain text everywhere: the default format is plain, and the text is the name.
    found = Completions(Span(0, 4, 0, 4), LONG)
    sent = json.loads(convert.completion_list(found, CODE_LINES, UTF16, False, False, True, item_defaults=True))
    assert sent["itemDefaults"]["insertTextFormat"] == lsp.InsertTextFormat.PlainText.value
    assert sent["items"][0] == {
        "label": "event_0",
        "kind": lsp.CompletionItemKind.Function.value,
        "detail": "event_0(*, n: int) -> None",
        "documentation": {"kind": "plaintext", "value": "**Event 0**"},
    }
    # One plain item among snippets keeps its own format.
    mixed = (_function(0), Completion("n", "argument", "n: int", "", "n=", None, "00001"))
    sent = json.loads(convert.completion_list(Completions(Span(0, 4, 0, 4), mixed), CODE_LINES, UTF16, True, True, True, True))
    assert sent["itemDefaults"]["insertTextFormat"] == lsp.InsertTextFormat.Snippet.value
    assert sent["items"][1] == {
        "label": "n",
        "kind": lsp.CompletionItemKind.Variable.value,
        "detail": "n: int",
        "sortText": "00001",
        "insertTextFormat": lsp.InsertTextFormat.PlainText.value,
        "textEditText": "n=",
    }


def test_nothing_to_complete() -> None:
    assert json.loads(convert.completion_list(Completions(None, ()), CODE_LINES, UTF16, True, True, True, True)) == {
        "isIncomplete": False,
        "items": [],
    }
