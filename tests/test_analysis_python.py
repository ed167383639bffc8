"""The Python call-site finder (`avo_lsp.analysis.python`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import parso
import pytest

from avo_lsp.analysis import python as finder
from avo_lsp.analysis.model import EMPTY, UNKNOWN, FileAnalysis, GeneratedModules, ImportBinding
from avo_lsp.analysis.python import analyse_python
from avo_lsp.plan import Span

ROOT = Path("/ws")
BACKEND = ROOT / "backend/analytics/avo.py"
WORKER = ROOT / "worker/tracking/worker_avo.py"
SRC_LAYOUT = ROOT / "src/shop/analytics/avo.py"
PACKAGE = ROOT / "lib/events/avo/__init__.py"
WEB = ROOT / "web/src/Avo.ts"
MODULES = GeneratedModules(ROOT, frozenset({BACKEND, WORKER, SRC_LAYOUT, PACKAGE, WEB}))
HERE = ROOT / "backend/handlers.py"
FIXTURES = Path(__file__).parent / "fixtures" / "python_calls"


def analyse(text: str, path: Path = HERE, modules: GeneratedModules = MODULES) -> FileAnalysis:
    return analyse_python(text, path, modules)


def span(text: str, needle: str, nth: int = 0) -> Span:
    """The Span of the nth occurrence of `needle` in `text` (code-point columns)."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    end = offset + len(needle)
    line, col = text.count("\n", 0, offset), offset - (text.rfind("\n", 0, offset) + 1)
    end_line, end_col = text.count("\n", 0, end), end - (text.rfind("\n", 0, end) + 1)
    return Span(line, col, end_line, end_col)


def point(text: str, needle: str, nth: int = 0) -> Span:
    """A zero-width Span just after the nth occurrence of `needle`."""
    s = span(text, needle, nth)
    return Span(s.end_line, s.end_col, s.end_line, s.end_col)


@pytest.fixture(params=[True, False], ids=["fast-path", "token-path"])
def both_paths(request, monkeypatch):
    """Run a test with and without the fast path for simple argument lists."""
    monkeypatch.setattr(finder, "_FAST_PATH", request.param)


# --------------------------------------------------------------------------- imports


IMPORT_FORMS = [
    # (source, local, function, call text, callee as written, call start)
    ("import backend.analytics.avo", "backend.analytics.avo", None,
     "backend.analytics.avo.checkout_completed(order_id='o')", "checkout_completed", "backend"),
    ("import backend.analytics.avo as a", "a", None,
     "a.checkout_completed(order_id='o')", "checkout_completed", "a."),
    ("from backend.analytics import avo", "avo", None,
     "avo.checkout_completed(order_id='o')", "checkout_completed", "avo."),
    ("from backend.analytics import avo as a", "a", None,
     "a.checkout_completed(order_id='o')", "checkout_completed", "a."),
    ("from backend.analytics.avo import checkout_completed", "checkout_completed", "checkout_completed",
     "checkout_completed(order_id='o')", "checkout_completed", "checkout_completed("),
    ("from backend.analytics.avo import checkout_completed as cc", "cc", "checkout_completed",
     "cc(order_id='o')", "cc", "cc("),
    ("import avo", "avo", None, "avo.checkout_completed(order_id='o')", "checkout_completed", "avo."),
    ("import analytics.avo", "analytics.avo", None,
     "analytics.avo.checkout_completed(order_id='o')", "checkout_completed", "analytics."),
]  # fmt: skip


@pytest.mark.parametrize("source, local, function, call, callee, call_start", IMPORT_FORMS)
def test_import_forms(both_paths, source, local, function, call, callee, call_start):
    text = f"{source}\n\n\ndef handler():\n    {call}\n"
    result = analyse(text)
    # In every form the local name ends the import statement.
    bound = Span(0, len(source) - len(local), 0, len(source))
    assert result.bindings == (ImportBinding(local, BACKEND, function, bound),)
    (site,) = result.calls
    assert site.module == BACKEND
    assert site.function == "checkout_completed"
    line = 4
    start = 4  # the call is indented by four spaces
    assert site.call_span == Span(line, start, line, start + len(call))
    callee_col = start + call.index(callee + "(")
    assert site.callee_span == Span(line, callee_col, line, callee_col + len(callee))
    (arg,) = site.arguments
    assert (arg.name, arg.value) == ("order_id", "o")
    assert arg.name_span == Span(line, start + call.index("order_id"), line, start + call.index("order_id") + 8)
    assert arg.value_span == Span(line, start + call.index("'o'"), line, start + call.index("'o'") + 3)
    assert site.dynamic is False
    assert site.insert_at == Span(line, start + len(call) - 1, line, start + len(call) - 1)
    assert call.startswith(call_start)


