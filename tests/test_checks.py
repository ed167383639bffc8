"""Where a diagnostic on a call site is decided (avo_lsp.analysis.checks), below the
protocol: findings for calls read by the Python finder from the example's Backend source,
and the memo that lets a re-analysed file reuse what was decided for a call's shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from avo_lsp.plan import Span
from avo_lsp.project import Project

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"
HEAD = "from backend.analytics import avo\n"


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.open(SHOP / "avo.yaml")


def findings(project: Project, *calls: str) -> list[tuple[str, str, Span]]:
    text = HEAD + "".join(f"{call}\n" for call in calls)
    analysis = project.analyse(text, SHOP / "backend" / "x.py", "python")
    return [(f.code, f.message, f.span) for f in project.check(analysis)]


def at(line: int, text: str, needle: str) -> Span:
    """Where `needle` is in `text`, the call on `line` of the file."""
    col = text.index(needle)
    return Span(line, col, line, col + len(needle))


def test_each_code_with_its_message_and_range(project: Project) -> None:
    calls = [
        "avo.checkout_started(item_count=0, item_ids=['a'], coupon_code='abc', user_id_='u')",
        "avo.checkout_started(item_ids=[1], user_id_='u', colour='red')",
        "avo.checkout_begun()",
        "avo.checkout_started(item_count=2, item_ids=[])",
    ]
    assert findings(project, *calls) == [
        ("invalid-value", "`item_count`: 0 is below the minimum 1", at(1, calls[0], "0")),
        ("invalid-value", "`coupon_code`: 'abc' does not match the pattern ^[A-Z0-9]{4,12}$", at(1, calls[0], "'abc'")),
        ("invalid-value", "`item_ids`: item 1: must be a string, not 1", at(2, calls[1], "[1]")),
        ("unknown-argument", "`checkout_started` (Checkout Started) takes no argument `colour`", at(2, calls[1], "colour")),
        ("missing-property", "`checkout_started` (Checkout Started) needs `item_count`", at(2, calls[1], "checkout_started")),
        ("unknown-event", "`checkout_begun` is not an event of Backend in the tracking plan; did you mean `checkout_started`?", at(3, calls[2], "checkout_begun")),
        (
            "missing-user-identity",
            "`checkout_started` is a server event of Backend: pass `user_id_` or `anonymous_id_`, or the event belongs to no user",
            at(4, calls[3], "checkout_started"),
        ),
    ]


def test_the_same_call_twice_is_found_twice_at_its_own_place(project: Project) -> None:
    call = "avo.checkout_started(item_count=0, item_ids=[], user_id_='u')"
    assert findings(project, call, "", "    " + call) == [
        ("invalid-value", "`item_count`: 0 is below the minimum 1", at(1, call, "0")),
        ("invalid-value", "`item_count`: 0 is below the minimum 1", at(3, "    " + call, "0")),
    ]


@pytest.mark.parametrize(
    "value, problem",
    [
        ("1", None),  # an int where an int goes
        ("True", "`item_count`: must be an integer, not True"),  # True == 1, but not to the checks
        ("1.0", "`item_count`: must be an integer, not 1.0"),  # 1.0 == 1, but not in Python
        ("'1'", "`item_count`: must be an integer, not '1'"),
    ],
)
def test_values_equal_in_python_are_not_the_same_to_the_checks(project: Project, value: str, problem: str | None) -> None:
    # Asked one after the other, so the memo has seen the others' shapes first.
    for other in ("1", "True", "1.0", "'1'"):
        findings(project, f"avo.checkout_started(item_count={other}, item_ids=[], user_id_='u')")
    found = findings(project, f"avo.checkout_started(item_count={value}, item_ids=[], user_id_='u')")
    assert [message for _, message, _ in found] == ([problem] if problem else [])


def test_an_object_literal_is_checked_without_the_memo(project: Project) -> None:
    call = "avo.checkout_completed(order_id='o', total=-1, payment_method='Card', is_gift=False, shipping_address={'city': 'X'}, revenue_=1, user_id_='u')"
    assert findings(project, call, call) == [
        ("invalid-value", "`total`: -1 is below the minimum 0", at(1, call, "-1")),
        ("invalid-value", "`total`: -1 is below the minimum 0", at(2, call, "-1")),
    ]
