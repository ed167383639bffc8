"""The call-site finder for TypeScript and JavaScript (with or without JSX).

`analyse_script` parses one file with tree-sitter and reports the local names that its
imports bind to a generated module or to one of its functions, and every call of such a
function, in the shape of `avo_lsp.analysis.model`. It is pure: no LSP, no writes. The
only disk reads are the nearest `tsconfig.json` / `jsconfig.json` (and the configs they
`extend`), for `baseUrl` / `paths` aliases, cached by (path, mtime, size).

Imports understood (the spec, section 4):

- `import Avo from "./Avo"` (the generated default export holds every function, so the
  default import is the module), `import * as Avo from "./Avo"`,
  `import {checkoutCompleted} from "./Avo"`, `import {checkoutCompleted as cc} ...`,
  `import {default as Avo} ...`, TypeScript's `import Avo = require("./Avo")`;
  `import type ...` and `import {type X}` bind no value and are ignored;
- `const Avo = require("./avo")`, `const {checkoutCompleted} = require("./avo")`,
  `const {checkoutCompleted: cc} = require("./avo")`, `const {default: Avo} = ...`,
  `const cc = require("./avo").checkoutCompleted`, `require("./avo").default`, and the
  same shapes with `await import("./Avo")`;
- direct calls `require("./avo").checkoutCompleted({...})`.

Calls found: `cc({...})` and `Avo.checkoutCompleted({...})` (also `Avo.default.fn(...)`,
`Avo["fn"](...)` and optional calls `cc?.(...)`). Names are resolved per file, not per
scope: a local variable that shadows an imported name is not told apart.

Specifiers resolve the way TypeScript / Node would: relative to the importing file, with
or without an extension (`.ts .tsx .js .jsx .mjs .cjs .mts .cts`, and TypeScript's
`./Avo.js` -> `./Avo.ts`), `index` files of a folder, and the `paths` / `baseUrl` of the
nearest tsconfig.json or jsconfig.json walking up from the file. Only a specifier that
resolves to one of `GeneratedModules.files` binds anything.

Positions: tree-sitter reports UTF-8 byte columns; every `Span` here is converted to
code-point columns (only lines that are not ASCII pay for it).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tree_sitter import Language, Node, Parser

from ..plan import Span, fast_constructor
from .model import (
    EMPTY,
    UNKNOWN,
    Argument,
    CallSite,
    FileAnalysis,
    GeneratedModules,
    ImportBinding,
)

__all__ = ["analyse_script", "grammar_for"]

# A file with many calls makes thousands of these (see `fast_constructor`).
_new_span = fast_constructor(Span)
_new_argument = fast_constructor(Argument)

# --------------------------------------------------------------------------- parsers

_GRAMMAR_OF_LANGUAGE = {
    "typescript": "typescript",
    "typescriptreact": "tsx",
    "javascript": "javascript",
    "javascriptreact": "javascript",
}
_GRAMMAR_OF_SUFFIX = {
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
}
_LANGUAGES: dict[str, Language] = {}
# A tree-sitter Parser must not be shared between threads: one per grammar and thread.
_PARSERS = threading.local()


def grammar_for(language: str, path: Path | None = None) -> str:
    """The tree-sitter grammar ("typescript", "tsx" or "javascript") for an LSP language
    id; an unknown id falls back on the file's suffix, then on JavaScript."""
    grammar = _GRAMMAR_OF_LANGUAGE.get(language)
    if grammar is None:
        suffix = path.suffix.lower() if path is not None else ""
        grammar = _GRAMMAR_OF_SUFFIX.get(suffix, "javascript")
    return grammar


def _language(grammar: str) -> Language:
    language = _LANGUAGES.get(grammar)
    if language is None:
        if grammar == "javascript":
            import tree_sitter_javascript

            capsule = tree_sitter_javascript.language()
        else:
            import tree_sitter_typescript

            capsule = (
                tree_sitter_typescript.language_tsx()
                if grammar == "tsx"
                else tree_sitter_typescript.language_typescript()
            )
        language = _LANGUAGES[grammar] = Language(capsule)
    return language