def test_import_binding_spans_exact():
    text = "import backend.analytics.avo\nfrom backend.analytics import avo as a\nfrom backend.analytics.avo import checkout_completed as cc, user_signed_up\n"
    result = analyse(text)
    assert result.bindings == (
        ImportBinding("backend.analytics.avo", BACKEND, None, Span(0, 7, 0, 28)),
        ImportBinding("a", BACKEND, None, Span(1, 37, 1, 38)),
        ImportBinding("cc", BACKEND, "checkout_completed", Span(2, 56, 2, 58)),
        ImportBinding("user_signed_up", BACKEND, "user_signed_up", Span(2, 60, 2, 74)),
    )
    assert result.module_aliases() == {"backend.analytics.avo": BACKEND, "a": BACKEND}


def test_full_dotted_call_exact_spans():
    text = "import backend.analytics.avo\nbackend.analytics.avo.checkout_completed(order_id='o-1', total=2)\n"
    (site,) = analyse(text).calls
    assert site.callee_span == Span(1, 22, 1, 40)
    assert site.call_span == Span(1, 0, 1, 65)
    assert [(a.name, a.name_span, a.value, a.value_span) for a in site.arguments] == [
        ("order_id", Span(1, 41, 1, 49), "o-1", Span(1, 50, 1, 55)),
        ("total", Span(1, 57, 1, 62), 2, Span(1, 63, 1, 64)),
    ]
    assert site.insert_at == Span(1, 64, 1, 64)


def test_dotted_import_does_not_bind_other_attributes():
    text = "import backend.analytics.avo\nimport backend.other\nbackend.other.checkout_completed(order_id='o')\nbackend.analytics.checkout_completed(order_id='o')\n"
    assert analyse(text).calls == ()


def test_parenthesised_multi_line_import_with_comments():
    text = (
        "from backend.analytics.avo import (  # the events\n"
        "    checkout_completed as cc,  # renamed\n"
        "    user_signed_up,\n"
        ")\n"
        "cc(order_id='o')\n"
        "user_signed_up(plan='pro')\n"
    )
    result = analyse(text)
    assert [(b.local, b.function, b.span) for b in result.bindings] == [
        ("cc", "checkout_completed", Span(1, 26, 1, 28)),
        ("user_signed_up", "user_signed_up", Span(2, 4, 2, 18)),
    ]
    assert [(c.function, c.callee_span) for c in result.calls] == [
        ("checkout_completed", Span(4, 0, 4, 2)),
        ("user_signed_up", Span(5, 0, 5, 14)),
    ]


def test_import_continued_with_backslash_and_compound_statements():
    text = "from backend.analytics \\\n    import avo\nif True: import backend.analytics.avo as b; b.x(a=1)\navo.y(a=2)\n"
    result = analyse(text)
    assert [b.local for b in result.bindings] == ["avo", "b"]
    assert [c.function for c in result.calls] == ["x", "y"]


def test_star_import_binds_nothing():
    assert analyse("from backend.analytics.avo import *\ncheckout_completed(order_id='o')\n") == EMPTY


def test_import_inside_function_applies_to_the_whole_file():
    text = "def setup():\n    from backend.analytics import avo\n\n\ndef later():\n    avo.checkout_completed(order_id='o')\n"
    result = analyse(text)
    assert result.bindings == (ImportBinding("avo", BACKEND, None, Span(1, 34, 1, 37)),)
    assert [c.call_span for c in result.calls] == [Span(5, 4, 5, 40)]


def test_same_name_from_another_module_is_not_a_call_site():
    text = (
        "from payments import checkout_completed\n"
        "from backend.analytics import avo\n"
        "checkout_completed(order_id='not generated')\n"
        "avo.checkout_completed(order_id='generated')\n"
    )
    result = analyse(text)
    (site,) = result.calls
    assert site.call_span.line == 3
    assert [b.local for b in result.bindings] == ["avo"]


