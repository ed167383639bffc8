"""The plan loader: every error code of the spec, at its exact line and column."""

from __future__ import annotations

import gc
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from avo_lsp.api import source_api, source_apis
from avo_lsp.loader import load_plan, load_plan_text
from avo_lsp.plan import Span

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "shop" / "avo.yaml"

HEAD = """\
version: 1
sources:
  Backend:
    platform: server
    language: python
    path: backend/avo.py
  Web:
    platform: client
    language: typescript
    path: web/Avo.ts
destinations:
  Segment: {}
properties:
  Order Id:
    type: string
  Total:
    type: float
"""


def errors_of(text: str, tmp_path: Path) -> list[tuple[str, int, int]]:
    """(code, 1-based line, 1-based column) of each error, as the CLI prints them."""
    result = load_plan_text(textwrap.dedent(text), tmp_path / "avo.yaml")
    return [(e.code, e.span.line + 1, e.span.col + 1) for e in result.errors]


def test_the_example_plan_loads_cleanly():
    result = load_plan(EXAMPLE)
    assert result.errors == ()
    plan = result.plan
    assert list(plan.sources) == ["Backend", "Worker", "Web"]
    assert plan.sources["Worker"].anonymous_id is False
    assert plan.sources["Backend"].anonymous_id is True
    event = plan.events["Checkout Completed"]
    assert event.actions == ("log_event", "revenue")
    assert [(r.name, r.optional) for r in event.properties][-2:] == [("Shipping Address", True), ("Coupon Code", True)]
    shipped = plan.events["Order Shipped"].properties[1]
    assert (shipped.name, shipped.pinned, shipped.is_pinned) == ("Country", "DE", True)
    # Every element keeps the span of its key: "Checkout Completed:" is on line 89.
    assert event.span == Span(88, 2, 88, 20)
    assert plan.properties["Payment Method"].allowed == ("Card", "PayPal", "Apple Pay")


@pytest.mark.skipif(not (SHARED / "spec/example/avo.yaml").exists(), reason="shared/ is not beside the repository")
def test_the_bundled_example_is_the_shared_reference_plan():
    assert EXAMPLE.read_text() == (SHARED / "spec/example/avo.yaml").read_text()


def test_plan_syntax_points_at_the_bad_yaml(tmp_path):
    text = "version: 1\nsources:\n  Backend: [unclosed\n"
    result = load_plan_text(text, tmp_path / "avo.yaml")
    assert result.plan is None
    [error] = result.errors
    assert error.code == "plan-syntax"
    assert (error.span.line + 1, error.span.col + 1) == (4, 1)
    assert error.message.startswith("invalid YAML:")


def test_plan_schema_unknown_key_wrong_type_and_missing_key(tmp_path):
    text = HEAD + """\
events:
  Checkout Completed:
    sources: [Backend]
    descripton: typo
  Order Placed:
    description: [not, a, string]
    sources: [Backend]
  Cart Viewed:
    description: no sources
"""
    assert errors_of(text, tmp_path) == [
        ("plan-schema", 21, 5),  # descripton
        ("plan-schema", 23, 18),  # description is a list
        ("plan-schema", 26, 5),  # Cart Viewed lacks sources
    ]
    messages = [e.message for e in load_plan_text(text, tmp_path / "avo.yaml").errors]
    assert messages[0].startswith("unknown key 'descripton' in event 'Checkout Completed'; expected one of: description,")
    assert messages[1] == "description must be a string, not a list"
    assert messages[2] == "event 'Cart Viewed' is missing the required key 'sources'"


def test_missing_version_and_unsupported_version(tmp_path):
    assert errors_of("name: Shop\n", tmp_path) == [("plan-schema", 1, 1)]
    assert errors_of("version: 2\n", tmp_path) == [("plan-schema", 1, 10)]


def test_duplicate_keys_are_caught_where_pyyaml_would_keep_the_last(tmp_path):
    text = HEAD + """\
  Total:
    type: int
events: {}
"""
    result = load_plan_text(text, tmp_path / "avo.yaml")
    assert [(e.code, e.span.line + 1, e.span.col + 1) for e in result.errors] == [("duplicate-key", 18, 3)]
    assert result.errors[0].message == "duplicate key 'Total' in properties (first defined on line 16)"
    assert result.plan.properties["Total"].type == "float"  # the first one stays


