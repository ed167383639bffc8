"""Core results -> LSP types. The only module besides `server` that imports lsprotocol.

The core speaks in `Span`s of code points; LSP positions are in the client's units
(UTF-16 unless negotiated otherwise), so every conversion goes through the text's lines
and pygls's position codec.
"""

from __future__ import annotations

import json
from typing import Sequence

from lsprotocol import types as lsp
from pygls.workspace import PositionCodec

from .analysis.checks import Finding
from .plan import PlanError, Span
from .service.completion import Completions
from .settings import Settings

SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "information": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def to_range(span: Span, lines: Sequence[str], codec: PositionCodec) -> lsp.Range:
    return lsp.Range(to_position(span.line, span.col, lines, codec), to_position(span.end_line, span.end_col, lines, codec))


def to_position(line: int, col: int, lines: Sequence[str], codec: PositionCodec) -> lsp.Position:
    return lsp.Position(line=line, character=client_units(line, col, lines, codec))


def client_units(line: int, col: int, lines: Sequence[str], codec: PositionCodec) -> int:
    """A code-point column in the client's units. Most lines are ASCII, where all three
    encodings agree; the rest are encoded once rather than counted char by char."""
    if line >= len(lines):
        return col
    prefix = lines[line][:col]
    if prefix.isascii() or codec.encoding == lsp.PositionEncodingKind.Utf32:
        return len(prefix)
    if codec.encoding == lsp.PositionEncodingKind.Utf8:
        return len(prefix.encode("utf-8"))
    return len(prefix.encode("utf-16-le", "surrogatepass")) // 2


def from_position(position: lsp.Position, lines: Sequence[str], codec: PositionCodec) -> tuple[int, int]:
    """A client position as (line, code-point column), clamped to the text."""
    if not lines:
        return 0, 0
    line = min(max(position.line, 0), len(lines) - 1)
    text = lines[line]
    units = 0
    for col, char in enumerate(text):
        if units >= position.character:
            return line, col
        units += codec.client_num_units(char)
    return line, len(text)


def _diagnostic(code: str, message: str, span: Span, default: str, data, settings: Settings, lines, codec) -> lsp.Diagnostic | None:
    level = settings.severity_of(code, default)
    if level == "off":
        return None
    return lsp.Diagnostic(
        range=to_range(span, lines, codec),
        message=message,
        severity=SEVERITY[level],
        code=code,
        source="avo",
        data=data,
    )


def finding_diagnostics(findings: Sequence[Finding], text: str, settings: Settings, codec: PositionCodec) -> list[lsp.Diagnostic]:
    lines = lines_of(text)
    result = (_diagnostic(f.code, f.message, f.span, f.severity, dict(f.data) or None, settings, lines, codec) for f in findings)
    return [d for d in result if d is not None]


def plan_diagnostics(errors: Sequence[PlanError], text: str, settings: Settings, codec: PositionCodec) -> list[lsp.Diagnostic]:
    lines = lines_of(text)
    result = (_diagnostic(e.code, e.message, e.span, "error", None, settings, lines, codec) for e in errors)
    return [d for d in result if d is not None]


def markup(markdown: str, use_markdown: bool = True) -> lsp.MarkupContent:
    return lsp.MarkupContent(kind=lsp.MarkupKind.Markdown if use_markdown else lsp.MarkupKind.PlainText, value=markdown)


def location(uri: str, span: Span, lines: Sequence[str], codec: PositionCodec) -> lsp.Location:
    return lsp.Location(uri=uri, range=to_range(span, lines, codec))


SYMBOL_KIND = {
    "group": lsp.SymbolKind.Namespace,
    "event": lsp.SymbolKind.Event,
    "property": lsp.SymbolKind.Property,
    "source": lsp.SymbolKind.Module,
    "destination": lsp.SymbolKind.Interface,
}


def document_symbol(symbol, lines: Sequence[str], codec: PositionCodec) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=symbol.name,
        detail=symbol.detail or None,
        kind=SYMBOL_KIND[symbol.kind],
        range=to_range(symbol.range, lines, codec),
        selection_range=to_range(symbol.span, lines, codec),
        children=[document_symbol(child, lines, codec) for child in symbol.children] or None,
    )


def signature_help(signature, use_markdown: bool) -> lsp.SignatureHelp:
    label = signature.label
    # Parameter offsets are code points into the label; LSP counts UTF-16 units.
    def units(offset: int) -> int:
        return len(label[:offset].encode("utf-16-le")) // 2

    parameters = [
        lsp.ParameterInformation(label=(units(p.start), units(p.end)), documentation=markup(p.documentation, use_markdown) if p.documentation else None)
        for p in signature.parameters
    ]
    info = lsp.SignatureInformation(
        label=label,
        documentation=markup(signature.documentation, use_markdown) if signature.documentation else None,
        parameters=parameters,
    )
    return lsp.SignatureHelp(signatures=[info], active_signature=0, active_parameter=signature.active_parameter)