def _parser(grammar: str) -> Parser:
    """The parser of a grammar for this thread, built on first use."""
    parsers: dict[str, Parser] | None = getattr(_PARSERS, "parsers", None)
    if parsers is None:
        parsers = _PARSERS.parsers = {}
    parser = parsers.get(grammar)
    if parser is None:
        parser = parsers[grammar] = Parser(_language(grammar))
    return parser


# --------------------------------------------------------------------------- positions


class _Positions:
    """Converts tree-sitter (row, UTF-8 byte column) points to code-point `Span`s.

    Rows are split on "\\n" only, as tree-sitter does. An ASCII file converts nothing;
    otherwise the non-ASCII lines are encoded once, and only their columns converted.
    """

    __slots__ = ("_encoded",)

    def __init__(self, text: str):
        # row -> the UTF-8 bytes of that line, for the lines that are not ASCII
        self._encoded: dict[int, bytes] = (
            {}
            if text.isascii()
            else {
                row: line.encode("utf-8", "surrogatepass")
                for row, line in enumerate(text.split("\n"))
                if not line.isascii()
            }
        )

    def col(self, row: int, byte_col: int) -> int:
        encoded = self._encoded.get(row) if self._encoded else None
        if encoded is None or byte_col <= 0:
            return byte_col
        return len(encoded[:byte_col].decode("utf-8", "surrogatepass"))

    def span(self, node: Node) -> Span:
        (sr, sc), (er, ec) = node.start_point, node.end_point
        encoded = self._encoded
        if encoded:  # inlined `col`: this is the hot path
            line = encoded.get(sr)
            if line is not None and sc:
                sc = len(line[:sc].decode("utf-8", "surrogatepass"))
            line = encoded.get(er)
            if line is not None and ec:
                ec = len(line[:ec].decode("utf-8", "surrogatepass"))
        return _new_span(sr, sc, er, ec)

    def point(self, row: int, byte_col: int) -> Span:
        col = self.col(row, byte_col)
        return _new_span(row, col, row, col)

    def end_of(self, node: Node) -> Span:
        return self.point(*node.end_point)

    def after_first_byte(self, node: Node) -> Span:
        """Just after the node's first character (an ASCII `(` or `{`)."""
        row, col = node.start_point
        return self.point(row, col + 1)

    def inner(self, node: Node) -> Span:
        """The span of a quoted string's contents, without its quotes."""
        (sr, sc), (er, ec) = node.start_point, node.end_point
        return _new_span(sr, self.col(sr, sc + 1), er, self.col(er, max(ec - 1, 0)))


# --------------------------------------------------------------------------- literals

_SIMPLE_ESCAPES = {
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "0": "\0",
}
_LINE_TERMINATORS = "\n\r\u2028\u2029"