def test_unknown_property_source_and_destination(tmp_path):
    text = HEAD + """\
events:
  Checkout Completed:
    sources: [Backend, Mobile]
    properties:
      - Order Id
      - Discount
      - name: Coupon
        optional: true
"""
    text = text.replace("    path: backend/avo.py\n", "    path: backend/avo.py\n    destinations: [Segment, Mixpanel]\n")
    assert errors_of(text, tmp_path) == [
        ("unknown-destination", 7, 29),
        ("unknown-source", 21, 24),
        ("unknown-property", 24, 9),
        ("unknown-property", 25, 15),
    ]


def test_name_collision_between_events_and_between_parameters(tmp_path):
    text = HEAD + """\
  order-id:
    type: string
events:
  Checkout Completed:
    sources: [Backend]
    properties: [Order Id, order-id]
  checkout completed:
    sources: [Backend]
  Init Avo:
    sources: [Web]
"""
    result = load_plan_text(text, tmp_path / "avo.yaml")
    assert [(e.code, e.span.line + 1, e.span.col + 1) for e in result.errors] == [
        ("name-collision", 23, 28),  # order-id, in the properties list
        ("name-collision", 24, 3),  # checkout completed
        ("name-collision", 26, 3),  # Init Avo would shadow initAvo
    ]
    messages = [e.message for e in result.errors]
    assert messages[0] == (
        "parameter 'order-id' becomes `order_id` in Backend's python code, the same identifier as 'Order Id'"
    )
    assert messages[1] == (
        "event 'checkout completed' becomes `checkout_completed` in Backend's python code,"
        " the same identifier as 'Checkout Completed'"
    )
    assert messages[2] == (
        "event 'Init Avo' becomes `initAvo` in Web's typescript code, the same identifier as 'the generated module'"
    )


def test_invalid_constraints(tmp_path):
    text = """\
version: 1
properties:
  Count:
    type: int
    min: 10
    max: 1
  Flag:
    type: bool
    allowed: [yes-ish]
  Code:
    type: string
    regex: "[unclosed"
  Method:
    type: string
    allowed: [Card, PayPal]
  Amount:
    type: float
    regex: "^1$"
events:
  Paid:
    sources: []
    properties:
      - name: Method
        allowed: [Card, Bitcoin]
      - name: Count
        pinned: many
"""
    assert errors_of(text, tmp_path) == [
        ("invalid-constraint", 6, 10),  # max below min
        ("invalid-constraint", 9, 5),  # allowed on a bool
        ("invalid-constraint", 12, 12),  # bad regex
        ("invalid-constraint", 18, 5),  # regex on a float
        ("plan-schema", 21, 14),  # no sources
        ("invalid-constraint", 24, 18),  # allowed not a subset
        ("invalid-constraint", 26, 17),  # pinned of the wrong type
    ]


def test_unsafe_path(tmp_path):
    text = """\
version: 1
sources:
  Escape:
    platform: server
    language: python
    path: ../outside/avo.py
  Absolute:
    platform: server
    language: python
    path: /etc/avo.py
"""
    assert errors_of(text, tmp_path) == [("unsafe-path", 6, 11), ("unsafe-path", 10, 11)]


