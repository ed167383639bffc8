"""Quick fixes (avo_lsp.service.fixes): the exact edited text, and that it cures the finding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from avo_lsp.loader import load_plan_text
from avo_lsp.plan import Span
from avo_lsp.project import Project
from avo_lsp.service.fixes import Edit, Fix, _regex_sample, fixes_for

PY_HEADER = "from backend.analytics import avo\n\n\ndef run(u, device):\n"
TS_HEADER = 'import Avo from "./Avo";\n\n'
JS_HEADER = 'const { orderShipped } = require("./avo");\n\n'


# --------------------------------------------------------------------------- helpers


def apply_edits(text: str, edits) -> str:
    """Apply edits given in 0-based lines and code-point columns (lines end at \\n,
    \\r\\n or \\r), from the last to the first."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(line: int, col: int) -> int:
        return starts[line] + col

    ordered = sorted(edits, key=lambda e: (e.span.line, e.span.col, e.span.end_line, e.span.end_col), reverse=True)
    # No two edits may overlap (LSP forbids it).
    for later, earlier in zip(ordered, ordered[1:]):
        assert (earlier.span.end_line, earlier.span.end_col) <= (later.span.line, later.span.col)
        assert earlier.span != later.span, "two edits at one point have no defined order"
    for e in ordered:
        a, b = offset(e.span.line, e.span.col), offset(e.span.end_line, e.span.end_col)
        assert a <= b
        text = text[:a] + e.new_text + text[b:]
    return text


@pytest.fixture
def project(workspace: Path) -> Project:
    result = Project.open(workspace / "avo.yaml")
    assert not result.load.errors
    return result


def py(workspace: Path) -> Path:
    return workspace / "backend" / "fx.py"


def ts(workspace: Path) -> Path:
    return workspace / "web" / "src" / "fx.ts"


def js(workspace: Path) -> Path:
    return workspace / "worker" / "fx.js"


def codes(project: Project, path: Path, text: str) -> list[str]:
    return sorted(f.code for f in project.check(project.analyse(text, path)))


def all_fixes(project: Project, path: Path, text: str, code: str, plan_text: str | None = None) -> list[Fix]:
    analysis = project.analyse(text, path)
    findings = [f for f in project.check(analysis) if f.code == code]
    assert findings, f"no {code} in {text!r}"
    return fixes_for(project, analysis, text, path, findings, plan_text=plan_text)


def titles(project: Project, path: Path, text: str, code: str) -> list[str]:
    return [f.title for f in all_fixes(project, path, text, code)]


def fixed(project: Project, path: Path, text: str, code: str, title: str) -> str:
    """The text after the fix titled `title` of the `code` finding, checked to cure it."""
    matching = [f for f in all_fixes(project, path, text, code) if f.title == title]
    assert len(matching) == 1, [f.title for f in all_fixes(project, path, text, code)]
    fix = matching[0]
    assert fix.kind == "quickfix"
    assert all(e.path == path for e in fix.edits)
    new_text = apply_edits(text, fix.edits)
    before = codes(project, path, text).count(code)
    after = codes(project, path, new_text).count(code)
    assert after == before - 1, (new_text, project.check(project.analyse(new_text, path)))
    return new_text


def cured(project: Project, path: Path, text: str, code: str, title: str) -> str:
    """Like `fixed`, and the result has no finding at all."""
    new_text = fixed(project, path, text, code, title)
    assert codes(project, path, new_text) == [], project.check(project.analyse(new_text, path))
    return new_text


# --------------------------------------------------------------------------- missing-user-identity (Python)


def test_python_identity_fixes_single_line(project, workspace):
    text = PY_HEADER + '    avo.user_signed_up(plan="free", email="a@b.c")\n'
    assert titles(project, py(workspace), text, "missing-user-identity") == ["Add `user_id_=`", "Add `anonymous_id_=`"]
    fixes = all_fixes(project, py(workspace), text, "missing-user-identity")
    assert [f.is_preferred for f in fixes] == [True, False]
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`") == (
        PY_HEADER + '    avo.user_signed_up(plan="free", email="a@b.c", user_id_=user_id)\n'
    )
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `anonymous_id_=`") == (
        PY_HEADER + '    avo.user_signed_up(plan="free", email="a@b.c", anonymous_id_=anonymous_id)\n'
    )


def test_python_identity_fix_in_an_empty_call(project, workspace):
    text = PY_HEADER + "    avo.checkout_started()\n"
    new = fixed(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`")
    assert new == PY_HEADER + "    avo.checkout_started(user_id_=user_id)\n"