COMPLETION_KIND = {
    "function": lsp.CompletionItemKind.Function,
    "argument": lsp.CompletionItemKind.Variable,
    "value": lsp.CompletionItemKind.Value,
    "property": lsp.CompletionItemKind.Property,
    "source": lsp.CompletionItemKind.Module,
    "destination": lsp.CompletionItemKind.Interface,
    "keyword": lsp.CompletionItemKind.Keyword,
    "type": lsp.CompletionItemKind.TypeParameter,
    "action": lsp.CompletionItemKind.EnumMember,
}


def completion_list(
    found: Completions,
    lines: Sequence[str],
    codec: PositionCodec,
    snippets: bool,
    use_markdown: bool,
    documentation: bool,
    item_defaults: bool,
) -> str:
    """A completion list as the JSON text the client receives.

    Encoded here, not through attrs objects and cattrs: the 2,000 events after `avo.`
    cost ~80 ms that way, more than the completion itself. The items do not depend on
    the position (they all replace `found.replace`), so their encoding is kept per
    snapshot (`_encoded_items`) and a request only adds the range: once, in
    `itemDefaults`, for a client that supports it, else in each item's `textEdit`."""
    if found.replace is None:
        return '{"isIncomplete":false,"items":[]}'
    replace = found.replace
    start = to_position(replace.line, replace.col, lines, codec)
    end = to_position(replace.end_line, replace.end_col, lines, codec)
    edit_range = (
        f'{{"start":{{"line":{start.line},"character":{start.character}}},'
        f'"end":{{"line":{end.line},"character":{end.character}}}}}'
    )
    pieces, default_format = _encoded_items(found.items, snippets, use_markdown, documentation, item_defaults)
    if item_defaults:
        return (
            f'{{"isIncomplete":false,"itemDefaults":{{"editRange":{edit_range},"insertTextFormat":{default_format}}},'
            f'"items":{pieces[0]}}}'
        )
    return f'{{"isIncomplete":false,"items":{edit_range.join(pieces)}}}'


_ENCODED: dict[tuple, tuple[tuple, tuple[str, ...], int]] = {}
_ENCODED_KEEP = 8  # lists kept: a few sources x the client's two modes (snippet or not)
_ENCODED_MIN = 100  # shorter lists are encoded afresh: cheaper than remembering them


def _encoded_items(
    items: tuple, snippets: bool, use_markdown: bool, documentation: bool, item_defaults: bool
) -> tuple[tuple[str, ...], int]:
    """The items' JSON array, cut where each item's range goes (`range.join(pieces)`);
    one piece with `item_defaults`, where items carry no range. And the insert text
    format most items use, for `itemDefaults`. Remembered by the identity of `items`:
    the service returns the same tuple for a source's functions until the plan changes."""
    key = (id(items), snippets, use_markdown, documentation, item_defaults)
    cached = _ENCODED.get(key)
    if cached is not None and cached[0] is items:
        return cached[1], cached[2]
    snippet_format, plain_format = lsp.InsertTextFormat.Snippet.value, lsp.InsertTextFormat.PlainText.value
    default_format = snippet_format if snippets and any(item.snippet for item in items) else plain_format
    markup_kind = "markdown" if use_markdown else "plaintext"
    pieces = []
    text = "["
    for i, item in enumerate(items):
        snippet = item.snippet if snippets else None
        entry: dict = {"label": item.label, "kind": COMPLETION_KIND.get(item.kind, lsp.CompletionItemKind.Text).value}
        if item.detail:
            entry["detail"] = item.detail
        if item.sort_text:
            entry["sortText"] = item.sort_text
        if documentation and item.documentation:
            entry["documentation"] = {"kind": markup_kind, "value": item.documentation}
        item_format = snippet_format if snippet else plain_format
        new_text = snippet or item.insert_text
        if item_defaults:
            if item_format != default_format:
                entry["insertTextFormat"] = item_format
            if new_text != item.label:
                entry["textEditText"] = new_text
            text += ("," if i else "") + json.dumps(entry)
        else:
            entry["insertTextFormat"] = item_format
            pieces.append(text + ("," if i else "") + json.dumps(entry)[:-1] + ',"textEdit":{"range":')
            text = f',"newText":{json.dumps(new_text)}}}}}'
    pieces.append(text + "]")
    result = tuple(pieces)
    if len(items) >= _ENCODED_MIN:
        if len(_ENCODED) >= _ENCODED_KEEP:
            _ENCODED.pop(next(iter(_ENCODED)))
        _ENCODED[key] = (items, result, default_format)  # holding `items` keeps its id unique
    return result, default_format
