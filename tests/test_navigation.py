"""Navigation services: hover, signature help, definition and symbols (pure, no LSP)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from avo_lsp.loader import load_plan_text
from avo_lsp.plan import Span
from avo_lsp.project import Project
from avo_lsp.service.navigation import (
    Location,
    definition_code,
    definition_plan,
    document_symbols,
    hover_code,
    hover_plan,
    signature_help,
    workspace_symbols,
)

# Where things are in examples/shop/avo.yaml (0-based lines and columns of the keys).
CHECKOUT_STARTED_KEY = Span(80, 2, 80, 18)
CHECKOUT_COMPLETED_KEY = Span(88, 2, 88, 20)
ORDER_SHIPPED_KEY = Span(101, 2, 101, 15)
USER_SIGNED_UP_KEY = Span(108, 2, 108, 16)
PAYMENT_METHOD_KEY = Span(37, 2, 37, 16)
PLAN_KEY = Span(57, 2, 57, 6)
BACKEND_KEY = Span(5, 2, 5, 9)
WEB_KEY = Span(15, 2, 15, 5)

CHECKOUT_COMPLETED_BACKEND = """\
### Checkout Completed

A customer finished paying.

`checkout_completed`: event function of the Backend source (`backend/analytics/avo.py`)

Sources: Backend (server, python), Worker (server, javascript), Web (client, typescript)

Actions: log_event, revenue

| parameter | type | required | allowed values | min | max |
|---|---|---|---|---|---|
| `order_id` | string | yes |  |  |  |
| `total` | float | yes |  | 0 |  |
| `payment_method` | string | yes | `Card`, `PayPal`, `Apple Pay` |  |  |
| `is_gift` | bool | yes |  |  |  |
| `shipping_address` | object | no | members Country, Postal Code |  |  |
| `coupon_code` | string | no | matches `^[A-Z0-9]{4,12}$` |  |  |
| `user_id_` | string | pass user_id_ or anonymous_id_ |  |  |  |
| `anonymous_id_` | string | pass user_id_ or anonymous_id_ |  |  |  |
| `revenue_` | float | yes |  |  |  |

Identity: pass `user_id_` or `anonymous_id_` (or both); a call with neither belongs to no user."""

CHECKOUT_COMPLETED_PLAN = """\
### Checkout Completed

A customer finished paying.

Sources: Backend (server, python), Worker (server, javascript), Web (client, typescript)

Actions: log_event, revenue

| property | type | required | allowed values | min | max |
|---|---|---|---|---|---|
| Order Id | string | yes |  |  |  |
| Total | float | yes |  | 0 |  |
| Payment Method | string | yes | `Card`, `PayPal`, `Apple Pay` |  |  |
| Is Gift | bool | yes |  |  |  |
| Shipping Address | object | no | members Country, Postal Code |  |  |
| Coupon Code | string | no | matches `^[A-Z0-9]{4,12}$` |  |  |
| revenue amount (`revenue_`) | float | yes |  |  |  |

Generated functions:

- Backend: `checkout_completed` (pass `user_id_` or `anonymous_id_`)
- Worker: `checkoutCompleted` (`userId_` required)
- Web: `checkoutCompleted`"""

ORDER_SHIPPED_WORKER = """\
### Order Shipped

The warehouse handed the order to the carrier.

`orderShipped`: event function of the Worker source (`worker/avo.js`)

Sources: Worker (server, javascript)

Actions: log_event

| parameter | type | required | allowed values | min | max |
|---|---|---|---|---|---|
| `orderId` | string | yes |  |  |  |
| `userId_` | string | yes |  |  |  |

Identity: `userId_` is required (this source sends no anonymous ids).

