"""Editor services as pure functions: no LSP imports, no I/O.

Each service takes a `Project` snapshot (or a `Plan`), the text of a document and a
position (0-based line, 0-based code-point column), and returns plain dataclasses. The
language server turns them into LSP types and converts positions to the client's
encoding.

- `completion`: completion of generated functions, their arguments and allowed values in
  code, and of names, types and keywords in the plan file.
"""