def _unescape(body: str) -> str:
    """The value of a JS string / template body (between the quotes)."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i, n = 0, len(body)
    while i < n:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            break
        out.append(body[i:j])
        if j + 1 >= n:
            break
        c = body[j + 1]
        i = j + 2
        if c in _SIMPLE_ESCAPES and not (c == "0" and i < n and body[i].isdigit()):
            out.append(_SIMPLE_ESCAPES[c])
        elif c == "x" and i + 2 <= n and _is_hex(body[i : i + 2]):
            out.append(chr(int(body[i : i + 2], 16)))
            i += 2
        elif c == "u" and i < n and body[i] == "{":
            close = body.find("}", i)
            digits = body[i + 1 : close] if close > 0 else ""
            if digits and _is_hex(digits) and int(digits, 16) <= 0x10FFFF:
                out.append(chr(int(digits, 16)))
                i = close + 1
            else:
                out.append(c)
        elif c == "u" and i + 4 <= n and _is_hex(body[i : i + 4]):
            out.append(chr(int(body[i : i + 4], 16)))
            i += 4
        elif c in _LINE_TERMINATORS:  # a line continuation
            if c == "\r" and i < n and body[i] == "\n":
                i += 1
        else:
            out.append(c)
    value = "".join(out)
    if any("\ud800" <= ch <= "\udfff" for ch in value):  # join surrogate pairs
        try:
            value = value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            pass
    return value


def _is_hex(s: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in s)


def _number(text: str) -> Any:
    s = text.replace("_", "")
    try:
        if s.endswith("n"):  # BigInt
            return int(s[:-1], 0)
        low = s.lower()
        if low.startswith(("0x", "0o", "0b")):
            return int(s, 0)
        if len(s) > 1 and s[0] == "0" and s.isdigit():  # legacy octal, or decimal
            return int(s, 8) if all(c in "01234567" for c in s) else int(s)
        if "." in low or "e" in low:
            return float(s)
        return int(s)
    except ValueError:
        return UNKNOWN


_WRAPPERS = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"}
)


def _unwrap(node: Node) -> Node:
    """`(x)`, `x as T`, `x satisfies T`, `x!` -> x."""
    while node.type in _WRAPPERS:
        inner = next((c for c in node.named_children if c.type != "comment"), None)
        if inner is None:
            break
        node = inner
    return node


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "surrogatepass")


def _string_value(node: Node) -> Any:
    """The value of a `string`, or of a `template_string` without substitutions."""
    kind = node.type
    if kind == "string":
        return _unescape(node.text[1:-1].decode("utf-8", "surrogatepass"))
    if kind == "template_string":
        if any(c.type == "template_substitution" for c in node.children):
            return UNKNOWN
        return _unescape(_text(node)[1:-1].replace("\r\n", "\n"))
    return UNKNOWN


_CONSTANTS = {"true": True, "false": False, "null": None, "undefined": None}


def _literal(node: Node) -> Any:
    """The value of a literal expression, or UNKNOWN."""
    kind = node.type
    if kind in _WRAPPERS:
        node = _unwrap(node)
        kind = node.type
    if kind == "string":
        return _unescape(node.text[1:-1].decode("utf-8", "surrogatepass"))
    if kind == "number":
        return _number(node.text.decode("ascii", "replace"))
    if kind in _CONSTANTS:
        return _CONSTANTS[kind]
    if kind == "array":
        values = []
        previous = ""
        for child in node.children:
            child_kind = child.type
            if child_kind == "comment":
                continue
            if child_kind == "," and previous in ("[", ","):  # a hole: [1, , 2]
                return UNKNOWN
            previous = child_kind
            if child.is_named:
                value = _literal(child)
                if value is UNKNOWN:
                    return UNKNOWN
                values.append(value)
        return values
    if kind == "template_string":
        return _string_value(node)
    if kind == "identifier":
        return None if node.text == b"undefined" else UNKNOWN
    if kind == "unary_expression":
        operator = node.child_by_field_name("operator")
        argument = node.child_by_field_name("argument")
        if operator is None or argument is None:
            return UNKNOWN
        op = operator.type
        value = _literal(argument)
        if value is UNKNOWN:
            return UNKNOWN
        if op == "void":
            return None
        if op in ("-", "+") and _unwrap(argument).type == "number":
            return -value if op == "-" else value
    return UNKNOWN


# --------------------------------------------------------------------------- tsconfig


@dataclass(frozen=True)
class _Aliases:
    base_url: str | None = None  # absolute directory
    paths: dict | None = None  # pattern -> [substitution, ...]
    paths_dir: str | None = None  # where `paths` is resolved when there is no baseUrl

    @property
    def paths_base(self) -> str | None:
        return self.base_url or self.paths_dir


_NO_ALIASES = _Aliases()
_CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
_CONFIG_CACHE: dict[str, tuple[tuple[int, int], Any]] = {}


def _strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas (as tsconfig allows) -> JSON."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                out.append(text[i : i + 2])
                i += 2
                continue
            if c == '"':
                in_string = False
            out.append(c)
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif c == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    stripped = "".join(out)
    # Drop the commas that are followed (after blanks) by a closing bracket.
    out = []
    in_string = False
    i, n = 0, len(stripped)
    while i < n:
        c = stripped[i]
        if in_string:
            if c == "\\":
                out.append(stripped[i : i + 2])
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == ",":
            j = i + 1
            while j < n and stripped[j] in " \t\r\n":
                j += 1
            if j < n and stripped[j] in "}]":
                i += 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _read_config(path: str) -> dict | None:
    """A tsconfig/jsconfig file as a dict, or None when missing or unreadable; cached by
    (path, mtime, size)."""
    try:
        st = os.stat(path)
    except OSError:
        _CONFIG_CACHE.pop(path, None)
        return None
    key = (st.st_mtime_ns, st.st_size)
    cached = _CONFIG_CACHE.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    data: Any
    try:
        with open(path, encoding="utf-8-sig") as f:
            data = json.loads(_strip_jsonc(f.read()))
        if not isinstance(data, dict):
            data = None
    except (OSError, ValueError, RecursionError):
        data = None
    _CONFIG_CACHE[path] = (key, data)
    return data


def _nearest_config(directory: str) -> str | None:
    while True:
        for name in _CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _extended_config(spec: str, directory: str) -> str | None:
    """The file an `extends` entry names: a path, or a package under node_modules."""
    if spec.startswith(".") or os.path.isabs(spec):
        base = os.path.normpath(os.path.join(directory, spec))
        for candidate in (base, base + ".json"):
            if os.path.isfile(candidate):
                return candidate
        return None
    current = directory
    while True:
        base = os.path.join(current, "node_modules", spec)
        for candidate in (base, base + ".json", os.path.join(base, "tsconfig.json")):
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _config_aliases(path: str, leaf_dir: str, seen: frozenset[str] = frozenset()) -> _Aliases:
    """`baseUrl` and `paths` of a config, with what it `extends` (nearest wins)."""
    data = _read_config(path)
    if data is None:
        return _NO_ALIASES
    directory = os.path.dirname(path)
    base_url, paths, paths_dir = None, None, None
    extends = data.get("extends")
    for spec in [extends] if isinstance(extends, str) else extends if isinstance(extends, list) else []:
        if not isinstance(spec, str):
            continue
        parent = _extended_config(spec.replace("${configDir}", leaf_dir), directory)
        if parent is None or parent in seen or parent == path:
            continue
        inherited = _config_aliases(parent, leaf_dir, seen | {path})
        if inherited.base_url is not None:
            base_url = inherited.base_url
        if inherited.paths is not None:
            paths, paths_dir = inherited.paths, inherited.paths_dir
    options = data.get("compilerOptions")
    if isinstance(options, dict):
        url = options.get("baseUrl")
        if isinstance(url, str):
            base_url = os.path.normpath(os.path.join(directory, url.replace("${configDir}", leaf_dir)))
        own_paths = options.get("paths")
        if isinstance(own_paths, dict):
            paths, paths_dir = own_paths, directory
    return _Aliases(base_url, paths, paths_dir)


def _aliases_for(directory: str) -> _Aliases:
    config = _nearest_config(directory)
    if config is None:
        return _NO_ALIASES
    return _config_aliases(config, os.path.dirname(config))


def _alias_targets(spec: str, aliases: _Aliases) -> Iterator[str]:
    """Where `paths` (best pattern, as TypeScript picks it), then `baseUrl`, send a
    bare specifier."""
    base = aliases.paths_base
    if aliases.paths and base is not None:
        best: tuple[int, list] | None = None
        star = ""
        for pattern, substitutions in aliases.paths.items():
            if not isinstance(pattern, str) or not isinstance(substitutions, list):
                continue
            if "*" not in pattern:
                if pattern == spec:
                    best, star = (1 << 30, substitutions), ""
                    break
                continue
            prefix, _, suffix = pattern.partition("*")
            if (
                len(spec) >= len(prefix) + len(suffix)
                and spec.startswith(prefix)
                and spec.endswith(suffix)
                and (best is None or len(prefix) > best[0])
            ):
                best = (len(prefix), substitutions)
                star = spec[len(prefix) : len(spec) - len(suffix)]
        if best is not None:
            for substitution in best[1]:
                if isinstance(substitution, str):
                    yield os.path.normpath(os.path.join(base, substitution.replace("*", star, 1)))
    if aliases.base_url is not None:
        yield os.path.normpath(os.path.join(aliases.base_url, spec))


# --------------------------------------------------------------------------- resolution

_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}


def _candidates(base: str) -> Iterator[str]:
    """The files a module path may name: itself, with an extension, a folder's index."""
    yield base
    stem, ext = os.path.splitext(base)
    for replacement in _JS_TO_TS.get(ext, ()):
        yield stem + replacement
    for ext in _EXTENSIONS:
        yield base + ext
    for ext in _EXTENSIONS:
        yield os.path.join(base, "index" + ext)


