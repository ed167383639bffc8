"""The plan loader: every error code of the spec, at its exact line and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    "data",
    [b"\x00\x01\x02binary\xff\xfe", b"version: 1\nname: \xc3\x28\n", b"- just\n- a list\n", b"", b"\t\tversion: 1", b"?"],
)
def test_any_input_gives_errors_never_an_exception(tmp_path, data):
    path = tmp_path / "avo.yaml"
    path.write_bytes(data)
    result = load_plan(path)
    assert result.errors, "bad input must be reported"
    assert all(e.code in ("plan-syntax", "plan-schema") for e in result.errors)


def test_not_utf8_names_the_position(tmp_path):
    path = tmp_path / "avo.yaml"
    path.write_bytes(b"version: 1\nname: \xc3\x28\n")
    [error] = load_plan(path).errors
    assert (error.code, error.span.line + 1, error.span.col + 1) == ("plan-syntax", 2, 7)


def test_columns_count_code_points_after_unicode(tmp_path):
    # "strin" is the 21st code point of its line (and the 25th byte, the 22nd UTF-16 unit).
    text = "version: 1\nproperties:\n  \"Größe 📦\": {type: strin}\n"
    assert errors_of(text, tmp_path) == [("plan-schema", 3, 21)]