def test_non_generated_import_shadows_the_name_where_it_is_nearer():
    text = (
        "def a():\n"
        "    from backend.analytics.avo import checkout_completed\n"
        "    checkout_completed(order_id='generated')\n"
        "def b():\n"
        "    from payments import checkout_completed\n"
        "    checkout_completed(order_id='payments')\n"
    )
    (site,) = analyse(text).calls
    assert site.call_span.line == 2


def test_same_function_name_in_two_generated_modules():
    text = (
        "from backend.analytics import avo\n"
        "from worker.tracking import worker_avo\n"
        "from worker.tracking.worker_avo import checkout_completed as worker_cc\n"
        "avo.checkout_completed(order_id='a')\n"
        "worker_avo.checkout_completed(order_id='b')\n"
        "worker_cc(order_id='c')\n"
    )
    result = analyse(text)
    assert [(c.module, c.function, c.arguments[0].value) for c in result.calls] == [
        (BACKEND, "checkout_completed", "a"),
        (WORKER, "checkout_completed", "b"),
        (WORKER, "checkout_completed", "c"),
    ]


@pytest.mark.parametrize(
    "path, source, local",
    [
        (ROOT / "backend/analytics/views.py", "from . import avo", "avo"),
        (ROOT / "backend/handlers.py", "from .analytics import avo", "avo"),
        (ROOT / "backend/handlers.py", "from .analytics.avo import checkout_completed as cc", "cc"),
        (ROOT / "backend/api/views.py", "from ..analytics.avo import checkout_completed", "checkout_completed"),
        (ROOT / "backend/api/v1/views.py", "from ...analytics import avo as a", "a"),
        (ROOT / "backend/analytics/__init__.py", "from .avo import checkout_completed", "checkout_completed"),
        (ROOT / "backend/api/views.py", "from.. analytics .avo import checkout_completed", "checkout_completed"),
    ],
)
def test_relative_imports(path, source, local):
    call = f"{local}.checkout_completed(order_id='o')" if local in ("avo", "a") else f"{local}(order_id='o')"
    text = f"{source}\n{call}\n"
    result = analyse(text, path)
    (binding,) = result.bindings
    assert binding.module == BACKEND
    assert binding.local == local
    assert binding.span == span(text, local, text.count(local, 0, text.index("\n")) - 1)
    (site,) = result.calls
    assert (site.module, site.function) == (BACKEND, "checkout_completed")
    assert site.call_span == Span(1, 0, 1, len(call))


def test_relative_import_of_another_folder_is_not_generated():
    # From /ws/worker/jobs.py, `.analytics` is /ws/worker/analytics: no generated file.
    assert analyse("from .analytics import avo\navo.x(a=1)\n", ROOT / "worker/jobs.py") == EMPTY


def test_src_layout_matches_the_end_of_the_path():
    text = "from shop.analytics import avo\nimport shop.analytics.avo\navo.checkout_completed(order_id='o')\n"
    result = analyse(text, ROOT / "src/shop/views.py")
    assert [b.module for b in result.bindings] == [SRC_LAYOUT, SRC_LAYOUT]
    assert [c.module for c in result.calls] == [SRC_LAYOUT]
    # A dotted name matches whole path components only, and only at the end.
    assert analyse("import op.analytics.avo\nimport shop.analytics\n") == EMPTY


def test_package_init_is_the_module():
    text = "from lib.events import avo\nimport events.avo as e\navo.checkout_completed(order_id='o')\ne.x()\n"
    result = analyse(text, ROOT / "lib/app.py")
    assert [(b.local, b.module) for b in result.bindings] == [("avo", PACKAGE), ("e", PACKAGE)]
    assert [c.module for c in result.calls] == [PACKAGE, PACKAGE]


def test_ambiguous_absolute_import_prefers_the_nearest_file():
    near = ROOT / "services/b/avo.py"
    modules = GeneratedModules(ROOT, frozenset({ROOT / "services/a/avo.py", near}))
    result = analyse("import avo\navo.x()\n", ROOT / "services/b/handlers.py", modules)
    assert [c.module for c in result.calls] == [near]


def test_typescript_generated_file_is_not_importable_from_python():
    assert analyse("import Avo\nAvo.checkoutCompleted(orderId='o')\n") == EMPTY