def test_python_identity_passed_as_none_gets_its_value_replaced(project, workspace):
    text = PY_HEADER + '    avo.user_signed_up(plan="free", email="a@b.c", user_id_=None)\n'
    assert titles(project, py(workspace), text, "missing-user-identity") == ["Set `user_id_=`", "Add `anonymous_id_=`"]
    assert cured(project, py(workspace), text, "missing-user-identity", "Set `user_id_=`") == (
        PY_HEADER + '    avo.user_signed_up(plan="free", email="a@b.c", user_id_=user_id)\n'
    )
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `anonymous_id_=`") == (
        PY_HEADER + '    avo.user_signed_up(plan="free", email="a@b.c", user_id_=None, anonymous_id_=anonymous_id)\n'
    )


def test_python_identity_fix_multi_line_with_trailing_comma(project, workspace):
    text = PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        payment_method="Card",  # how they pay\n'
        "    )\n"
    )
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`") == PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        payment_method="Card",  # how they pay\n'
        "        user_id_=user_id,\n"
        "    )\n"
    )


def test_python_identity_fix_multi_line_without_trailing_comma(project, workspace):
    text = PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        payment_method="Card"  # how they pay\n'
        "    )\n"
    )
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`") == PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        payment_method="Card",  # how they pay\n'
        "        user_id_=user_id\n"
        "    )\n"
    )


def test_python_identity_fix_hanging_indent(project, workspace):
    text = PY_HEADER + (
        '    avo.subscription_changed(plan="pro",\n'
        '                             payment_method="Card")\n'
    )
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`") == PY_HEADER + (
        '    avo.subscription_changed(plan="pro",\n'
        '                             payment_method="Card",\n'
        "                             user_id_=user_id)\n"
    )


def test_python_multi_line_call_on_one_continuation_line_stays_inline(project, workspace):
    text = PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro", payment_method="Card",\n'
        "    )\n"
    )
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`") == PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro", payment_method="Card", user_id_=user_id,\n'
        "    )\n"
    )


