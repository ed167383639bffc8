"""Core results -> LSP types. The only module besides `server` that imports lsprotocol.

The core speaks in `Span`s of code points; LSP positions are in the client's units
(UTF-16 unless negotiated otherwise), so every conversion goes through the text's lines
and pygls's position codec.
"""

from __future__ import annotations

from typing import Sequence

from lsprotocol import types as lsp
from pygls.workspace import PositionCodec

from .analysis.checks import Finding
from .plan import PlanError, Span
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
    if line >= len(lines):
        return lsp.Position(line=line, character=col)
    return lsp.Position(line=line, character=codec.client_num_units(lines[line][:col]))


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