class _Resolver:
    """Resolves import specifiers of one file against the generated modules."""

    def __init__(self, path: Path, modules: GeneratedModules):
        self._path = path
        # Only script files: a generated Python module is no import target here.
        self._files = {str(p): p for p in modules.files if p.suffix in _EXTENSIONS}
        self._stems = modules.stems
        self._directory: str | None = None
        self._aliases: _Aliases | None = None
        self._cache: dict[str, Path | None] = {}

    @property
    def directory(self) -> str:
        if self._directory is None:
            self._directory = os.path.realpath(os.path.dirname(os.path.abspath(self._path)))
        return self._directory

    def resolve(self, spec: str) -> Path | None:
        if spec in self._cache:
            return self._cache[spec]
        result = self._resolve(spec)
        self._cache[spec] = result
        return result

    def _resolve(self, spec: str) -> Path | None:
        if not spec or spec.startswith(("node:", "http:", "https:", "data:")):
            return None
        if spec.startswith(("./", "../", "/")) or spec in (".", ".."):
            bases: Iterator[str] = iter([os.path.normpath(os.path.join(self.directory, spec))])
        else:
            if self._aliases is None:
                self._aliases = _aliases_for(self.directory)
            bases = _alias_targets(spec, self._aliases)
        for base in bases:
            found = self._match(base)
            if found is not None:
                return found
        return None

    def _match(self, base: str) -> Path | None:
        candidates = list(_candidates(base))
        for candidate in candidates:
            found = self._files.get(candidate)
            if found is not None:
                return found
        # Symlinks in the path: resolve on disk, but only where the name could match.
        name = os.path.splitext(os.path.basename(base))[0]
        if name in self._stems or "index" in self._stems:
            for candidate in candidates:
                found = self._files.get(os.path.realpath(candidate))
                if found is not None:
                    return found
        return None


