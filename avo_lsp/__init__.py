"""avo-lsp: a local tracking-plan code generator and language server."""

__version__ = "0.1.0"