def test_crlf_line_endings_are_kept(project, workspace):
    text = (PY_HEADER + "    avo.subscription_changed(\n" '        plan="pro",\n' '        payment_method="Card",\n' "    )\n").replace(
        "\n", "\r\n"
    )
    new = cured(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`")
    assert new == text.replace('"Card",\r\n', '"Card",\r\n        user_id_=user_id,\r\n')


def test_python_identity_fix_after_non_ascii_text(project, workspace):
    text = PY_HEADER + '    avo.user_signed_up(plan="free", email="é😀@b.c")  # 🎉\n'
    assert cured(project, py(workspace), text, "missing-user-identity", "Add `user_id_=`") == (
        PY_HEADER + '    avo.user_signed_up(plan="free", email="é😀@b.c", user_id_=user_id)  # 🎉\n'
    )


# --------------------------------------------------------------------------- identity (TS / JS)


def test_js_server_without_anonymous_id_offers_only_user_id(project, workspace):
    text = JS_HEADER + 'orderShipped({ orderId: "o-1" });\n'
    assert titles(project, js(workspace), text, "missing-user-identity") == ["Add `userId_:`"]
    assert cured(project, js(workspace), text, "missing-user-identity", "Add `userId_:`") == (
        JS_HEADER + 'orderShipped({ orderId: "o-1", userId_: userId });\n'
    )


@pytest.mark.parametrize(
    "call, expected",
    [
        ("orderShipped()", "orderShipped({ userId_: userId })"),
        ("orderShipped({})", "orderShipped({ userId_: userId })"),
        ("orderShipped({ })", "orderShipped({ userId_: userId })"),
        ('orderShipped({orderId: "o"})', 'orderShipped({orderId: "o", userId_: userId})'),
        ('orderShipped({ orderId: "o", })', 'orderShipped({ orderId: "o", userId_: userId, })'),
        ('orderShipped({ "orderId": "o" })', 'orderShipped({ "orderId": "o", userId_: userId })'),
        ("orderShipped({ orderId: undefined })", "orderShipped({ orderId: undefined, userId_: userId })"),
        ("orderShipped({ userId_: null })", "orderShipped({ userId_: userId })"),
    ],
)
def test_js_identity_fix_shapes(project, workspace, call, expected):
    text = JS_HEADER + call + ";\n"
    assert fixed(project, js(workspace), text, "missing-user-identity", "Add `userId_:`" if "userId_" not in call else "Set `userId_:`") == (
        JS_HEADER + expected + ";\n"
    )


def test_ts_missing_user_id_single_line(project, workspace):
    text = TS_HEADER + 'Avo.userSignedUp({ plan: "pro", email: "a@b.c" });\n'
    assert titles(project, ts(workspace), text, "missing-user-id") == ["Add `userId_:`"]
    assert cured(project, ts(workspace), text, "missing-user-id", "Add `userId_:`") == (
        TS_HEADER + 'Avo.userSignedUp({ plan: "pro", email: "a@b.c", userId_: userId });\n'
    )


def test_ts_missing_user_id_multi_line(project, workspace):
    text = TS_HEADER + "function f() {\n  Avo.userSignedUp({\n    plan: \"pro\",\n    email: \"a@b.c\", // work address\n  });\n}\n"
    assert cured(project, ts(workspace), text, "missing-user-id", "Add `userId_:`") == TS_HEADER + (
        "function f() {\n  Avo.userSignedUp({\n    plan: \"pro\",\n    email: \"a@b.c\", // work address\n"
        "    userId_: userId,\n  });\n}\n"
    )


def test_ts_missing_user_id_multi_line_without_trailing_comma(project, workspace):
    text = TS_HEADER + 'Avo.userSignedUp({\n  plan: "pro",\n  email: "a@b.c"\n});\n'
    assert cured(project, ts(workspace), text, "missing-user-id", "Add `userId_:`") == TS_HEADER + (
        'Avo.userSignedUp({\n  plan: "pro",\n  email: "a@b.c",\n  userId_: userId\n});\n'
    )


# --------------------------------------------------------------------------- missing-property


def test_python_missing_properties_get_typed_placeholders(project, workspace):
    text = PY_HEADER + "    avo.checkout_completed(user_id_=u)\n"
    assert titles(project, py(workspace), text, "missing-property") == [
        "Add missing properties `order_id`, `total`, `payment_method`, `is_gift`, `revenue_`"
    ]
    assert cured(project, py(workspace), text, "missing-property", titles(project, py(workspace), text, "missing-property")[0]) == (
        PY_HEADER
        + '    avo.checkout_completed(user_id_=u, order_id="", total=0, payment_method="Card", is_gift=False, revenue_=0)\n'
    )


def test_python_missing_properties_keep_the_quote_style_and_min(project, workspace):
    text = PY_HEADER + "    avo.checkout_started(coupon_code='AB12', user_id_=u)\n"
    assert cured(project, py(workspace), text, "missing-property", "Add missing properties `item_count`, `item_ids`") == (
        PY_HEADER + "    avo.checkout_started(coupon_code='AB12', user_id_=u, item_count=1, item_ids=[])\n"
    )
    text = PY_HEADER + "    avo.checkout_completed(order_id='o', total=1.5, is_gift=True, revenue_=1, user_id_=u)\n"
    assert cured(project, py(workspace), text, "missing-property", "Add missing property `payment_method`") == (
        PY_HEADER
        + "    avo.checkout_completed(order_id='o', total=1.5, is_gift=True, revenue_=1, user_id_=u, payment_method='Card')\n"
    )


def test_python_missing_property_passed_as_none_is_replaced(project, workspace):
    text = PY_HEADER + "    avo.checkout_started(item_count=None, user_id_=u)\n"
    assert cured(project, py(workspace), text, "missing-property", "Add missing properties `item_count`, `item_ids`") == (
        PY_HEADER + "    avo.checkout_started(item_count=1, user_id_=u, item_ids=[])\n"
    )
    # The replaced value is the last argument: one edit, no overlap.
    text = PY_HEADER + "    avo.checkout_started(user_id_=u, item_count=None)\n"
    fix = all_fixes(project, py(workspace), text, "missing-property")[0]
    assert len(fix.edits) == 1
    assert apply_edits(text, fix.edits) == PY_HEADER + "    avo.checkout_started(user_id_=u, item_count=1, item_ids=[])\n"


def test_python_missing_properties_multi_line(project, workspace):
    text = PY_HEADER + "    avo.checkout_started(\n        user_id_=u,\n    )\n"
    assert cured(project, py(workspace), text, "missing-property", "Add missing properties `item_count`, `item_ids`") == (
        PY_HEADER + "    avo.checkout_started(\n        user_id_=u,\n        item_count=1,\n        item_ids=[],\n    )\n"
    )


def test_ts_missing_properties(project, workspace):
    text = TS_HEADER + "Avo.checkoutCompleted({ orderId: 'o' });\n"
    title = "Add missing properties `total`, `paymentMethod`, `isGift`, `revenue_`"
    assert cured(project, ts(workspace), text, "missing-property", title) == (
        TS_HEADER + "Avo.checkoutCompleted({ orderId: 'o', total: 0, paymentMethod: 'Card', isGift: false, revenue_: 0 });\n"
    )
    text = TS_HEADER + "Avo.cartViewed();\n"
    assert cured(project, ts(workspace), text, "missing-property", "Add missing properties `pageName`, `itemCount`") == (
        TS_HEADER + 'Avo.cartViewed({ pageName: "", itemCount: 1 });\n'
    )


def test_ts_missing_properties_multi_line(project, workspace):
    text = TS_HEADER + "Avo.cartViewed({\n  pageName: \"cart\",\n});\n"
    assert cured(project, ts(workspace), text, "missing-property", "Add missing property `itemCount`") == (
        TS_HEADER + "Avo.cartViewed({\n  pageName: \"cart\",\n  itemCount: 1,\n});\n"
    )


def test_regex_samples_match():
    assert _regex_sample("^[A-Z0-9]{4,12}$") == "AAAA"
    assert _regex_sample(r"^\d{3}-\w+$") == "000-a"
    assert _regex_sample("^(foo|bar)+x?$") == "foo"
    for pattern in ("^[^a]+$", r"^(a)\1$", "x"):
        sample = _regex_sample(pattern)
        assert sample is None or re.search(pattern, sample)


# --------------------------------------------------------------------------- invalid-value


def test_python_invalid_value_one_fix_per_allowed_value(project, workspace):
    text = PY_HEADER + "    avo.subscription_changed(plan='gold', payment_method='Card', user_id_=u)\n"
    fixes = all_fixes(project, py(workspace), text, "invalid-value")
    assert [f.title for f in fixes] == ["Replace with 'free'", "Replace with 'pro'", "Replace with 'team'"]
    assert cured(project, py(workspace), text, "invalid-value", "Replace with 'pro'") == (
        PY_HEADER + "    avo.subscription_changed(plan='pro', payment_method='Card', user_id_=u)\n"
    )


def test_invalid_value_prefers_the_close_match(project, workspace):
    text = PY_HEADER + '    avo.subscription_changed(plan="free", payment_method="card", user_id_=u)\n'
    fixes = all_fixes(project, py(workspace), text, "invalid-value")
    # Subscription Changed narrows Payment Method to [Card, PayPal].
    assert [(f.title, f.is_preferred) for f in fixes] == [('Replace with "Card"', True), ('Replace with "PayPal"', False)]
    assert cured(project, py(workspace), text, "invalid-value", 'Replace with "Card"') == (
        PY_HEADER + '    avo.subscription_changed(plan="free", payment_method="Card", user_id_=u)\n'
    )


def test_invalid_value_without_allowed_values_has_no_fix(project, workspace):
    text = PY_HEADER + '    avo.checkout_started(item_count=0, item_ids=["a"], user_id_=u)\n'
    assert titles(project, py(workspace), text, "invalid-value") == []


def test_ts_invalid_value_keeps_the_quote_style(project, workspace):
    text = TS_HEADER + "Avo.checkoutCompleted({ orderId: 'o', total: 1, paymentMethod: `Cash`, isGift: true, revenue_: 1 });\n"
    assert cured(project, ts(workspace), text, "invalid-value", "Replace with `Apple Pay`") == (
        TS_HEADER + "Avo.checkoutCompleted({ orderId: 'o', total: 1, paymentMethod: `Apple Pay`, isGift: true, revenue_: 1 });\n"
    )


# --------------------------------------------------------------------------- unknown-argument


def test_python_unknown_argument_change_and_remove(project, workspace):
    text = PY_HEADER + '    avo.checkout_started(item_count=1, coupon="AB12", item_ids=[], user_id_=u)\n'
    fixes = all_fixes(project, py(workspace), text, "unknown-argument")
    assert [(f.title, f.is_preferred) for f in fixes] == [("Change to `coupon_code`", True), ("Remove argument", False)]
    assert cured(project, py(workspace), text, "unknown-argument", "Change to `coupon_code`") == (
        PY_HEADER + '    avo.checkout_started(item_count=1, coupon_code="AB12", item_ids=[], user_id_=u)\n'
    )
    assert cured(project, py(workspace), text, "unknown-argument", "Remove argument") == (
        PY_HEADER + "    avo.checkout_started(item_count=1, item_ids=[], user_id_=u)\n"
    )


@pytest.mark.parametrize(
    "call, expected",
    [
        ('avo.subscription_changed(plan="pro", payment_method="Card", user_id_=u, bogus="X")',
         'avo.subscription_changed(plan="pro", payment_method="Card", user_id_=u)'),
        ('avo.subscription_changed(bogus="X", plan="pro", payment_method="Card", user_id_=u)',
         'avo.subscription_changed(plan="pro", payment_method="Card", user_id_=u)'),
        ('avo.subscription_changed(plan="pro", payment_method="Card", user_id_=u, bogus=[\n        1, 2])',
         'avo.subscription_changed(plan="pro", payment_method="Card", user_id_=u)'),
    ],
)
def test_python_remove_argument_positions(project, workspace, call, expected):
    text = PY_HEADER + "    " + call + "\n"
    assert titles(project, py(workspace), text, "unknown-argument") == ["Remove argument"]
    assert cured(project, py(workspace), text, "unknown-argument", "Remove argument") == PY_HEADER + "    " + expected + "\n"


def test_python_remove_argument_on_its_own_line(project, workspace):
    text = PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        bogus="X",  # to remove\n'
        '        payment_method="Card",\n'
        "        user_id_=u\n"
        "    )\n"
    )
    assert cured(project, py(workspace), text, "unknown-argument", "Remove argument") == PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        payment_method="Card",\n'
        "        user_id_=u\n"
        "    )\n"
    )
    last = PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        payment_method="Card",\n'
        "        user_id_=u,\n"
        '        bogus="X"\n'
        "    )\n"
    )
    assert cured(project, py(workspace), last, "unknown-argument", "Remove argument") == PY_HEADER + (
        "    avo.subscription_changed(\n"
        '        plan="pro",\n'
        '        payment_method="Card",\n'
        "        user_id_=u,\n"
        "    )\n"
    )


@pytest.mark.parametrize(
    "call, expected",
    [
        ('Avo.productSearched({ searchTerm: "x", query: "y" })', 'Avo.productSearched({ searchTerm: "x" })'),
        ('Avo.productSearched({ query: "y", searchTerm: "x" })', 'Avo.productSearched({ searchTerm: "x" })'),
        ('Avo.productSearched({ searchTerm: "x", "query": "y", })', 'Avo.productSearched({ searchTerm: "x", })'),
        ('Avo.productSearched({ searchTerm: "x", query })', 'Avo.productSearched({ searchTerm: "x" })'),
        ('Avo.productSearched({\n  searchTerm: "x",\n  query: "y",\n})', 'Avo.productSearched({\n  searchTerm: "x",\n})'),
    ],
)
def test_ts_remove_argument(project, workspace, call, expected):
    text = TS_HEADER + call + ";\n"
    assert cured(project, ts(workspace), text, "unknown-argument", "Remove argument") == TS_HEADER + expected + ";\n"


def test_ts_remove_the_only_argument(project, workspace):
    text = TS_HEADER + 'Avo.userLoggedOut({ query: "y" });\n'
    assert cured(project, ts(workspace), text, "unknown-argument", "Remove argument") == TS_HEADER + "Avo.userLoggedOut({});\n"


def test_ts_unknown_argument_change(project, workspace):
    text = TS_HEADER + 'Avo.productSearched({ serchTerm: "x" });\n'
    assert cured(project, ts(workspace), text, "unknown-argument", "Change to `searchTerm`") == (
        TS_HEADER + 'Avo.productSearched({ searchTerm: "x" });\n'
    )
    # A shorthand property keeps the variable it reads.
    text = TS_HEADER + "const serchTerm = 'x';\nAvo.productSearched({ serchTerm });\n"
    assert cured(project, ts(workspace), text, "unknown-argument", "Change to `searchTerm`") == (
        TS_HEADER + "const serchTerm = 'x';\nAvo.productSearched({ searchTerm: serchTerm });\n"
    )


def test_no_change_to_a_name_already_passed(project, workspace):
    text = TS_HEADER + 'Avo.productSearched({ searchTerm: "x", searchTerms: "y" });\n'
    assert titles(project, ts(workspace), text, "unknown-argument") == ["Remove argument"]


# --------------------------------------------------------------------------- unknown-event: rename


def test_python_unknown_event_rename_through_the_module(project, workspace):
    text = PY_HEADER + '    avo.checkout_complete(order_id="o")\n'
    fixes = all_fixes(project, py(workspace), text, "unknown-event")
    assert [(f.title, f.is_preferred) for f in fixes] == [
        ("Change to `checkout_completed`", True),
        ("Add event 'Checkout Complete' to avo.yaml", False),
    ]
    assert fixed(project, py(workspace), text, "unknown-event", "Change to `checkout_completed`") == (
        PY_HEADER + '    avo.checkout_completed(order_id="o")\n'
    )


def test_python_unknown_event_rename_of_a_function_imported_by_name(project, workspace):
    text = (
        "from backend.analytics.avo import checkout_complete\n\n"
        'checkout_complete(order_id="o")\n'
        'checkout_complete(order_id="p")\n'
    )
    # Both calls are unknown events, and each one's fix renames the import and both calls.
    fixes = [f for f in all_fixes(project, py(workspace), text, "unknown-event") if f.title.startswith("Change")]
    assert len(fixes) == 2 and fixes[0].edits == fixes[1].edits
    new = apply_edits(text, fixes[0].edits)
    assert new == (
        "from backend.analytics.avo import checkout_completed\n\n"
        'checkout_completed(order_id="o")\n'
        'checkout_completed(order_id="p")\n'
    )
    assert "unknown-event" not in codes(project, py(workspace), new)


def test_python_unknown_event_rename_of_an_alias_renames_the_import_only(project, workspace):
    text = "from backend.analytics.avo import checkout_complete as cc\n\ncc(order_id=\"o\")\n"
    new = fixed(project, py(workspace), text, "unknown-event", "Change to `checkout_completed`")
    assert new == "from backend.analytics.avo import checkout_completed as cc\n\ncc(order_id=\"o\")\n"


def test_ts_unknown_event_rename(project, workspace):
    text = TS_HEADER + 'Avo.productSearch({ searchTerm: "x" });\nAvo["productSearch"]({ searchTerm: "y" });\n'
    renames = [f for f in all_fixes(project, ts(workspace), text, "unknown-event") if f.title.startswith("Change")]
    assert [apply_edits(text, f.edits).count("productSearched") for f in renames] == [1, 1]  # each fixes its call
    assert apply_edits(text, [e for f in renames for e in f.edits]) == (
        TS_HEADER + 'Avo.productSearched({ searchTerm: "x" });\nAvo["productSearched"]({ searchTerm: "y" });\n'
    )
    named = 'import { productSearch, productSearch as ps } from "./Avo";\nproductSearch({ searchTerm: "x" });\nps({ searchTerm: "x" });\n'
    fixes = all_fixes(project, ts(workspace), named, "unknown-event")
    renames = [f for f in fixes if f.title.startswith("Change")]
    assert [apply_edits(named, f.edits) for f in renames] == [
        'import { productSearched, productSearch as ps } from "./Avo";\nproductSearched({ searchTerm: "x" });\nps({ searchTerm: "x" });\n',
        'import { productSearch, productSearched as ps } from "./Avo";\nproductSearch({ searchTerm: "x" });\nps({ searchTerm: "x" });\n',
    ]


def test_js_unknown_event_rename_of_a_destructured_require(project, workspace):
    text = 'const { orderShip, orderShip: os } = require("./avo");\norderShip({ orderId: "o", userId_: u });\nos({ orderId: "o", userId_: u });\n'
    fixes = [f for f in all_fixes(project, js(workspace), text, "unknown-event") if f.title.startswith("Change")]
    assert [apply_edits(text, f.edits) for f in fixes] == [
        'const { orderShipped, orderShip: os } = require("./avo");\norderShipped({ orderId: "o", userId_: u });\nos({ orderId: "o", userId_: u });\n',
        'const { orderShip, orderShipped: os } = require("./avo");\norderShip({ orderId: "o", userId_: u });\nos({ orderId: "o", userId_: u });\n',
    ]
    fixed_text = apply_edits(text, [e for f in fixes for e in f.edits])
    assert codes(project, js(workspace), fixed_text) == []


# --------------------------------------------------------------------------- unknown-event: the plan


def plan_fix(project: Project, path: Path, text: str, plan_text: str | None = None) -> Fix:
    fixes = [f for f in all_fixes(project, path, text, "unknown-event", plan_text) if not f.title.startswith("Change")]
    assert len(fixes) == 1
    return fixes[0]


def apply_to_plan(project: Project, path: Path, text: str, fix: Fix, plan_text: str | None = None) -> tuple[str, Project]:
    """Apply the plan edits, reload, and check the call is no longer an unknown event."""
    plan_path = project.load.path
    assert all(e.path == plan_path for e in fix.edits)
    before = plan_path.read_text() if plan_text is None else plan_text
    after = apply_edits(before, fix.edits)
    result = load_plan_text(after, plan_path)
    assert result.errors == (), result.errors
    new_project = Project.from_load(result)
    assert "unknown-event" not in codes(new_project, path, text)
    assert "unknown-argument" not in codes(new_project, path, text)
    assert "missing-property" not in codes(new_project, path, text)
    return after, new_project


def test_python_add_event_to_the_plan(project, workspace):
    text = PY_HEADER + '    avo.checkout_complete(order_id="o-1", payment_method="Card", user_id_=u)\n'
    fix = plan_fix(project, py(workspace), text)
    assert fix.title == "Add event 'Checkout Complete' to avo.yaml"
    before = (workspace / "avo.yaml").read_text()
    after, new_project = apply_to_plan(project, py(workspace), text, fix)
    assert after == before + (
        "  Checkout Complete:\n"
        "    sources: [Backend]\n"
        "    properties:\n"
        "      - Order Id\n"
        "      - Payment Method\n"
    )
    assert codes(new_project, py(workspace), text) == []


def test_add_event_adds_new_properties_to_the_catalogue(project, workspace):
    text = PY_HEADER + (
        "    avo.gift_wrapped(\n"
        '        order_id="o-1",\n'
        '        gift_note="hi",\n'
        "        ribbon_count=2,\n"
        "        weight=0.5,\n"
        "        express=True,\n"
        '        tags=["a", "b"],\n'
        "        sender=None,\n"
        "        wrapper=device,\n"
        "        revenue_=3,\n"
        "        anonymous_id_=device,\n"
        "    )\n"
    )
    fix = plan_fix(project, py(workspace), text)
    assert fix.title == "Add event 'Gift Wrapped' to avo.yaml"
    before = (workspace / "avo.yaml").read_text()
    after, new_project = apply_to_plan(project, py(workspace), text, fix)
    new_properties = (
        "  Gift Note:\n    type: string\n"
        "  Ribbon Count:\n    type: int\n"
        "  Weight:\n    type: float\n"
        "  Express:\n    type: bool\n"
        "  Tags:\n    type: string\n    list: true\n"
        "  Sender:\n    type: any\n"
        "  Wrapper:\n    type: any\n"
    )
    anchor = "  Page Name:\n    type: string\n"
    assert anchor in before
    assert after == before.replace(anchor, anchor + new_properties) + (
        "  Gift Wrapped:\n"
        "    sources: [Backend]\n"
        "    actions: [log_event, revenue]\n"
        "    properties:\n"
        "      - Order Id\n"
        "      - Gift Note\n"
        "      - Ribbon Count\n"
        "      - Weight\n"
        "      - Express\n"
        "      - Tags\n"
        "      - name: Sender\n"
        "        optional: true\n"
        "      - Wrapper\n"
    )
    assert codes(new_project, py(workspace), text) == []


def test_ts_add_event_for_a_client_identify_call(project, workspace):
    text = TS_HEADER + 'Avo.accountLinked({ plan: "pro", userId_: "u-1" });\n'
    fix = plan_fix(project, ts(workspace), text)
    assert fix.title == "Add event 'Account Linked' to avo.yaml"
    before = (workspace / "avo.yaml").read_text()
    after, new_project = apply_to_plan(project, ts(workspace), text, fix)
    assert after == before + (
        "  Account Linked:\n"
        "    sources: [Web]\n"
        "    actions: [identify, log_event]\n"
        "    properties:\n"
        "      - Plan\n"
    )
    assert codes(new_project, ts(workspace), text) == []


def test_add_source_to_an_event_of_another_source(project, workspace):
    # Product Searched is a Web event; the Worker calls it too.
    text = 'const avo = require("./avo");\navo.productSearched({ searchTerm: "x", userId_: u });\n'
    fix = plan_fix(project, js(workspace), text)
    assert fix.title == "Add source 'Worker' to event 'Product Searched' in avo.yaml"
    before = (workspace / "avo.yaml").read_text()
    after, new_project = apply_to_plan(project, js(workspace), text, fix)
    assert after == before.replace(
        "  Product Searched:\n    description: A shopper ran a search.\n    sources: [Web]\n",
        "  Product Searched:\n    description: A shopper ran a search.\n    sources: [Web, Worker]\n",
    )
    assert codes(new_project, js(workspace), text) == []


def test_add_source_to_a_block_list_of_sources(project, workspace):
    plan_text = (workspace / "avo.yaml").read_text().replace(
        "    sources: [Web]\n    properties: [Search Term]\n",
        "    sources:\n      - Web  # the site\n    properties: [Search Term]\n",
    )
    (workspace / "avo.yaml").write_text(plan_text)
    project = Project.open(workspace / "avo.yaml")
    text = 'const avo = require("./avo");\navo.productSearched({ searchTerm: "x", userId_: u });\n'
    fix = plan_fix(project, js(workspace), text)
    after, _ = apply_to_plan(project, js(workspace), text, fix)
    assert after == plan_text.replace("      - Web  # the site\n", "      - Web  # the site\n      - Worker\n")


def write_plan(workspace: Path, text: str) -> Project:
    (workspace / "avo.yaml").write_text(text)
    project = Project.open(workspace / "avo.yaml")
    assert project.load.errors == ()
    return project


MINIMAL = (
    "version: 1\n"
    "sources:\n"
    "    Backend:\n"
    "        platform: server\n"
    "        language: python\n"
    "        path: backend/analytics/avo.py\n"
)


@pytest.mark.parametrize("events", ["", "events:\n", "events: {}\n", "events: {}  # none yet"])
def test_add_event_to_a_plan_without_events(workspace, events):
    project = write_plan(workspace, MINIMAL + events)
    text = PY_HEADER + '    avo.order_placed(note="x", user_id_=u)\n'
    fix = plan_fix(project, py(workspace), text)
    assert fix.title == "Add event 'Order Placed' to avo.yaml"
    after, new_project = apply_to_plan(project, py(workspace), text, fix)
    assert codes(new_project, py(workspace), text) == []
    # The file's own indentation step (4) is kept.
    assert "    Order Placed:\n        sources: [Backend]\n        properties:\n          - Note\n" in after
    assert "properties:\n    Note:\n        type: string\n" in after


def test_add_event_uses_the_editor_buffer_of_the_plan(project, workspace):
    buffer = (workspace / "avo.yaml").read_text() + "\n# unsaved comment\n"
    text = PY_HEADER + '    avo.checkout_complete(order_id="o-1", user_id_=u)\n'
    fix = plan_fix(project, py(workspace), text, plan_text=buffer)
    after, _ = apply_to_plan(project, py(workspace), text, fix, plan_text=buffer)
    assert after.endswith("        allowed: [Card, PayPal]\n  Checkout Complete:\n    sources: [Backend]\n    properties:\n      - Order Id\n\n# unsaved comment\n")


def test_no_plan_fix_for_a_name_no_plan_name_becomes(project, workspace):
    text = TS_HEADER + 'Avo.HTMLView({});\n'
    assert titles(project, ts(workspace), text, "unknown-event") == []


# --------------------------------------------------------------------------- the test workspace


def test_every_finding_in_the_test_workspace_gets_a_fix(project, workspace):
    expected_without_fix = {("invalid-value", "`item_count`: 0 is below the minimum 1"), ("invalid-value", "`itemCount`: 501 is above the maximum 500")}
    for relative in ("backend/calls.py", "web/src/calls.ts", "worker/calls.js"):
        path = workspace / relative
        text = path.read_text()
        analysis = project.analyse(text, path)
        for finding in project.check(analysis):
            fixes = fixes_for(project, analysis, text, path, [finding])
            if (finding.code, finding.message) in expected_without_fix:
                assert fixes == []
                continue
            assert fixes, finding
            assert sum(f.is_preferred for f in fixes) <= 1
            for fix in fixes:
                assert isinstance(fix.edits, tuple) and all(isinstance(e, Edit) for e in fix.edits)
                assert fix.finding == finding
                code_edits = [e for e in fix.edits if e.path == path]
                if code_edits:
                    new_text = apply_edits(text, code_edits)
                    assert codes(project, path, new_text).count(finding.code) < codes(project, path, text).count(finding.code)


def test_findings_without_a_call_are_ignored(project, workspace):
    from avo_lsp.analysis.checks import Finding

    text = PY_HEADER + "    pass\n"
    stray = Finding("missing-property", "x", Span(0, 0, 0, 1), {"missing": ["order_id"]})
    assert fixes_for(project, project.analyse(text, py(workspace)), text, py(workspace), [stray]) == []
