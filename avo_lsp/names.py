"""Where names from the plan become identifiers in generated code: the one place.

"Checkout Completed" -> `checkout_completed` (Python) / `checkoutCompleted` (TS/JS).
Words are split on anything that is not a letter or digit and on lower-to-upper case
changes; a leading digit gets a `_` in front, a keyword of the target language a `_`
behind. Names are NFKC-normalised first because Python does that to identifiers, so two
names that Python would read as one are found to collide here, not at import time.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Builtins count as keywords: a function or parameter named `str` or `type` would shadow
# the builtin inside the generated module, where the validation code needs it.
# The set is written out, not taken from `dir(builtins)`: that depends on how Python was
# started (the `site` module adds `copyright`, `credits`, `exit`, `help`, `license` and
# `quit`, which generated code never uses) and on the Python version, and the same plan
# must always give the same code. These are the builtins of Python 3.10 to 3.13 (their
# union, without the `site` additions and the `_`-names), and their keywords.
PYTHON_BUILTINS = frozenset(
    """
    ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup
    BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError
    ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError
    DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception
    ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError FutureWarning
    GeneratorExit IOError ImportError ImportWarning IndentationError IndexError
    InterruptedError IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError
    ModuleNotFoundError NameError None NotADirectoryError NotImplemented NotImplementedError
    OSError OverflowError PendingDeprecationWarning PermissionError ProcessLookupError
    PythonFinalizationError RecursionError ReferenceError ResourceWarning RuntimeError
    RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError
    SystemExit TabError TimeoutError True TypeError UnboundLocalError UnicodeDecodeError
    UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning
    ValueError Warning ZeroDivisionError
    abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr
    classmethod compile complex delattr dict dir divmod enumerate eval exec filter float
    format frozenset getattr globals hasattr hash hex id input int isinstance issubclass
    iter len list locals map max memoryview min next object oct open ord pow print property
    range repr reversed round set setattr slice sorted staticmethod str sum super tuple
    type vars zip
    """.split()
)
# `keyword.kwlist` of Python 3.10 to 3.13, and the soft keywords but `_` (3.12 added `type`).
PYTHON_HARD_KEYWORDS = frozenset(
    """
    False None True and as assert async await break class continue def del elif else
    except finally for from global if import in is lambda nonlocal not or pass raise
    return try while with yield
    """.split()
)
PYTHON_SOFT_KEYWORDS = frozenset({"case", "match", "type"})
PYTHON_KEYWORDS = PYTHON_HARD_KEYWORDS | PYTHON_SOFT_KEYWORDS | PYTHON_BUILTINS

JS_RESERVED = frozenset(
    """
    break case catch class const continue debugger default delete do else enum export
    extends false finally for function if import in instanceof new null return super
    switch this throw true try typeof var void while with yield let static implements
    interface package private protected public await arguments eval undefined NaN
    Infinity as any boolean number string symbol type never unknown object declare
    namespace module require exports console globalThis process window Object Array
    Number String Boolean Error TypeError JSON Math RegExp Date Promise Symbol Map Set
    constructor toString toLocaleString valueOf hasOwnProperty isPrototypeOf
    propertyIsEnumerable
    """.split()
)
# (The last ones are Object.prototype's members: every object seems to have them, so
# TypeScript would not let a call leave out an optional argument of that name.)

# Identifiers the generated modules define themselves; an event that would become one of
# these is a name collision, not a silent shadowing.
PYTHON_MODULE_NAMES = frozenset({"init_avo"})
JS_MODULE_NAMES = frozenset({"initAvo"})

# Parameters that do not come from a property end with `_`, so they never collide.
IDENTITY_PARAMS = {
    "python": {"user_id": "user_id_", "anonymous_id": "anonymous_id_", "revenue": "revenue_"},
    "typescript": {"user_id": "userId_", "anonymous_id": "anonymousId_", "revenue": "revenue_"},
    "javascript": {"user_id": "userId_", "anonymous_id": "anonymousId_", "revenue": "revenue_"},
}

_CASE_BOUNDARY = re.compile(r"(?<=[^\W_A-Z])(?=[A-Z])")


_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


@functools.lru_cache(maxsize=1 << 16)
def words(name: str) -> tuple[str, ...]:
    """Split a plan name into words: on non-alphanumerics and on lower-to-upper changes."""
    text = _CASE_BOUNDARY.sub(" ", unicodedata.normalize("NFKC", name))
    if text.isascii():
        return tuple(_ASCII_WORD.findall(text))
    parts: list[str] = []
    current: list[str] = []
    for ch in text:
        # A character only counts as part of a word if it may continue an identifier;
        # `isalnum` alone lets in things like "²" that no language accepts.
        if ch.isalnum() and ("a" + ch).isidentifier():
            current.append(ch)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return tuple(parts)


def _finish(ident: str, reserved: frozenset[str]) -> str:
    if not ident:
        ident = "_"
    if not ident[0].isidentifier():  # a leading digit
        ident = "_" + ident
    if ident in reserved:
        ident += "_"
    return ident


@functools.lru_cache(maxsize=1 << 16)
def snake_case(name: str) -> str:
    return _finish("_".join(w.lower() for w in words(name)), PYTHON_KEYWORDS)


@functools.lru_cache(maxsize=1 << 16)
def camel_case(name: str) -> str:
    ws = words(name)
    ident = "".join(
        w.lower() if i == 0 else w[:1].upper() + w[1:].lower() for i, w in enumerate(ws)
    )
    return _finish(ident, JS_RESERVED)


def pascal_case(name: str) -> str:
    """For generated type names (TypeScript enums and interfaces)."""
    return _finish("".join(w[:1].upper() + w[1:].lower() for w in words(name)), JS_RESERVED)


def identifier(name: str, language: str) -> str:
    """The identifier a plan name becomes in `language`."""
    return snake_case(name) if language == "python" else camel_case(name)


def module_names(language: str) -> frozenset[str]:
    return PYTHON_MODULE_NAMES if language == "python" else JS_MODULE_NAMES


def _python_name(ident: str) -> str:
    # Upper-casing can undo NFKC ("ΐ".upper() is not normalised), and Python normalises
    # identifiers when it reads them: normalise again so the name we print is the name
    # Python sees. Keep only characters an identifier may contain.
    text = unicodedata.normalize("NFKC", ident)
    text = "".join(ch for ch in text if ch == "_" or ("a" + ch).isidentifier())
    return _finish(unicodedata.normalize("NFKC", text), PYTHON_KEYWORDS)


def python_class_name(name: str) -> str:
    """A generated Python class name (the enum of a property's allowed values): PascalCase."""
    return _python_name("".join(w[:1].upper() + w[1:].lower() for w in words(name)))


def python_constant_name(name: str) -> str:
    """A generated Python constant (an enum member, from an allowed value): UPPER_SNAKE_CASE."""
    return _python_name("_".join(w.upper() for w in words(name)))


def constant_case(name: str) -> str:
    """For generated TypeScript and JavaScript constants (the keys of an allowed-values
    object, from its values): UPPER_SNAKE_CASE."""
    return _finish("_".join(w.upper() for w in words(name)), JS_RESERVED)