# --------------------------------------------------------------------------- the finder

_ID_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def _occurrences(source: bytes, word: bytes) -> Iterator[int]:
    """Byte offsets where `word` may stand as a whole identifier: not glued to an ASCII
    identifier character (the caller checks the syntax node found there)."""
    n = len(word)
    start = source.find(word)
    while start >= 0:
        before = source[start - 1] if start > 0 else 32
        after = source[start + n] if start + n < len(source) else 32
        if before not in _ID_BYTES and after not in _ID_BYTES:
            yield start
        start = source.find(word, start + n)


def _is_field(parent: Node, field: str, node: Node) -> bool:
    child = parent.child_by_field_name(field)
    return child is not None and child == node


def _climb(node: Node) -> Node:
    """Out of `(x)` and `await x`."""
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "await_expression"):
        node, parent = parent, parent.parent
    return node


def _member_chain(node: Node) -> tuple[Node, Node | None, str | None]:
    """From an expression that denotes a module, up through `.default` and one member
    access (`.fn` or `["fn"]`): (the outermost node, the name token, the name)."""
    seen_default = False
    current = _climb(node)
    while True:
        parent = current.parent
        if parent is None:
            return current, None, None
        if parent.type == "member_expression" and _is_field(parent, "object", current):
            prop = parent.child_by_field_name("property")
            if prop is None or prop.type != "property_identifier":
                return current, None, None
            name = _text(prop)
        elif parent.type == "subscript_expression" and _is_field(parent, "object", current):
            index = parent.child_by_field_name("index")
            if index is None or index.type != "string":
                return current, None, None
            name = _string_value(index)
            prop = next((c for c in index.named_children if c.type == "string_fragment"), index)
        else:
            return current, None, None
        if name == "default" and not seen_default:
            seen_default = True
            current = _climb(parent)
            continue
        return _climb(parent), prop, name


@dataclass
class _Found:
    module: Path
    function: str
    callee: Node
    call: Node