# --------------------------------------------------------------------------- calls


def test_not_calls_attribute_reference_def_and_keyword():
    text = (
        "from backend.analytics import avo\n"
        "from backend.analytics.avo import checkout_completed as cc\n"
        "self.avo.checkout_completed(order_id='attribute')\n"
        "x . cc(order_id='attribute')\n"
        "f = avo.checkout_completed\n"
        "def cc(order_id):\n    pass\n"
        "class cc(Base): pass\n"
        "g(cc=1, avo=avo)\n"
        "avo.checkout_completed.__name__\n"
    )
    assert analyse(text).calls == ()


def test_comments_and_strings_that_look_like_calls(both_paths):
    text = (
        "from backend.analytics import avo  # avo.fake(order_id='x')\n"
        "# avo.checkout_completed(order_id='x')\n"
        "s = 'avo.checkout_completed(order_id=\"x\")'\n"
        't = """\navo.checkout_completed(order_id="x")\n"""\n'
        "u = f'{x} avo.checkout_completed(order_id=1)'\n"
        "v = rb'avo.fake()' + b\"avo.fake()\"\n"
        "avo.real(s='# not a comment', t=\"avo.fake()\")  # avo.fake()\n"
    )
    result = analyse(text)
    (site,) = result.calls
    assert site.function == "real"
    assert site.call_span == Span(8, 0, 8, 45)
    assert [(a.name, a.value) for a in site.arguments] == [("s", "# not a comment"), ("t", "avo.fake()")]


def test_nested_calls_give_two_sites(both_paths):
    text = "from backend.analytics import avo\navo.a(x=avo.b(y=1), z='s')\n"
    outer, inner = analyse(text).calls
    assert (outer.function, outer.callee_span, outer.call_span) == ("a", Span(1, 4, 1, 5), Span(1, 0, 1, 26))
    assert (inner.function, inner.callee_span, inner.call_span) == ("b", Span(1, 12, 1, 13), Span(1, 8, 1, 18))
    assert [(a.name, a.value, a.value_span) for a in outer.arguments] == [
        ("x", UNKNOWN, Span(1, 8, 1, 18)),
        ("z", "s", Span(1, 22, 1, 25)),
    ]
    assert [(a.name, a.value) for a in inner.arguments] == [("y", 1)]


def test_calls_in_lambdas_and_comprehensions(both_paths):
    text = (
        "from backend.analytics.avo import checkout_completed as cc\n"
        "f = lambda o: cc(order_id=o)\n"
        "[cc(order_id=o) for o in orders]\n"
        "{k: cc(order_id=k) for k in keys}\n"
        "g = (cc(order_id=o) for o in orders if cc(order_id='cond'))\n"
        "sorted(xs, key=lambda a, b=1: cc(order_id=a, total=b))\n"
    )
    calls = analyse(text).calls
    assert [c.callee_span for c in calls] == [
        Span(1, 14, 1, 16),
        Span(2, 1, 2, 3),
        Span(3, 4, 3, 6),
        Span(4, 5, 4, 7),
        Span(4, 39, 4, 41),
        Span(5, 30, 5, 32),
    ]
    assert calls[-1].call_span == Span(5, 30, 5, 53)
    assert [a.name for a in calls[-1].arguments] == ["order_id", "total"]
    assert not any(c.dynamic for c in calls)


def test_lambda_argument_value_keeps_its_commas(both_paths):
    text = "import avo\navo.f(key=lambda a, b: (a, b), total=3)\n"
    (site,) = analyse(text).calls
    assert [(a.name, a.value, a.value_span) for a in site.arguments] == [
        ("key", UNKNOWN, Span(1, 10, 1, 29)),
        ("total", 3, Span(1, 37, 1, 38)),
    ]
    assert site.dynamic is False