Always sent (pinned): Country = `"DE"`"""

PY_LABEL = (
    "checkout_completed(*, order_id: str, total: float, "
    "payment_method: Literal['Card', 'PayPal', 'Apple Pay'], is_gift: bool, "
    "shipping_address: dict[str, Any] | None = None, coupon_code: str | None = None, "
    "user_id_: str | None = None, anonymous_id_: str | None = None, revenue_: float)"
)
TS_LABEL = (
    'checkoutCompleted({ orderId: string, total: number, paymentMethod: "Card" | "PayPal" | "Apple Pay", '
    "isGift: boolean, shippingAddress?: Record<string, unknown>, couponCode?: string, revenue_: number })"
)


@pytest.fixture
def project(workspace: Path) -> Project:
    project = Project.open(workspace / "avo.yaml")
    assert project.load.ok, project.load.errors
    return project


def analyse(project: Project, path: Path, text: str | None = None):
    text = path.read_text() if text is None else text
    return project.analyse(text, path), text


def cursor(source: str) -> tuple[str, int, int]:
    """`source` with its `|` removed, and the (line, col) where it was."""
    offset = source.index("|")
    text = source[:offset] + source[offset + 1 :]
    line = text.count("\n", 0, offset)
    return text, line, offset - (text.rfind("\n", 0, offset) + 1)


# =========================================================================== hover in code


def test_hover_on_a_python_callee_shows_the_event_with_its_parameters(project, workspace):
    analysis, _ = analyse(project, workspace / "backend" / "calls.py")
    # line 14: `    avo.checkout_completed(**extra)`
    for col in (8, 17, 26):  # start, middle, just after the name
        hover = hover_code(project, analysis, 14, col)
        assert hover is not None
        assert hover.markdown == CHECKOUT_COMPLETED_BACKEND
        assert hover.span == Span(14, 8, 14, 26)
    assert hover_code(project, analysis, 14, 5) is None  # on `avo`: not the function


def test_hover_on_a_function_import_alias_and_on_its_call(project, workspace):
    analysis, _ = analyse(project, workspace / "backend" / "calls.py")
    # `from backend.analytics.avo import checkout_started as started`
    binding = hover_code(project, analysis, 1, 56)
    assert binding is not None and binding.span == Span(1, 54, 1, 61)
    assert binding.markdown.startswith("### Checkout Started\n\nThe shopper opened checkout.\n\n`checkout_started`: event function of the Backend source")
    call = hover_code(project, analysis, 10, 5)  # `started(item_ids=[], ...)`
    assert call is not None and call.span == Span(10, 4, 10, 11)
    assert call.markdown == binding.markdown
    assert "| `item_count` | int | yes |  | 1 | 500 |" in call.markdown
    assert "| `item_ids` | list of string | yes |  |  |  |" in call.markdown


def test_hover_on_a_module_import_shows_its_source(project, workspace):
    analysis, _ = analyse(project, workspace / "backend" / "calls.py")
    hover = hover_code(project, analysis, 0, 31)  # `from backend.analytics import avo`
    assert hover is not None and hover.span == Span(0, 30, 0, 33)
    assert hover.markdown == (
        "### Backend\n\nSource\n\n"
        "- platform: server\n- language: python\n- path: `backend/analytics/avo.py`\n"
        "- destinations: Segment\n- anonymous ids: yes\n- events: 4"
    )


def test_hover_on_a_keyword_argument_shows_the_property_as_the_event_uses_it(project, workspace):
    analysis, _ = analyse(project, workspace / "backend" / "calls.py")
    # line 11: avo.subscription_changed(plan="pro", payment_method="Card", user_id_=user, coupon="X")
    hover = hover_code(project, analysis, 11, 45)
    assert hover is not None and hover.span == Span(11, 41, 11, 55)
    assert hover.markdown == (
        "### Payment Method\n\n"
        "`payment_method`: required in Subscription Changed\n\n"
        "- type: string\n"
        "- allowed values: `Card`, `PayPal` (narrowed from `Card`, `PayPal`, `Apple Pay`)"
    )
    plan_hover = hover_code(project, analysis, 11, 30)  # `plan=`
    assert plan_hover is not None
    assert plan_hover.markdown == (
        "### Plan\n\n`plan`: required in Subscription Changed\n\n"
        "- type: string (user property)\n- allowed values: `free`, `pro`, `team`\n- sent as: a user property"
    )
    assert hover_code(project, analysis, 11, 80) is None  # `coupon`: no such parameter
    assert hover_code(project, analysis, 11, 58) is None  # the value "Card"


def test_hover_on_an_identity_argument_says_what_is_needed(project, workspace):
    analysis, _ = analyse(project, workspace / "backend" / "calls.py")
    hover = hover_code(project, analysis, 6, 53)  # `user_id_=user`
    assert hover is not None and hover.span == Span(6, 51, 6, 59)
    assert hover.markdown == (
        "### `user_id_`\n\nThe id of the user (string).\n\n"
        "Identity: pass `user_id_` or `anonymous_id_` (or both); a call with neither belongs to no user."
    )


def test_hover_in_typescript_and_javascript(project, workspace):
    ts, _ = analyse(project, workspace / "web" / "src" / "calls.ts")
    hover = hover_code(project, ts, 5, 10)  # Avo.userSignedUp(...)
    assert hover is not None and hover.span == Span(5, 6, 5, 18)
    assert hover.markdown.endswith(
        "| parameter | type | required | allowed values | min | max |\n"
        "|---|---|---|---|---|---|\n"
        "| `plan` | string (user property) | yes | `free`, `pro`, `team` |  |  |\n"
        "| `email` | string (user property) | yes |  |  |  |\n"
        "| `userId_` | string | yes |  |  |  |\n\n"
        "Identity: `userId_` is required; the event identifies the user."
    )
    alias = hover_code(project, ts, 1, 28)  # `import { userSignedUp as signedUp }`
    assert alias is not None and alias.span == Span(1, 25, 1, 33) and alias.markdown == hover.markdown
    key = hover_code(project, ts, 5, 36)  # `email:`
    assert key is not None and key.span == Span(5, 34, 5, 39)
    assert key.markdown.startswith("### Email\n\n`email`: required in User Signed Up\n\n")
    js, _ = analyse(project, workspace / "worker" / "calls.js")
    shipped = hover_code(project, js, 3, 4)
    assert shipped is not None and shipped.markdown == ORDER_SHIPPED_WORKER
    destructured = hover_code(project, js, 0, 10)  # const { orderShipped } = require(...)
    assert destructured is not None and destructured.markdown == ORDER_SHIPPED_WORKER


def test_hover_on_an_unknown_function_or_outside_calls_is_none(project, workspace):
    analysis, _ = analyse(project, workspace / "backend" / "calls.py")
    assert hover_code(project, analysis, 9, 12) is None  # avo.checkout_complete: not an event
    assert hover_code(project, analysis, 4, 4) is None  # `def examples(...)`
    ts, _ = analyse(project, workspace / "web" / "src" / "calls.ts")
    assert hover_code(project, ts, 6, 10) is None  # Avo.productSearch


# =========================================================================== hover in the plan


def test_hover_on_an_event_key_in_the_plan(project):
    plan = project.load.plan
    text = plan.path.read_text()
    hover = hover_plan(plan, text, 88, 5, project.load.apis)
    assert hover is not None and hover.span == CHECKOUT_COMPLETED_KEY
    assert hover.markdown == CHECKOUT_COMPLETED_PLAN
    # Without the APIs they are derived from the plan: the same answer.
    assert hover_plan(plan, text, 88, 20) == hover


def test_hover_on_a_property_key_and_on_a_reference(project):
    plan = project.load.plan
    text = plan.path.read_text()
    hover = hover_plan(plan, text, 26, 2)  # `  Order Id:`
    assert hover is not None and hover.span == Span(26, 2, 26, 10)
    assert hover.markdown == (
        "### Order Id\n\nUnique id of the order.\n\n- type: string\n\nUsed by: Checkout Completed, Order Shipped"
    )
    ref = hover_plan(plan, text, 95, 12)  # `      - Payment Method` in Checkout Completed
    assert ref is not None and ref.span == Span(95, 8, 95, 22)
    assert ref.markdown == (
        "### Payment Method\n\nrequired in Checkout Completed\n\n"
        "- type: string\n- allowed values: `Card`, `PayPal`, `Apple Pay`\n\n"
        "Used by: Checkout Completed, Subscription Changed"
    )
    pinned = hover_plan(plan, text, 106, 16)  # `      - name: Country` + `pinned: DE`
    assert pinned is not None and pinned.span == Span(106, 14, 106, 21)
    assert pinned.markdown == (
        "### Country\n\npinned to `\"DE\"` in Order Shipped\n\n- type: string\n\n"
        "Member of: Shipping Address\n\nUsed by: Order Shipped"
    )
    flow = hover_plan(plan, text, 112, 18)  # `properties: [Plan, Email]`
    assert flow is not None and flow.span == Span(112, 17, 112, 21)
    assert flow.markdown.startswith("### Plan\n\nrequired in User Signed Up\n\n")


def test_hover_on_source_and_destination_keys(project):
    plan = project.load.plan
    text = plan.path.read_text()
    worker = hover_plan(plan, text, 10, 4)
    assert worker is not None and worker.span == Span(10, 2, 10, 8)
    assert worker.markdown == (
        "### Worker\n\nSource\n\n- platform: server\n- language: javascript\n- path: `worker/avo.js`\n"
        "- destinations: Segment, Amplitude\n- anonymous ids: no\n- events: 2"
    )
    segment = hover_plan(plan, text, 22, 3)
    assert segment is not None and segment.markdown == "### Segment\n\nDestination\n\nSources: Backend, Worker"


def test_hover_in_the_plan_elsewhere_is_none(project):
    plan = project.load.plan
    text = plan.path.read_text()
    for line, col in [(0, 3), (1, 0), (4, 0), (6, 8), (28, 20), (88, 0), (89, 5), (500, 0), (88, 500), (-1, 0), (0, -1)]:
        assert hover_plan(plan, text, line, col) is None, (line, col)
    # A buffer that no longer holds the names where the (older) plan says they are.
    stale = text.replace("Checkout Completed:", "Checkout Finished:")
    assert hover_plan(plan, stale, 88, 5) is None
    assert hover_plan(None, text, 88, 5) is None


def test_every_position_of_the_plan_is_safe(project):
    plan = project.load.plan
    text = plan.path.read_text()
    lines = text.split("\n")
    for line, raw in enumerate(lines):
        for col in range(len(raw) + 2):
            hover_plan(plan, text, line, col)
            definition_plan(plan, text, line, col)
    garbage = "\x00]]{{: - : ::\n\t\t- [\n" * 20
    for line, col in itertools.product(range(25), range(25)):
        assert hover_plan(plan, garbage, line, col) is None
        assert definition_plan(plan, garbage, line, col) is None


# =========================================================================== signature help


def test_signature_label_and_parameter_offsets_python(project, workspace):
    path = workspace / "backend" / "new.py"
    text, line, col = cursor('from backend.analytics import avo\navo.checkout_completed(order_id="o", |)\n')
    analysis, _ = analyse(project, path, text)
    signature = signature_help(project, analysis, line, col, text)
    assert signature is not None
    assert signature.label == PY_LABEL
    labels = [p.label for p in signature.parameters]
    assert labels[:3] == ["order_id: str", "total: float", "payment_method: Literal['Card', 'PayPal', 'Apple Pay']"]
    assert labels[-3:] == ["user_id_: str | None = None", "anonymous_id_: str | None = None", "revenue_: float"]
    for p in signature.parameters:
        assert signature.label[p.start : p.end] == p.label
    assert signature.parameters[1].documentation == "Total (float, required, min 0): Order total in the shop's currency."
    assert signature.parameters[6].documentation == "The id of the user: pass `user_id_` or `anonymous_id_` (or both)."
    assert signature.active_parameter == 1  # after the comma: the first one not passed, `total`
    assert signature.span == Span(1, 0, 1, 38)
    assert signature.documentation.startswith("**Checkout Completed** (Backend)\n\nA customer finished paying.")


@pytest.mark.parametrize(
    ("source", "active"),
    [
        ('avo.checkout_completed(|order_id="o", total=1, )', "order_id"),
        ('avo.checkout_completed(ord|er_id="o", total=1, )', "order_id"),
        ('avo.checkout_completed(order_id=|"o", total=1, )', "order_id"),
        ('avo.checkout_completed(order_id="o"|, total=1, )', "order_id"),  # just after it
        ('avo.checkout_completed(order_id="o", total=|1, )', "total"),
        ('avo.checkout_completed(order_id="o", total=1|, )', "total"),
        ('avo.checkout_completed(order_id="o", total=1, |)', "payment_method"),  # first not passed
        ('avo.checkout_completed(order_id="o", total=1,| )', "payment_method"),
        ('avo.checkout_completed(order_id="o", total=1, coup|)', "coupon_code"),  # a name being typed
        ('avo.checkout_completed(order_id="o", total=1, anon|)', "anonymous_id_"),
        ('avo.checkout_completed(order_id="o", total=1, user_id_=|)', "user_id_"),
        ('avo.checkout_completed(|)', "order_id"),
        ('avo.checkout_completed(order_id="o", payment_method=str(|x), )', "payment_method"),
        ('avo.checkout_completed(order_id="o", |', "total"),  # unterminated: being typed
        ('avo.checkout_completed(order_id="o", tot|', "total"),
        ('avo.checkout_completed(order_id="o", total=1, nonsense|)', None),
    ],
)
def test_active_parameter_python(project, workspace, source, active):
    text, line, col = cursor("from backend.analytics import avo\n" + source + "\n")
    analysis, _ = analyse(project, workspace / "backend" / "new.py", text)
    signature = signature_help(project, analysis, line, col, text)
    assert signature is not None
    got = None if signature.active_parameter is None else signature.parameters[signature.active_parameter].label.split(":")[0]
    assert got == active


@pytest.mark.parametrize(
    "source",
    [
        'avo.checkout_completed|(order_id="o")',  # on the name: not inside
        'avo.checkout_|completed(order_id="o")',
        'avo.checkout_completed(order_id="o")|',
        'avo.checkout_completed(order_id="o")  |',
        '|avo.checkout_completed(order_id="o")',
        'avo.checkout_complete(|order_id="o")',  # not an event
    ],
)
def test_no_signature_outside_the_parentheses(project, workspace, source):
    text, line, col = cursor("from backend.analytics import avo\n" + source + "\n")
    analysis, _ = analyse(project, workspace / "backend" / "new.py", text)
    assert signature_help(project, analysis, line, col, text) is None


def test_unterminated_call_ends_at_the_next_statement(project, workspace):
    source = 'from backend.analytics import avo\ndef f():\n    avo.checkout_completed(\n        order_id="o",\n        |\nx = 1\n'
    text, line, col = cursor(source)
    analysis, _ = analyse(project, workspace / "backend" / "new.py", text)
    signature = signature_help(project, analysis, line, col, text)
    assert signature is not None and signature.parameters[signature.active_parameter].label == "total: float"
    assert signature_help(project, analysis, 5, 3, text) is None  # `x = 1`


def test_signature_without_the_text_uses_the_spans(project, workspace):
    text, line, col = cursor('from backend.analytics import avo\navo.checkout_completed(order_id="o", total=1, |)\n')
    analysis, _ = analyse(project, workspace / "backend" / "new.py", text)
    signature = signature_help(project, analysis, line, col)
    assert signature is not None and signature.parameters[signature.active_parameter].label.startswith("payment_method")
    inside = signature_help(project, analysis, 1, 40)  # `total=|1`
    assert inside is not None and inside.active_parameter == 1
    assert signature_help(project, analysis, 1, 22) is None  # the callee's end
    assert signature_help(project, analysis, 1, 49) is None  # after `)`


@pytest.mark.parametrize(
    ("source", "active"),
    [
        ('Avo.checkoutCompleted({ orderId: "o", | })', "total"),
        ('Avo.checkoutCompleted({ |orderId: "o" })', "orderId"),
        ('Avo.checkoutCompleted({ orderId: "o"| })', "orderId"),
        ('Avo.checkoutCompleted({ orderId: "o", total: |1 })', "total"),
        ('Avo.checkoutCompleted({ orderId: "o", pay| })', "paymentMethod"),  # shorthand being typed
        ('Avo.checkoutCompleted(|{})', "orderId"),
        ('Avo.checkoutCompleted({|})', "orderId"),
    ],
)
def test_active_parameter_typescript(project, workspace, source, active):
    text, line, col = cursor('import Avo from "./Avo";\n' + source + "\n")
    analysis, _ = analyse(project, workspace / "web" / "src" / "new.ts", text)
    signature = signature_help(project, analysis, line, col, text)
    assert signature is not None
    assert signature.label == TS_LABEL
    for p in signature.parameters:
        assert signature.label[p.start : p.end] == p.label
    got = None if signature.active_parameter is None else signature.parameters[signature.active_parameter].label.split(":")[0]
    assert got.rstrip("?") == active


def test_javascript_server_signature(project, workspace):
    text, line, col = cursor('const { orderShipped } = require("./avo");\norderShipped({ orderId: "1", | });\n')
    analysis, _ = analyse(project, workspace / "worker" / "new.js", text)
    signature = signature_help(project, analysis, line, col, text)
    assert signature is not None
    assert signature.label == "orderShipped({ orderId: string, userId_: string })"
    assert signature.active_parameter == 1
    assert signature.parameters[1].documentation == "The id of the user (required)."


def test_signature_of_a_function_without_parameters(project, workspace):
    text, line, col = cursor('import Avo from "./Avo";\nAvo.userLoggedOut(|);\n')
    analysis, _ = analyse(project, workspace / "web" / "src" / "new.ts", text)
    signature = signature_help(project, analysis, line, col, text)
    assert signature is not None
    assert (signature.label, signature.parameters, signature.active_parameter) == ("userLoggedOut()", (), None)


# =========================================================================== definition


def test_definition_from_code_to_the_plan(project, workspace):
    plan_path = project.load.plan.path
    analysis, _ = analyse(project, workspace / "backend" / "calls.py")
    assert definition_code(project, analysis, 14, 10) == Location(plan_path, CHECKOUT_COMPLETED_KEY)
    assert definition_code(project, analysis, 1, 58) == Location(plan_path, CHECKOUT_STARTED_KEY)  # alias
    assert definition_code(project, analysis, 10, 6) == Location(plan_path, CHECKOUT_STARTED_KEY)  # started(...)
    assert definition_code(project, analysis, 0, 32) == Location(plan_path, BACKEND_KEY)  # the module
    # An argument name: the property's key in the catalogue, not the event's reference.
    assert definition_code(project, analysis, 11, 50) == Location(plan_path, PAYMENT_METHOD_KEY)
    assert definition_code(project, analysis, 11, 31) == Location(plan_path, PLAN_KEY)
    assert definition_code(project, analysis, 11, 66) is None  # user_id_
    assert definition_code(project, analysis, 11, 82) is None  # coupon: unknown
    assert definition_code(project, analysis, 9, 12) is None  # unknown event
    assert definition_code(project, analysis, 11, 58) is None  # a value
    ts, _ = analyse(project, workspace / "web" / "src" / "calls.ts")
    assert definition_code(project, ts, 4, 4) == Location(plan_path, USER_SIGNED_UP_KEY)
    assert definition_code(project, ts, 0, 8) == Location(plan_path, WEB_KEY)
    assert definition_code(project, ts, 5, 23) == Location(plan_path, PLAN_KEY)  # `plan:`
    assert definition_code(project, ts, 5, 52) is None  # userId_
    js, _ = analyse(project, workspace / "worker" / "calls.js")
    assert definition_code(project, js, 4, 3) == Location(plan_path, ORDER_SHIPPED_KEY)


def test_definition_in_the_plan_from_a_reference_to_the_catalogue(project):
    plan = project.load.plan
    text = plan.path.read_text()
    assert definition_plan(plan, text, 123, 20) == Location(plan.path, PAYMENT_METHOD_KEY)  # name: Payment Method
    assert definition_plan(plan, text, 112, 19) == Location(plan.path, PLAN_KEY)  # [Plan, Email]
    assert definition_plan(plan, text, 88, 5) is None  # an event key
    assert definition_plan(plan, text, 37, 5) is None  # the catalogue key itself


# =========================================================================== symbols


def test_document_symbols_outline(project):
    plan = project.load.plan
    text = plan.path.read_text()
    symbols = document_symbols(plan, text)
    assert [(s.name, s.kind, s.span, s.detail) for s in symbols] == [
        ("Sources", "group", Span(4, 0, 4, 7), "3"),
        ("Destinations", "group", Span(21, 0, 21, 12), "2"),
        ("Properties", "group", Span(25, 0, 25, 10), "15"),
        ("Events", "group", Span(70, 0, 70, 6), "8"),
    ]
    sources, destinations, properties, events = symbols
    assert [(s.name, s.kind, s.span, s.range) for s in sources.children] == [
        ("Backend", "source", BACKEND_KEY, Span(5, 2, 9, 27)),
        ("Worker", "source", Span(10, 2, 10, 8), Span(10, 2, 14, 23)),
        ("Web", "source", WEB_KEY, Span(15, 2, 19, 29)),
    ]
    assert sources.range == Span(4, 0, 19, 29)
    assert [(d.name, d.range) for d in destinations.children] == [("Segment", Span(22, 2, 22, 13)), ("Amplitude", Span(23, 2, 23, 15))]
    assert [p.name for p in properties.children][:4] == ["Order Id", "Total", "Item Count", "Payment Method"]
    assert properties.children[3].detail == "string, one of Card, PayPal, Apple Pay"
    assert all(p.kind == "property" and not p.children for p in properties.children)
    assert [e.name for e in events.children] == [
        "Product Searched", "Cart Viewed", "Checkout Started", "Checkout Completed",
        "Order Shipped", "User Signed Up", "User Logged Out", "Subscription Changed",
    ]
    completed = events.children[3]
    assert (completed.kind, completed.span, completed.range, completed.detail) == (
        "event", CHECKOUT_COMPLETED_KEY, Span(88, 2, 100, 22), "Backend, Worker, Web"
    )
    assert [(c.name, c.kind, c.span, c.detail) for c in completed.children] == [
        ("Order Id", "property", Span(93, 8, 93, 16), "required"),
        ("Total", "property", Span(94, 8, 94, 13), "required"),
        ("Payment Method", "property", Span(95, 8, 95, 22), "required"),
        ("Is Gift", "property", Span(96, 8, 96, 15), "required"),
        ("Shipping Address", "property", Span(97, 14, 97, 30), "optional"),
        ("Coupon Code", "property", Span(99, 14, 99, 25), "optional"),
    ]
    assert [(c.name, c.detail) for c in events.children[4].children] == [("Order Id", "required"), ("Country", 'pinned: "DE"')]
    assert events.children[6].children == ()  # User Logged Out has no properties
    # Every range holds its name and its children.
    def contained(inner: Span, outer: Span) -> bool:
        return (outer.line, outer.col) <= (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)

    def check(symbol):
        assert contained(symbol.span, symbol.range), symbol.name
        for child in symbol.children:
            assert contained(child.range, symbol.range), (symbol.name, child.name)
            check(child)

    for group in symbols:
        check(group)


def test_document_symbols_without_text_and_without_a_plan(project):
    plan = project.load.plan
    symbols = document_symbols(plan)
    assert [s.name for s in symbols] == ["Sources", "Destinations", "Properties", "Events"]
    assert symbols[3].span == Span(71, 2, 71, 18)  # no text: the group starts at its first entry
    assert symbols[3].children[3].range == Span(88, 2, 99, 25)  # to the last key known inside it
    assert document_symbols(None) == []
    broken = load_plan_text("version: 1\nevents: [\n", plan.path)
    assert document_symbols(broken.plan, "version: 1\nevents: [\n") == []


def test_document_symbols_of_a_flow_style_plan(tmp_path):
    text = (
        "version: 1\n"
        "sources: {Web: {platform: client, language: typescript, path: web/Avo.ts}}\n"
        "properties: {A: {type: string}, B: {type: int}}\n"
        "events: {E: {sources: [Web], properties: [A, B]}}\n"
    )
    plan = load_plan_text(text, tmp_path / "avo.yaml").plan
    symbols = document_symbols(plan, text)
    assert [(s.name, s.span) for s in symbols] == [
        ("Sources", Span(1, 0, 1, 7)),
        ("Properties", Span(2, 0, 2, 10)),
        ("Events", Span(3, 0, 3, 6)),
    ]
    props = symbols[1].children
    assert [(p.name, p.span, p.range) for p in props] == [
        ("A", Span(2, 13, 2, 14), Span(2, 13, 2, 30)),
        # The last entry of a flow mapping runs on over the mapping's closing brace.
        ("B", Span(2, 32, 2, 33), Span(2, 32, 2, 47)),
    ]
    assert [c.name for c in symbols[2].children[0].children] == ["A", "B"]


def test_workspace_symbols_fuzzy_match(project):
    plan = project.load.plan
    for query in ("chkcomp", "CHKCOMP", "checkout_completed", "checkoutCompleted", "Checkout Completed"):
        found = workspace_symbols(plan, query)
        assert [(s.name, s.kind) for s in found][:1] == [("Checkout Completed", "event")], query
        assert (found[0].path, found[0].span, found[0].container) == (plan.path, CHECKOUT_COMPLETED_KEY, "Events")
    assert [s.name for s in workspace_symbols(plan, "chkcomp")] == ["Checkout Completed"]
    assert [(s.name, s.kind) for s in workspace_symbols(plan, "order")] == [("Order Shipped", "event"), ("Order Id", "property")]
    assert [s.name for s in workspace_symbols(plan, "checkout")] == ["Checkout Started", "Checkout Completed"]
    assert [(s.name, s.span) for s in workspace_symbols(plan, "paymeth")] == [("Payment Method", PAYMENT_METHOD_KEY)]
    assert workspace_symbols(plan, "zzz") == []
    everything = workspace_symbols(plan, "")
    assert len(everything) == 8 + 15 + 3 + 2
    assert [s.name for s in everything[:2]] == ["Product Searched", "Cart Viewed"]  # plan order
    assert workspace_symbols(None, "x") == []


# =========================================================================== robustness


@pytest.mark.parametrize("relative", ["backend/calls.py", "web/src/calls.ts", "worker/calls.js"])
def test_every_position_of_a_code_file_is_safe(project, workspace, relative):
    path = workspace / relative
    analysis, text = analyse(project, path)
    lines = text.split("\n")
    for line in range(-1, len(lines) + 2):
        width = len(lines[line]) if 0 <= line < len(lines) else 3
        for col in range(-1, width + 3):
            hover_code(project, analysis, line, col)
            definition_code(project, analysis, line, col)
            signature_help(project, analysis, line, col, text)
            signature_help(project, analysis, line, col)
    past = len(lines) + 5
    for fn in (hover_code, definition_code, signature_help):
        assert fn(project, analysis, past, 0) is None
        assert fn(project, analysis, 0, 10_000) is None


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("garbage.py", "from backend.analytics import avo\navo.checkout_completed(((((\n\x00'''\n]]]}}"),
        ("garbage.py", "avo.checkout_completed(order_id=1)\n"),  # no import: not a call site
        ("garbage.ts", 'import Avo from "./Avo";\nAvo.checkoutCompleted({ ...,, : })\n}}}}((\n'),
        ("garbage.js", "\ufeff\u2028require(\n"),
    ],
)
def test_garbage_text_is_safe(project, workspace, name, text):
    folder = {"py": "backend", "ts": "web/src", "js": "worker"}[name.rsplit(".", 1)[1]]
    analysis, _ = analyse(project, workspace / folder / name, text)
    lines = text.split("\n")
    for line in range(len(lines) + 1):
        for col in range(len(lines[line]) + 2 if line < len(lines) else 2):
            hover_code(project, analysis, line, col)
            definition_code(project, analysis, line, col)
            signature_help(project, analysis, line, col, text)


def test_a_project_without_a_plan_answers_nothing(tmp_path, workspace):
    (tmp_path / "avo.yaml").write_text("version: [\n")
    broken = Project.open(tmp_path / "avo.yaml")
    good = Project.open(workspace / "avo.yaml")
    analysis, _ = analyse(good, workspace / "backend" / "calls.py")
    assert hover_code(broken, analysis, 14, 10) is None
    assert definition_code(broken, analysis, 14, 10) is None
    assert signature_help(broken, analysis, 14, 28) is None