class _Finder:
    def __init__(self, text: str, path: Path, modules: GeneratedModules, language: str):
        self.source = text.encode("utf-8", "surrogatepass")
        self.tree = _parser(grammar_for(language, path)).parse(self.source)
        self.root = self.tree.root_node
        self.pos = _Positions(text)
        self.resolver = _Resolver(path, modules)
        self.bindings: list[tuple[int, ImportBinding]] = []
        self.found: dict[tuple[int, int], _Found] = {}  # (start, end byte) of the call -> call

    # -- helpers

    def node_at(self, start: int, length: int, kind: str) -> Node | None:
        node = self.root.descendant_for_byte_range(start, start + length)
        if node is None or node.type != kind or node.start_byte != start or node.end_byte != start + length:
            return None
        return node

    def bind(self, local: Node, module: Path, function: str | None) -> None:
        if local.type not in ("identifier", "shorthand_property_identifier_pattern"):
            return
        binding = ImportBinding(_text(local), module, function, self.pos.span(local))
        self.bindings.append((local.start_byte, binding))

    def add_call(self, call: Node, callee: Node, module: Path, function: str) -> None:
        args = call.child_by_field_name("arguments")
        if args is None or args.type != "arguments":  # a tagged template
            return
        self.found.setdefault((call.start_byte, call.end_byte), _Found(module, function, callee, call))

    # -- imports

    def scan_imports(self) -> None:
        for offset in _occurrences(self.source, b"import"):
            node = self.node_at(offset, 6, "import")
            if node is not None and node.parent is not None and node.parent.type == "import":
                node = node.parent  # the keyword inside a dynamic import's `import` node
            if node is None or node.parent is None:
                continue
            parent = node.parent
            if parent.type == "import_statement":
                self.import_statement(parent)
            elif parent.type == "call_expression" and _is_field(parent, "function", node):
                self.require_call(parent)
        for offset in _occurrences(self.source, b"require"):
            node = self.node_at(offset, 7, "identifier")
            if node is None or node.parent is None:
                continue
            parent = node.parent
            if parent.type == "call_expression" and _is_field(parent, "function", node):
                self.require_call(parent)

    def import_statement(self, statement: Node) -> None:
        if any(c.type == "type" for c in statement.children):  # `import type ...`
            return
        source = statement.child_by_field_name("source")
        clauses = [c for c in statement.named_children if c.type in ("import_clause", "import_require_clause")]
        for clause in clauses:
            if source is None:
                source = clause.child_by_field_name("source")
        if source is None or source.type != "string":
            return
        spec = _string_value(source)
        if not isinstance(spec, str):
            return
        module = self.resolver.resolve(spec)
        if module is None:
            return
        for clause in clauses:
            if clause.type == "import_require_clause":  # TS: import Avo = require("./Avo")
                local = next((c for c in clause.named_children if c.type == "identifier"), None)
                if local is not None:
                    self.bind(local, module, None)
                continue
            for child in clause.named_children:
                if child.type == "identifier":  # the default import
                    self.bind(child, module, None)
                elif child.type == "namespace_import":
                    local = next((c for c in child.named_children if c.type == "identifier"), None)
                    if local is not None:
                        self.bind(local, module, None)
                elif child.type == "named_imports":
                    for spec_node in child.named_children:
                        if spec_node.type == "import_specifier":
                            self.import_specifier(spec_node, module)

    def import_specifier(self, node: Node, module: Path) -> None:
        if any(c.type == "type" for c in node.children):  # `import {type X}`
            return
        name = node.child_by_field_name("name")
        alias = node.child_by_field_name("alias")
        if name is None:  # tree-sitter-javascript: `default as X` may lose the name
            name_text = "default" if alias is not None and b"default" in node.text else None
        elif name.type == "string":
            name_text = _string_value(name)
        else:
            name_text = _text(name)
        if not isinstance(name_text, str):
            return
        local = alias or name
        if local is None:
            return
        self.bind(local, module, None if name_text == "default" else name_text)

    def require_call(self, call: Node) -> None:
        """`require("./avo")` or `import("./Avo")`, in whatever context it stands."""
        args = call.child_by_field_name("arguments")
        if args is None:
            return
        first = next((c for c in args.named_children if c.type != "comment"), None)
        if first is None or first.type not in ("string", "template_string"):
            return
        spec = _string_value(first)
        if not isinstance(spec, str):
            return
        module = self.resolver.resolve(spec)
        if module is None:
            return
        outer, prop, function = _member_chain(call)
        parent = outer.parent
        if parent is None:
            return
        if function is not None and prop is not None:
            if parent.type == "call_expression" and _is_field(parent, "function", outer):
                self.add_call(parent, prop, module, function)  # require("./avo").fn({...})
            elif parent.type == "variable_declarator" and _is_field(parent, "value", outer):
                name = parent.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    self.bind(name, module, function)  # const cc = require("./avo").fn
            return
        if parent.type == "variable_declarator" and _is_field(parent, "value", outer):
            name = parent.child_by_field_name("name")
            if name is None:
                return
            if name.type == "identifier":
                self.bind(name, module, None)
            elif name.type == "object_pattern":
                self.destructure(name, module)

    def destructure(self, pattern: Node, module: Path) -> None:
        for child in pattern.named_children:
            kind = child.type
            if kind == "shorthand_property_identifier_pattern":
                self.bind(child, module, _text(child))
            elif kind == "object_assignment_pattern":  # {fn = fallback}
                left = child.child_by_field_name("left")
                if left is not None and left.type == "shorthand_property_identifier_pattern":
                    self.bind(left, module, _text(left))
            elif kind == "pair_pattern":  # {fn: local} / {"fn": local} / {fn: local = x}
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if key is None or value is None:
                    continue
                if key.type == "string":
                    name = _string_value(key)
                elif key.type == "property_identifier":
                    name = _text(key)
                else:
                    continue
                if value.type == "assignment_pattern":
                    value = value.child_by_field_name("left")
                if not isinstance(name, str) or value is None or value.type != "identifier":
                    continue
                self.bind(value, module, None if name == "default" else name)
            elif kind == "rest_pattern":  # {...rest}: the rest of the module
                local = next((c for c in child.named_children if c.type == "identifier"), None)
                if local is not None:
                    self.bind(local, module, None)

    # -- calls

    def scan_calls(self) -> None:
        by_local: dict[str, ImportBinding] = {}
        for _, binding in sorted(self.bindings, key=lambda b: b[0]):
            by_local.setdefault(binding.local, binding)
        for local, binding in by_local.items():
            word = local.encode("utf-8", "surrogatepass")
            for offset in _occurrences(self.source, word):
                node = self.node_at(offset, len(word), "identifier")
                if node is None or node.parent is None:
                    continue
                if binding.function is not None:
                    parent = node.parent
                    if parent.type == "call_expression" and _is_field(parent, "function", node):
                        self.add_call(parent, node, binding.module, binding.function)
                    continue
                outer, prop, function = _member_chain(node)
                parent = outer.parent
                if (
                    function is not None
                    and prop is not None
                    and parent is not None
                    and parent.type == "call_expression"
                    and _is_field(parent, "function", outer)
                ):
                    self.add_call(parent, prop, binding.module, function)

    def call_site(self, found: _Found) -> CallSite:
        call = found.call
        pos = self.pos
        args = call.child_by_field_name("arguments")
        assert args is not None
        callee_span = pos.inner(found.callee) if found.callee.type == "string" else pos.span(found.callee)
        base = dict(
            module=found.module,
            function=found.function,
            callee_span=callee_span,
            call_span=pos.span(call),
        )
        values = [c for c in args.named_children if c.type != "comment"]
        if not values:
            return CallSite(arguments=(), dynamic=False, insert_at=pos.after_first_byte(args), **base)
        obj = _unwrap(values[0])
        broken = False
        if obj.type == "ERROR":  # an unclosed call while typing: `cc({a: 1}` + next line
            inner = next((c for c in obj.named_children if c.type != "comment"), None)
            if inner is not None and _unwrap(inner).type == "object":
                obj, broken = _unwrap(inner), True
        if obj.type != "object":
            return CallSite(arguments=(), dynamic=True, insert_at=None, **base)
        arguments, dynamic = self.properties(obj)
        dynamic = dynamic or broken
        members = [c for c in obj.named_children if c.type != "comment"]
        insert_at = pos.end_of(members[-1]) if members else pos.after_first_byte(obj)
        return CallSite(
            arguments=tuple(arguments),
            dynamic=dynamic or obj.has_error,
            insert_at=insert_at,
            **base,
        )

    def properties(self, obj: Node) -> tuple[list[Argument], bool]:
        span = self.pos.span
        arguments: list[Argument] = []
        dynamic = False
        for member in obj.named_children:
            kind = member.type
            if kind == "pair":
                key = member.child_by_field_name("key")
                value_node = member.child_by_field_name("value")
                if key is None:
                    dynamic = True
                    continue
                if key.type == "property_identifier":  # the common case, inlined
                    name, name_span = key.text.decode("utf-8", "surrogatepass"), span(key)
                else:
                    named = self.key(key)
                    if named is None:
                        dynamic = True
                        continue
                    name, name_span = named
                if value_node is None:
                    arguments.append(_new_argument(name, name_span, UNKNOWN, name_span))
                else:
                    arguments.append(_new_argument(name, name_span, _literal(value_node), span(value_node)))
            elif kind == "shorthand_property_identifier":
                name_span = span(member)
                arguments.append(_new_argument(_text(member), name_span, UNKNOWN, name_span))
            elif kind == "comment":
                continue
            elif kind == "method_definition":  # `key() {}`, `get key() {}`
                key = member.child_by_field_name("name")
                named = self.key(key) if key is not None else None
                if named is None:
                    dynamic = True
                    continue
                arguments.append(_new_argument(named[0], named[1], UNKNOWN, span(member)))
            else:  # spread_element, ERROR, anything unforeseen
                dynamic = True
        return arguments, dynamic

    def key(self, key: Node) -> tuple[str, Span] | None:
        """A property key's name and span; None when it cannot be known statically.
        A quoted key's span is its contents, without the quotes."""
        kind = key.type
        if kind == "property_identifier":
            return _text(key), self.pos.span(key)
        if kind == "string":
            value = _string_value(key)
            return (value, self.pos.inner(key)) if isinstance(value, str) else None
        if kind == "number":
            value = _number(_text(key))
            return (_js_number_key(value), self.pos.span(key)) if value is not UNKNOWN else None
        return None  # computed_property_name, private names, errors

    # -- result

    def run(self) -> FileAnalysis:
        self.scan_imports()
        if not self.bindings and not self.found:
            return EMPTY
        self.scan_calls()
        bindings = tuple(b for _, b in sorted(self.bindings, key=lambda b: b[0]))
        calls = tuple(self.call_site(self.found[start]) for start in sorted(self.found))
        return FileAnalysis(bindings=bindings, calls=calls)