def test_multi_line_call(both_paths):
    text = (
        "import avo\n"
        "\n"
        "def handler(order):\n"
        "    avo.checkout_completed(\n"
        "        order_id=order.id,\n"
        "        total=(\n"
        "            9.5\n"
        "        ),\n"
        "        payment_method='Card',  # how they paid\n"
        "    )\n"
    )
    (site,) = analyse(text).calls
    assert site.callee_span == Span(3, 8, 3, 26)
    assert site.call_span == Span(3, 4, 9, 5)
    assert [(a.name, a.name_span, a.value, a.value_span) for a in site.arguments] == [
        ("order_id", Span(4, 8, 4, 16), UNKNOWN, Span(4, 17, 4, 25)),
        ("total", Span(5, 8, 5, 13), 9.5, Span(5, 14, 7, 9)),
        ("payment_method", Span(8, 8, 8, 22), "Card", Span(8, 23, 8, 29)),
    ]
    assert site.insert_at == Span(8, 29, 8, 29)  # the trailing comma follows
    assert site.dynamic is False


def test_crlf_and_cr_line_endings(both_paths):
    for newline in ("\r\n", "\r"):
        text = newline.join(["import avo", "avo.f(", "    a=1,", "    b='x'", ")", ""])
        (site,) = analyse(text).calls
        assert site.call_span == Span(1, 0, 4, 1)
        assert [(a.name, a.name_span, a.value) for a in site.arguments] == [
            ("a", Span(2, 4, 2, 5), 1),
            ("b", Span(3, 4, 3, 5), "x"),
        ]


def test_syntax_errors_elsewhere_do_not_hide_calls(both_paths):
    text = (
        "from backend.analytics import avo\n"
        "def broken(:\n"
        "    x = [1, 2\n"
        "    print('unterminated\n"
        "avo.checkout_completed(order_id='o')\n"
        "if x\n"
        "    avo.user_signed_up(plan='pro')\n"
        "else:: )]\n"
        "avo.checkout_completed(order_id='last')\n"
    )
    calls = analyse(text).calls
    assert [(c.function, c.call_span) for c in calls] == [
        ("checkout_completed", Span(4, 0, 4, 36)),
        ("user_signed_up", Span(6, 4, 6, 34)),
        ("checkout_completed", Span(8, 0, 8, 39)),
    ]
    assert not any(c.dynamic for c in calls)


def test_unclosed_call_being_typed_ends_at_the_next_statement():
    text = (
        "import avo\n"
        "def f():\n"
        "    avo.checkout_completed(order_id='o', \n"
        "    x = compute()\n"
        "    return x\n"
    )
    (site,) = analyse(text).calls
    assert site.call_span == Span(2, 4, 2, 40)
    assert [(a.name, a.value) for a in site.arguments] == [("order_id", "o")]
    assert site.insert_at == Span(2, 39, 2, 39)  # after the last argument, before its comma
    assert site.dynamic is True  # broken: say nothing of what is missing


def test_unclosed_call_at_end_of_file():
    text = "import avo\navo.checkout_completed(order_id='o', total="
    (site,) = analyse(text).calls
    assert site.call_span == Span(1, 0, 1, 43)
    assert [(a.name, a.value, a.value_span) for a in site.arguments] == [
        ("order_id", "o", Span(1, 32, 1, 35)),
        ("total", UNKNOWN, Span(1, 43, 1, 43)),
    ]
    assert site.dynamic is True


def test_unclosed_call_stops_at_a_statement_keyword():
    text = "import avo\navo.a(x=1,\ndef g():\n    avo.b(y=2)\n"
    first, second = analyse(text).calls
    assert (first.function, first.call_span, first.dynamic) == ("a", Span(1, 0, 1, 10), True)
    assert (second.function, second.call_span, second.dynamic) == ("b", Span(3, 4, 3, 14), False)


def test_missing_comma_is_dynamic():
    (site,) = analyse("import avo\navo.f(a=1 b=2)\n").calls
    assert site.dynamic is True


def test_unicode_before_the_call_gives_code_point_columns(both_paths):
    # 😀 is one code point (two UTF-16 units, four UTF-8 bytes); é is one code point.
    text = "import avo\nx = '😀é'; avo.checkout_completed(order_id='😀', total=1)  # 🚀\n"
    (site,) = analyse(text).calls
    assert site.call_span == Span(1, 10, 1, 55)
    assert site.callee_span == Span(1, 14, 1, 32)
    assert [(a.name_span, a.value, a.value_span) for a in site.arguments] == [
        (Span(1, 33, 1, 41), "😀", Span(1, 42, 1, 45)),
        (Span(1, 47, 1, 52), 1, Span(1, 53, 1, 54)),
    ]
    assert site.insert_at == Span(1, 54, 1, 54)