def test_a_symlink_that_leads_out_is_an_unsafe_path(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    (root / "gen").symlink_to(outside)
    text = "version: 1\nsources:\n  B:\n    platform: server\n    language: python\n    path: gen/avo.py\n"
    result = load_plan_text(text, root / "avo.yaml")
    assert [(e.code, e.span.line + 1) for e in result.errors] == [("unsafe-path", 6)]


def test_billion_laughs_is_refused_quickly(tmp_path):
    lines = ['version: 1', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    lines.append("name: *j")
    result = load_plan_text("\n".join(lines) + "\n", tmp_path / "avo.yaml")
    codes = {e.code for e in result.errors}
    assert "plan-syntax" in codes
    assert any(e.message == "YAML anchors and aliases are not supported in a plan" for e in result.errors)


def test_a_50_mb_file_gets_a_clear_error(tmp_path):
    big = tmp_path / "avo.yaml"
    with big.open("w") as handle:
        handle.write("version: 1\nname: big\n")
        handle.write("# padding padding padding padding padding padding padding padding\n" * 800_000)
    assert big.stat().st_size > 50_000_000
    result = load_plan(big)
    assert result.plan is None
    [error] = result.errors
    assert error.code == "plan-syntax"
    assert error.message.startswith("the plan file is too large (")
    assert error.format("avo.yaml").startswith("avo.yaml:1:1: plan-syntax: the plan file is too large")


def _source(path: str) -> bytes:
    return f"version: 1\nsources:\n  B:\n    platform: server\n    language: python\n    path: {path}\n".encode()


def _property(lines: str, events: str = "") -> bytes:
    return f"version: 1\nproperties:\n  P:\n{lines}\n{events}".encode()


def _pinned(prop_type: str, value: str) -> bytes:
    events = f"events:\n  E:\n    sources: []\n    properties:\n      - name: P\n        pinned: {value}\n"
    return _property(f"    type: {prop_type}", events)


_NO_SOURCES = ("plan-schema", 7, 14)  # `sources: []` in `_pinned`

# Each input, and every error it gives: (code, 1-based line, 1-based column, the start
# of the message). A plan can be anything; the loader reports it and never raises.
HOSTILE_INPUTS = {
    "binary": (b"\x00\x01\x02binary\xff\xfe", [("plan-syntax", 1, 10, "the plan is not UTF-8 text")]),
    "not utf-8": (b"version: 1\nname: \xc3\x28\n", [("plan-syntax", 2, 7, "the plan is not UTF-8 text")]),
    "a list": (b"- just\n- a list\n", [("plan-schema", 1, 1, "the plan must be a mapping, not a list")]),
    "empty": (b"", [("plan-schema", 1, 1, "the plan is empty")]),
    "tabs": (b"\t\tversion: 1", [("plan-syntax", 1, 1, "invalid YAML: while scanning for the next token")]),
    "a lone ?": (b"?", [("plan-schema", 1, 1, "the plan is missing the required key 'version'"), ("plan-schema", 1, 2, "unknown key ''")]),
    # Paths that `Path.resolve` cannot take, or that no file system would.
    "NUL in a path": (_source('"a\\0b.py"'), [("plan-schema", 6, 11, "the path 'a\\x00b.py' contains a NUL character")]),
    "NUL in an absolute path": (_source('"/a\\0b.py"'), [("plan-schema", 6, 11, "the path '/a\\x00b.py' contains a NUL character")]),
    "a 5,000-byte name": (
        _source("a" * 5000 + ".py"),
        [("plan-schema", 6, 11, f"the path {'a' * 40!r}… is too long: a file or folder name may have at most 255 bytes")],
    ),
    "a 10,000-byte path": (
        _source("/".join(["d" * 200] * 50) + "/avo.py"),
        [("plan-schema", 6, 11, f"the path {'d' * 40!r}… is too long: the whole path may have at most 4095 bytes")],
    ),
    # Odd types, keys and tags.
    "a number for events": (b"version: 1\nevents: 5\n", [("plan-schema", 2, 9, "events must be a mapping, not an integer")]),
    "a list for properties": (b"version: 1\nproperties: [a, b]\n", [("plan-schema", 2, 13, "properties must be a mapping, not a list")]),
    "lists for a version and a name": (
        b"version: [1]\nname: {a: b}\n",
        [("plan-schema", 1, 10, "version must be the integer 1, not a list"), ("plan-schema", 2, 7, "name must be a string, not a mapping")],
    ),
    "odd entries in an event": (
        b"version: 1\nevents:\n  E: {sources: [{a: 1}], properties: [[x]], actions: [7]}\n",
        [
            ("plan-schema", 3, 16, "event 'E' needs at least one source"),
            ("plan-schema", 3, 17, "an entry of event 'E''s sources must be a string, not a mapping"),
            ("plan-schema", 3, 39, "a property reference must be a mapping, not a list"),
            ("plan-schema", 3, 55, "an entry of event 'E''s actions must be a string, not an integer"),
        ],
    ),
    "a list as a key": (b"version: 1\n? [a, b]\n: x\n", [("plan-schema", 2, 3, "a key in the plan must be a plain name")]),
    "a number as a key": (b"version: 1\n1: x\n", [("plan-schema", 2, 1, "unknown key '1' in the plan")]),
    "a tagged mapping": (b"version: 1\nevents: !!set {a: null}\n", [("plan-schema", 2, 9, "unsupported YAML tag 'tag:yaml.org,2002:set'")]),
    "an empty !!int": (b"version: !!int ''\n", [("plan-schema", 1, 10, "version must be the integer 1")]),
    "!!bool maybe": (_source("a.py") + b"    anonymous_id: !!bool maybe\n", [("plan-schema", 7, 19, "anonymous_id must be true or false")]),
    "a bad !!timestamp pinned": (_pinned("any", "!!timestamp abc"), [_NO_SOURCES + ("",), ("invalid-constraint", 10, 17, "the pinned value must be a single any")]),
    "a !!map scalar pinned": (_pinned("any", "!!map ''"), [_NO_SOURCES + ("",), ("invalid-constraint", 10, 17, "the pinned value must be a single any")]),
    # Numbers too large to print (Python's 4,300-digit limit) or to be a JavaScript number.
    "a 5,000-digit min": (_property("    type: int\n    min: " + "9" * 5000), [("plan-schema", 5, 10, "min is too large a number")]),
    "a 4,000-digit hex min": (_property("    type: int\n    min: 0x" + "f" * 4000 + "\n    max: 0"), [("plan-schema", 5, 10, "min is too large a number")]),
    "a sexagesimal max": (_property("    type: int\n    max: " + ":".join(["59"] * 300)), [("plan-schema", 5, 10, "max is too large a number")]),
    "a 5,000-digit version": (b"version: " + b"7" * 5000 + b"\n", [("plan-schema", 1, 10, "version is too large a number")]),
    "a huge pinned int": (_pinned("int", "0x" + "f" * 400), [_NO_SOURCES + ("",), ("invalid-constraint", 10, 17, "the pinned value is too large a number")]),
    "a 5,000-digit pinned int": (_pinned("int", "9" * 5000), [_NO_SOURCES + ("",), ("invalid-constraint", 10, 17, "the pinned value is too large a number")]),
    # Regexes that `re.compile` refuses with something else than `re.error`.
    "regex (?L)": (_property('    type: string\n    regex: "(?L)a"'), [("invalid-constraint", 5, 12, "invalid regex: bad inline flags: cannot use 'L' flag")]),
    "regex (?au)": (_property('    type: string\n    regex: "(?au)x"'), [("invalid-constraint", 5, 12, "invalid regex: bad inline flags")]),
    "regex a{2**32}": (_property('    type: string\n    regex: "a{4294967296}"'), [("invalid-constraint", 5, 12, "invalid regex: the repetition number is too large")]),
    "regex 5,000 groups deep": (_property('    type: string\n    regex: "' + "(" * 5000 + ")" * 5000 + '"'), [("invalid-constraint", 5, 12, "invalid regex: it is nested too deeply")]),
    # Deep nesting: libyaml stops at 1,000 levels (the pure-Python composer is below).
    "10,000 nested lists": (b"version: 1\nname: " + b"[" * 10_000 + b"]" * 10_000 + b"\n", [("plan-syntax", 2, 1006, "invalid YAML: while increasing flow level exceeded maximum nesting depth")]),
    "10,000 nested mappings": (b"version: 1\nname: " + b"{a: " * 10_000 + b"}" * 10_000 + b"\n", [("plan-syntax", 2, 4003, "invalid YAML: while increasing flow level exceeded maximum nesting depth")]),
    "3,000 nested block lists": (b"version: 1\nname:\n" + b"".join(b"  " * i + b"-\n" for i in range(1, 3000)), [("plan-syntax", 1001, 1999, "invalid YAML: while increasing block level exceeded maximum nesting depth")]),
}


@pytest.mark.parametrize("data, expected", HOSTILE_INPUTS.values(), ids=HOSTILE_INPUTS.keys())
def test_any_input_gives_errors_never_an_exception(tmp_path, data, expected):
    path = tmp_path / "avo.yaml"
    path.write_bytes(data)
    result = load_plan(path)
    found = [(e.code, e.span.line + 1, e.span.col + 1, e.message) for e in result.errors]
    assert [f[:3] for f in found] == [e[:3] for e in expected], found
    for (*_, message), (*_, start) in zip(found, expected):
        assert message.startswith(start), (message, start)


def test_a_lone_surrogate_in_an_editor_buffer_is_a_syntax_error(tmp_path):
    # The LSP's JSON can carry "\ud800"; libyaml's UTF-8 encoding of the text then fails.
    result = load_plan_text("version: 1\nname: \ud800\n", tmp_path / "avo.yaml")
    assert [(e.code, e.span.line + 1, e.span.col + 1) for e in result.errors] == [("plan-syntax", 2, 7)]
    assert result.errors[0].message == "the plan is not valid Unicode text (it has a lone surrogate)"


def test_a_symlink_loop_in_a_source_path_is_an_unsafe_path(tmp_path):
    (tmp_path / "loop").symlink_to("loop")  # `Path.resolve` raises RuntimeError (OSError from 3.13)
    result = load_plan_text(_source("loop/avo.py").decode(), tmp_path / "avo.yaml")
    assert [(e.code, e.span.line + 1, e.span.col + 1) for e in result.errors] == [("unsafe-path", 6, 11)]
    assert result.errors[0].message.startswith("the path 'loop/avo.py' cannot be followed inside the plan's folder")


def test_a_plan_folder_in_a_symlink_loop(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    path = tmp_path / "loop" / "avo.yaml"
    result = load_plan_text(_source("a.py").decode(), path)
    assert [(e.code, e.span.line + 1, e.span.col + 1) for e in result.errors] == [("unsafe-path", 6, 11)]
    [error] = load_plan(path).errors
    assert (error.code, error.span.line + 1, error.span.col + 1) == ("plan-syntax", 1, 1)
    assert error.message == "cannot read the plan: Too many levels of symbolic links"


def test_a_plan_path_with_a_nul_byte_is_reported(tmp_path):
    [error] = load_plan(tmp_path / "a\0b.yaml").errors
    assert (error.code, error.span.line + 1, error.span.col + 1) == ("plan-syntax", 1, 1)
    assert error.message == "cannot read the plan: embedded null byte"


def test_the_pure_python_composer_nested_too_deeply(tmp_path, monkeypatch):
    # Without libyaml, PyYAML's composer recurses once per level and runs out of stack.
    import yaml

    from avo_lsp import loader

    monkeypatch.setattr(loader, "_YamlLoader", yaml.SafeLoader)
    result = load_plan_text("version: 1\nname: " + "[" * 10_000 + "]" * 10_000 + "\n", tmp_path / "avo.yaml")
    assert [(e.code, e.span.line + 1, e.span.col + 1, e.message) for e in result.errors] == [
        ("plan-syntax", 1, 1, "the plan is nested too deeply")
    ]


def test_an_unexpected_exception_becomes_a_plan_error(tmp_path, monkeypatch):
    from avo_lsp import loader

    def broken(*args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(loader._PlanReader, "read_events", broken)
    result = load_plan_text(HEAD, tmp_path / "avo.yaml")
    assert result.plan is None
    [error] = result.errors
    assert (error.code, error.span.line + 1, error.span.col + 1) == ("plan-syntax", 1, 1)
    assert error.message == (
        "the plan could not be read: ZeroDivisionError: division by zero (this is a bug in avo-lsp; please report it)"
    )
    assert gc.isenabled()


def test_loading_leaves_the_garbage_collector_as_it_was(tmp_path):
    # The loader pauses the collector while it builds the plan (see `avo_lsp.gc_tuning`).
    assert gc.isenabled()
    load_plan_text(HEAD, tmp_path / "avo.yaml")
    assert gc.isenabled()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: load_plan(EXAMPLE), range(8)))
    assert all(r.errors == () for r in results) and gc.isenabled()
    gc.disable()
    try:
        load_plan_text(HEAD, tmp_path / "avo.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_loading_keeps_nothing_in_the_yaml_constructor(tmp_path):
    # PyYAML's `construct_object` remembers every node it built; a long-running server
    # that reloads the plan on every keystroke must not keep them all.
    from avo_lsp import loader

    load_plan(EXAMPLE)
    assert loader._CONSTRUCTOR.constructed_objects == {}


def test_the_shared_api_builder_gives_what_source_api_gives():
    plan = load_plan(EXAMPLE).plan
    assert source_apis(plan) == tuple(source_api(plan, source) for source in plan.sources.values())
    assert load_plan(EXAMPLE).apis == source_apis(plan)


def test_not_utf8_names_the_position(tmp_path):
    path = tmp_path / "avo.yaml"
    path.write_bytes(b"version: 1\nname: \xc3\x28\n")
    [error] = load_plan(path).errors
    assert (error.code, error.span.line + 1, error.span.col + 1) == ("plan-syntax", 2, 7)


def test_columns_count_code_points_after_unicode(tmp_path):
    # "strin" is the 21st code point of its line (and the 25th byte, the 22nd UTF-16 unit).
    text = "version: 1\nproperties:\n  \"Größe 📦\": {type: strin}\n"
    assert errors_of(text, tmp_path) == [("plan-schema", 3, 21)]


def test_fast_constructors_make_the_same_frozen_objects():
    import dataclasses

    from avo_lsp.api import EventFunction, Parameter
    from avo_lsp.plan import Event, Property, PropertyRef, fast_constructor

    prop = Property("Total", "float", min=0)
    ref_values = (prop, True, None, None, False, Span(1, 2, 1, 7))
    cases = [
        (Span, (1, 2, 3, 4)),
        (PropertyRef, ref_values),
        (Event, ("Paid", ("Web",), "", ("log_event",), (PropertyRef(*ref_values),), Span(0, 0, 0, 4))),
        (Parameter, ("total", "property", True, PropertyRef(*ref_values))),
    ]
    cases.append((EventFunction, ("paid", cases[2][0](*cases[2][1]), (Parameter(*cases[3][1]),), ())))
    for cls, values in cases:
        made, expected = fast_constructor(cls)(*values), cls(*values)
        assert (made, hash(made), repr(made), vars(made)) == (expected, hash(expected), repr(expected), vars(expected))
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(made, dataclasses.fields(cls)[0].name, None)