def _js_number_key(value: Any) -> str:
    """A numeric key as JS names the property: `1: x` and `1.0: x` are both "1"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def analyse_script(text: str, path: Path, modules: GeneratedModules, language: str) -> FileAnalysis:
    """The import bindings and call sites of generated functions in one TS/JS file.

    `language` is an LSP language id: "typescript", "typescriptreact", "javascript" or
    "javascriptreact" (another id falls back on the file's suffix). `path` is the file's
    path, against which relative imports resolve (the file need not exist).

    Each `CallSite` holds:

    - `callee_span`: the function's name as written (`checkoutCompleted` in
      `Avo.checkoutCompleted(`, `cc` in `cc(`, the string's contents in `Avo["fn"](`);
    - `call_span`: from the start of the callee expression to after `)`;
    - `arguments`: one `Argument` per `key: value`, shorthand `{key}` (value UNKNOWN,
      value_span = the key's span), quoted key (by its string value; the name span
      excludes the quotes) and method `key() {}` (value UNKNOWN) of the object literal
      passed as the first argument (through `(...)`, `as T`, `satisfies T`, `!`).
      Values are literals (str, int, float, bool, None for null/undefined, lists of
      literals) or UNKNOWN;
    - `dynamic`: True when the argument is not an object literal (a variable, a spread
      argument), or the object has a spread, a computed key, or a syntax error;
    - `insert_at`: a zero-width Span where a new property goes. The character just
      before it tells what to insert: `(` when the call has no argument at all (insert
      `{key: value}`), `{` for an empty object literal (insert `key: value`), otherwise it
      is the end of the last property (insert `, key: value`; a trailing comma, if any,
      follows). None when the argument is not an object literal.
    """
    if not modules.mentioned_in(text):
        return EMPTY
    return _Finder(text, path, modules, language).run()