def test_unicode_identifiers():
    text = "from backend.analytics.avo import checkout_completed as zahlung_ü\nzahlung_ü(betrag_ä=1)\n"
    (site,) = analyse(text).calls
    assert site.callee_span == Span(1, 0, 1, 9)
    assert [(a.name, a.name_span) for a in site.arguments] == [("betrag_ä", Span(1, 10, 1, 18))]


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "args, dynamic, names",
    [
        ("**kwargs", True, []),
        ("order_id='o', **kwargs", True, ["order_id"]),
        ("*args", True, []),
        ("*args, order_id='o'", True, ["order_id"]),
        ("'positional'", True, []),
        ("order, total=1", True, ["total"]),
        ("x for x in y", True, []),
        ("order_id='o'", False, ["order_id"]),
        ("order_id='o',", False, ["order_id"]),
        ("", False, []),
    ],
)
def test_dynamic_arguments(both_paths, args, dynamic, names):
    (site,) = analyse(f"import avo\navo.f({args})\n").calls
    assert site.dynamic is dynamic
    assert [a.name for a in site.arguments] == names


@pytest.mark.parametrize(
    "code, value",
    [
        ("'single'", "single"),
        ('"double"', "double"),
        ("'''triple'''", "triple"),
        ("'it\\'s'", "it's"),
        ("'tab\\there'", "tab\there"),
        ("r'raw\\n'", "raw\\n"),
        ("u'unicode'", "unicode"),
        ("'impl' \"icit\"", "implicit"),
        ("('multi'\n  'line')", "multiline"),
        ("''", ""),
        ("42", 42),
        ("1_000", 1000),
        ("0x1F", 31),
        ("9.5", 9.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("-1", -1),
        ("- 2.5", -2.5),
        ("+3", 3),
        ("True", True),
        ("False", False),
        ("None", None),
        ("['a', 'b']", ["a", "b"]),
        ("['a', 'b',]", ["a", "b"]),
        ("[]", []),
        ("('a', 1)", ["a", 1]),
        ("(1,)", [1]),
        ("()", []),
        ("(7)", 7),
        ("[[1, -2], ('x',)]", [[1, -2], ["x"]]),
        # Not literals: UNKNOWN.
        ("name", UNKNOWN),
        ("user.id", UNKNOWN),
        ("f'o-{x}'", UNKNOWN),
        ("F'plain'", UNKNOWN),
        ("'a' f'b'", UNKNOWN),
        ("b'bytes'", UNKNOWN),
        ("1j", UNKNOWN),
        ("-1j", UNKNOWN),
        ("{'a': 1}", UNKNOWN),
        ("{1, 2}", UNKNOWN),
        ("['a', x]", UNKNOWN),
        ("[1] + [2]", UNKNOWN),
        ("1 + 2", UNKNOWN),
        ("-x", UNKNOWN),
        ("call()", UNKNOWN),
        ("x if y else 'a'", UNKNOWN),
        ("...", UNKNOWN),
        ("(x := 1)", UNKNOWN),
    ],
)
def test_literal_values(both_paths, code, value):
    text = f"import avo\navo.f(v={code}, after=1)\n"
    (site,) = analyse(text).calls
    arg = site.argument("v")
    assert arg is not None
    assert arg.value == value if value is not UNKNOWN else arg.value is UNKNOWN
    assert type(arg.value) is type(value)
    start = text.index(code)
    assert arg.value_span == span(text, code) if "\n" not in code else arg.value_span.line == 1
    assert text.index("v=") + 2 == start
    assert site.argument("after").value == 1
    assert site.dynamic is False


def test_insert_at_conventions(both_paths):
    text = "import avo\navo.a()\navo.b(  )\navo.c(x=1)\navo.d(x=1, )\navo.e(\n    x=1,\n)\n"
    sites = {c.function: c for c in analyse(text).calls}
    assert sites["a"].insert_at == point(text, "avo.a(")  # just after `(`
    assert sites["b"].insert_at == point(text, "avo.b(")
    assert sites["c"].insert_at == point(text, "x=1")  # after the last argument
    assert sites["d"].insert_at == point(text, "x=1", 1)  # before the trailing comma
    assert sites["e"].insert_at == point(text, "x=1", 2)
    assert sites["a"].call_span == span(text, "avo.a()")
    assert sites["b"].call_span == span(text, "avo.b(  )")


# --------------------------------------------------------------------------- fast path


def test_file_not_mentioning_a_generated_stem_is_empty():
    text = "import os\nfrom payments import checkout_completed\ncheckout_completed(order_id='o')\n"
    assert analyse(text) is EMPTY


def test_file_mentioning_a_stem_without_a_generated_import_is_empty():
    assert analyse("avo = load()\navo.checkout_completed(order_id='o')\n") == EMPTY


def test_mentioned_in_knows_package_names():
    modules = GeneratedModules(ROOT, frozenset({PACKAGE}))
    assert modules.mentioned_in("from lib.events import avo")
    assert not modules.mentioned_in("import os")


# --------------------------------------------------------------------------- against parso


def _parso_calls(text: str, modules: set[str], functions: dict[str, str]):
    """An independent reference: the calls parso's tree shows, in the finder's terms.
    `modules`: local names of modules ("avo", "pkg.avo"); `functions`: local -> name."""
    found = []

    def to_span(start, end):
        return Span(start[0] - 1, start[1], end[0] - 1, end[1])

    def literal(node):
        if node.type in ("fstring",) or any(
            leaf.type == "fstring_start" for leaf in _leaves(node)
        ):
            return UNKNOWN
        try:
            value = ast.literal_eval("(" + node.get_code(include_prefix=False) + "\n)")
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return UNKNOWN
        return _normal(value)

    def visit(node):
        if node.type in ("atom_expr", "power"):
            kids = node.children
            i = 1 if kids[0].type == "keyword" and kids[0].value == "await" else 0
            if kids[i].type == "name":
                chain = [kids[i]]
                for trailer in kids[i + 1 :]:
                    if trailer.type != "trailer":
                        break
                    first = trailer.children[0].value
                    if first == ".":
                        chain.append(trailer.children[1])
                        continue
                    if first == "(":
                        names = [n.value for n in chain]
                        dotted = ".".join(names[:-1])
                        function = names[-1] if dotted in modules else functions.get(names[0]) if len(names) == 1 else None
                        if function is not None:
                            args = []
                            inner = trailer.children[1] if len(trailer.children) == 3 else None
                            items = [] if inner is None else inner.children if inner.type == "arglist" else [inner]
                            for item in items:
                                if item.type == "argument" and item.children[1] == "=":
                                    name, value = item.children[0], item.children[2]
                                    args.append(
                                        (name.value, to_span(name.start_pos, name.end_pos), literal(value),
                                         to_span(value.start_pos, value.end_pos))
                                    )  # fmt: skip
                            found.append(
                                (function, to_span(chain[-1].start_pos, chain[-1].end_pos),
                                 to_span(kids[i].start_pos, trailer.end_pos), args)
                            )  # fmt: skip
                    break
        for child in getattr(node, "children", ()):
            visit(child)

    visit(parso.parse(text))
    return sorted(found, key=lambda f: f[2])


def _leaves(node):
    if hasattr(node, "children"):
        for child in node.children:
            yield from _leaves(child)
    else:
        yield node


def _normal(value):
    if isinstance(value, (list, tuple)):
        items = [_normal(v) for v in value]
        return UNKNOWN if any(v is UNKNOWN for v in items) else items
    if isinstance(value, complex) or not isinstance(value, (str, int, float, bool, type(None))):
        return UNKNOWN
    return value


def test_fixture_agrees_with_parso(both_paths):
    text = (FIXTURES / "varied.py").read_text(encoding="utf-8")
    result = analyse(text, ROOT / "backend/views.py")
    modules = {b.local for b in result.bindings if b.function is None}
    functions = {b.local: b.function for b in result.bindings if b.function is not None}
    assert modules == {"avo", "inner"}
    assert functions == {"cc": "checkout_completed", "user_signed_up": "user_signed_up"}
    expected = _parso_calls(text, modules, functions)
    actual = [
        (c.function, c.callee_span, c.call_span, [(a.name, a.name_span, a.value, a.value_span) for a in c.arguments])
        for c in result.calls
    ]
    assert len(actual) == 24  # 1+1+1+3+4+6+3+3+2, by function of the fixture
    assert actual == expected


def test_fixture_dynamic_flags():
    text = (FIXTURES / "varied.py").read_text(encoding="utf-8")
    calls = analyse(text, ROOT / "backend/views.py").calls
    dynamic_lines = sorted({c.call_span.line for c in calls if c.dynamic})
    lines = text.splitlines()
    assert [lines[n].strip() for n in dynamic_lines] == [
        "avo.checkout_completed(**kwargs)",
        "avo.checkout_completed(order.id, total=1)",
        "avo.checkout_completed(*args, order_id=\"o\")",
        "avo.checkout_completed(order_id=\"o\", **{\"total\": 1})",
    ]


def test_is_pure_and_needs_no_file(tmp_path):
    # The importing file need not exist, and nothing is written.
    before = set(tmp_path.iterdir())
    modules = GeneratedModules(tmp_path, frozenset({tmp_path / "pkg" / "avo.py"}))
    result = analyse_python("from .pkg import avo\navo.x(a=1)\n", tmp_path / "main.py", modules)
    assert [c.module for c in result.calls] == [tmp_path / "pkg" / "avo.py"]
    assert set(tmp_path.iterdir()) == before


def test_attribute_across_a_line_continuation_and_not_after_ellipsis_or_number():
    text = (
        "from backend.analytics import avo\n"
        "from backend.analytics.avo import user_signed_up\n"
        "avo.\\\n"
        "    user_signed_up(plan='a')\n"
        "(avo.\n"
        "  user_signed_up(plan='b'))\n"
        "def stub(): ...\n"
        "user_signed_up(plan='c')\n"
        "x = 1.\n"
        "user_signed_up(plan='d')\n"
    )
    calls = analyse(text).calls
    assert [(c.call_span, c.arguments[0].value) for c in calls] == [
        (Span(2, 0, 3, 28), "a"),
        (Span(4, 1, 5, 26), "b"),
        (Span(7, 0, 7, 24), "c"),
        (Span(9, 0, 9, 24), "d"),
    ]


def test_a_comment_or_string_ending_with_a_dot_before_a_call():
    text = (
        "from backend.analytics import avo\n"
        "from backend.analytics.avo import user_signed_up\n"
        "def sign_up():\n"
        "    # Neither user_id_ nor anonymous_id_: this event belongs to no one.\n"
        "    avo.user_signed_up(plan='a')\n"
        "    x = 'ends with a dot.'\n"
        "    user_signed_up(plan='b')\n"
        "    #.\n"
        "    user_signed_up(plan='c')\n"
        "    (avo.  # a comment between the dot and the name\n"
        "     #\n"
        "     user_signed_up(plan='d'))\n"
    )
    calls = analyse(text).calls
    assert [(c.callee_span, c.arguments[0].value) for c in calls] == [
        (Span(4, 8, 4, 22), "a"),
        (Span(6, 4, 6, 18), "b"),
        (Span(8, 4, 8, 18), "c"),
        (Span(11, 5, 11, 19), "d"),
    ]
    assert calls[-1].call_span == Span(9, 5, 11, 29)


def test_deeply_indented_calls_that_leave_the_fast_path_stay_linear(tmp_path):
    """Blanks before an argument the fast path cannot read (an operator, `*x`) once sent
    its regular expression into exponential backtracking: 20 spaces took ~20 s, 22 took
    ~85 s. The finder runs in a child process with a deadline no linear run comes near."""
    indent = " " * 80
    text = (
        "import avo\n\n"
        f"def f(a, b, x):\n"
        f"{indent}avo.checkout_completed(\n{indent}    item_count=a + b,\n{indent})\n"
        f"{indent}avo.checkout_completed({' ' * 60}*x)\n"
    )
    source = tmp_path / "deep.py"
    source.write_text(text)
    script = (
        "import sys; from pathlib import Path\n"
        "from avo_lsp.analysis.model import GeneratedModules\n"
        "from avo_lsp.analysis.python import analyse_python\n"
        f"modules = GeneratedModules(Path('/ws'), frozenset({{Path('/ws/avo.py')}}))\n"
        f"calls = analyse_python(Path({str(source)!r}).read_text(), Path('/ws/deep.py'), modules).calls\n"
        "print([(c.function, [a.name for a in c.arguments], c.dynamic) for c in calls])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('checkout_completed', ['item_count'], False), ('checkout_completed', [], True)]"
