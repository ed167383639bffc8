"""The completion service (avo_lsp.service.completion): code and plan completion.

Positions are written into the test texts as `|`; the helpers take it out and pass the
0-based line and code-point column, as the server does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from avo_lsp.analysis.model import EMPTY, FileAnalysis, ImportBinding
from avo_lsp.loader import load_plan_text
from avo_lsp.plan import Span
from avo_lsp.project import Project
from avo_lsp.service.completion import Completion, Completions, complete_code, complete_plan

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"
PLAN_TEXT = (SHOP / "avo.yaml").read_text()

BACKEND_FILE = SHOP / "backend" / "orders.py"
WEB_FILE = SHOP / "web" / "src" / "checkout.ts"
WORKER_FILE = SHOP / "worker" / "jobs.js"

PY_IMPORT = "from backend.analytics import avo\n"
TS_IMPORT = 'import Avo from "./Avo";\n'
JS_REQUIRE = 'const Avo = require("./avo");\n'

BACKEND_FUNCTIONS = ["checkout_completed", "checkout_started", "subscription_changed", "user_signed_up"]
WEB_FUNCTIONS = [
    "cartViewed",
    "checkoutCompleted",
    "checkoutStarted",
    "productSearched",
    "userLoggedOut",
    "userSignedUp",
]


@pytest.fixture(scope="module")
def project() -> Project:
    result = Project.open(SHOP / "avo.yaml")
    assert result.load.ok, result.load.errors
    return result


def cursor(marked: str) -> tuple[str, int, int]:
    """The text without its `|`, and the line and column where it was."""
    offset = marked.index("|")
    text = marked[:offset] + marked[offset + 1 :]
    line = text.count("\n", 0, offset)
    col = offset - (text.rfind("\n", 0, offset) + 1)
    return text, line, col


LANGUAGES = {".py": "python", ".ts": "typescript", ".js": "javascript"}


def code(project: Project, marked: str, path: Path = BACKEND_FILE) -> Completions:
    text, line, col = cursor(marked)
    language = LANGUAGES[path.suffix]
    analysis = project.analyse(text, path, language)
    return complete_code(project, analysis, text, line, col, language)


def by_label(items: Completions) -> dict[str, Completion]:
    return {c.label: c for c in items}


# =========================================================================== functions after `alias.`


def test_python_functions_after_the_module_name(project: Project) -> None:
    items = code(project, PY_IMPORT + "\ndef f():\n    avo.|\n")
    assert [c.label for c in items] == BACKEND_FUNCTIONS
    assert {c.kind for c in items} == {"function"}
    assert items.replace == Span(3, 8, 3, 8)
    done = by_label(items)["checkout_completed"]
    assert done.insert_text == "checkout_completed"
    # A server source: the user identity is part of the snippet, after the properties.
    assert done.snippet == (
        "checkout_completed(order_id=${1}, total=${2}, payment_method=${3}, is_gift=${4}, "
        "user_id_=${5}, revenue_=${6})"
    )
    assert done.detail == (
        "checkout_completed(*, order_id: str, total: float, payment_method: str, is_gift: bool, "
        "shipping_address: dict | None = None, coupon_code: str | None = None, "
        "user_id_: str | None = None, anonymous_id_: str | None = None, revenue_: float) -> None"
    )
    assert done.documentation.splitlines() == [
        "**Checkout Completed** (source Backend, server)",
        "",
        "A customer finished paying.",
        "",
        "- `order_id` (str, required): Unique id of the order.",
        "- `total` (float, required, min 0): Order total in the shop's currency.",
        "- `payment_method` (str, required, one of `Card`, `PayPal`, `Apple Pay`)",
        "- `is_gift` (bool, required)",
        "- `shipping_address` (dict, optional)",
        "- `coupon_code` (str, optional, matches `^[A-Z0-9]{4,12}$`)",
        "- `user_id_` (str, optional): The user's id. A server call must pass `user_id_` or `anonymous_id_`.",
        "- `anonymous_id_` (str, optional): An anonymous (device) id, for a user who is not known yet. "
        "A server call must pass `user_id_` or `anonymous_id_`.",
        "- `revenue_` (float, required): The revenue amount (the event has the `revenue` action).",
        "",
        "Actions: `log_event`, `revenue`.",
    ]
    started = by_label(items)["checkout_started"]
    assert started.snippet == "checkout_started(item_count=${1}, item_ids=${2}, user_id_=${3})"


def test_python_aliased_module_replaces_the_partial_name(project: Project) -> None:
    source = "import backend.analytics.avo as tracking\n\ntracking.chec|kout_x\n"
    items = code(project, source)
    assert [c.label for c in items] == BACKEND_FUNCTIONS
    # The word before and after the cursor is replaced.
    assert items.replace == Span(2, 9, 2, 19)


def test_python_dotted_import(project: Project) -> None:
    items = code(project, "import backend.analytics.avo\n\nbackend.analytics.avo.user|\n")
    assert [c.label for c in items] == BACKEND_FUNCTIONS
    assert items.replace == Span(2, 22, 2, 26)
    assert by_label(items)["user_signed_up"].snippet == "user_signed_up(plan=${1}, email=${2}, user_id_=${3})"


def test_python_no_snippet_when_the_parentheses_are_there(project: Project) -> None:
    items = code(project, PY_IMPORT + "avo.check|_started(item_count=1)\n")
    assert {c.snippet for c in items} == {None}
    assert by_label(items)["checkout_started"].insert_text == "checkout_started"
    assert items.replace == Span(1, 4, 1, 17)


def test_typescript_default_import(project: Project) -> None:
    items = code(project, TS_IMPORT + "export function f() {\n  Avo.|\n}\n", WEB_FILE)
    assert [c.label for c in items] == WEB_FUNCTIONS
    assert items.replace == Span(2, 6, 2, 6)
    fns = by_label(items)
    # A client source: no user id, except for the Identify event.
    assert fns["checkoutCompleted"].snippet == (
        "checkoutCompleted({ orderId: ${1}, total: ${2}, paymentMethod: ${3}, isGift: ${4}, revenue_: ${5} })"
    )
    assert fns["userSignedUp"].snippet == "userSignedUp({ plan: ${1}, email: ${2}, userId_: ${3} })"
    assert fns["userLoggedOut"].snippet == "userLoggedOut({})"
    assert fns["cartViewed"].insert_text == "cartViewed"
    assert fns["checkoutCompleted"].detail == (
        'checkoutCompleted({ orderId: string; total: number; paymentMethod: "Card" | "PayPal" | "Apple Pay"; '
        "isGift: boolean; shippingAddress?: object; couponCode?: string; revenue_: number }): void"
    )


def test_typescript_namespace_import(project: Project) -> None:
    items = code(project, 'import * as Tracking from "./Avo";\nTracking.product|\n', WEB_FILE)
    assert [c.label for c in items] == WEB_FUNCTIONS
    assert items.replace == Span(1, 9, 1, 16)
    assert by_label(items)["productSearched"].snippet == "productSearched({ searchTerm: ${1} })"


def test_javascript_require_of_a_server_source(project: Project) -> None:
    items = code(project, JS_REQUIRE + "function ship(order) {\n  Avo.|\n}\n", WORKER_FILE)
    assert [c.label for c in items] == ["checkoutCompleted", "orderShipped"]
    fns = by_label(items)
    # `anonymous_id: false`: userId_ is required; a server call passes it either way.
    assert fns["orderShipped"].snippet == "orderShipped({ orderId: ${1}, userId_: ${2} })"
    assert fns["checkoutCompleted"].snippet == (
        "checkoutCompleted({ orderId: ${1}, total: ${2}, paymentMethod: ${3}, isGift: ${4}, "
        "userId_: ${5}, revenue_: ${6} })"
    )
    assert fns["orderShipped"].detail == "orderShipped({ orderId: string; userId_: string }): void"
    assert fns["orderShipped"].documentation.splitlines()[-1] == 'Always sends `Country` = `"DE"`.'


def test_no_functions_after_other_names_or_in_strings_and_comments(project: Project) -> None:
    assert code(project, PY_IMPORT + "other.|\n").items == ()
    assert code(project, PY_IMPORT + "self.avo.|\n").items == ()
    assert code(project, PY_IMPORT + 'x = "avo.|"\n').items == ()
    assert code(project, PY_IMPORT + "# avo.|\n").items == ()
    assert code(project, TS_IMPORT + "// Avo.|\n", WEB_FILE).items == ()
    assert code(project, TS_IMPORT + "const s = `Avo.|`;\n", WEB_FILE).items == ()


# =========================================================================== arguments


def test_python_arguments_not_yet_passed_in_a_multi_line_call(project: Project) -> None:
    source = PY_IMPORT + (
        "def f(order):\n"
        "    avo.checkout_completed(\n"
        "        order_id=order.id,\n"
        "        |\n"
        "        payment_method='Card',\n"
        "    )\n"
    )
    items = code(project, source)
    assert [(c.label, c.insert_text, c.sort_text) for c in items] == [
        ("total", "total=", "00001"),
        ("is_gift", "is_gift=", "00003"),
        ("shipping_address", "shipping_address=", "20004"),
        ("coupon_code", "coupon_code=", "20005"),
        # no identity passed yet: the identity arguments come right after the required ones
        ("user_id_", "user_id_=", "10006"),
        ("anonymous_id_", "anonymous_id_=", "10007"),
        ("revenue_", "revenue_=", "00008"),
    ]
    assert {c.kind for c in items} == {"argument"}
    assert items.replace == Span(4, 8, 4, 8)
    assert {c.snippet for c in items} == {None}
    total = by_label(items)["total"]
    assert total.detail == "total: float"
    assert total.documentation == "`total` (float, required, min 0): Order total in the shop's currency."
    assert by_label(items)["coupon_code"].detail == "coupon_code: str | None = None"


def test_python_argument_partial_name_and_identity_rank(project: Project) -> None:
    source = PY_IMPORT + "avo.checkout_started(item_count=2, anonymous_id_=d, it|)\n"
    items = code(project, source)
    assert [(c.label, c.sort_text) for c in items] == [
        ("item_ids", "00001"),
        ("coupon_code", "20002"),
        ("user_id_", "20003"),  # an identity is passed: no longer pushed up
    ]
    assert items.replace == Span(1, 52, 1, 54)


def test_python_argument_name_already_followed_by_equals(project: Project) -> None:
    items = code(project, PY_IMPORT + "avo.checkout_started(item_count=2, ite|m_ids=[])\n")
    assert by_label(items)["item_ids"].insert_text == "item_ids"
    assert items.replace == Span(1, 35, 1, 43)


def test_python_arguments_of_an_imported_function_under_an_alias(project: Project) -> None:
    source = "from backend.analytics.avo import subscription_changed as plan_changed\n\nplan_changed(|)\n"
    items = code(project, source)
    assert [c.label for c in items] == ["plan", "payment_method", "user_id_", "anonymous_id_"]
    assert items.replace == Span(2, 13, 2, 13)


def test_python_arguments_while_the_call_is_being_typed(project: Project) -> None:
    source = PY_IMPORT + "def f():\n    avo.user_signed_up(plan='pro',\n        |\n\ndef g():\n    pass\n"
    items = code(project, source)
    assert [c.label for c in items] == ["email", "user_id_", "anonymous_id_"]


def test_typescript_arguments_in_the_object_literal(project: Project) -> None:
    source = TS_IMPORT + (
        "export function paid(order: { id: string }) {\n"
        "  Avo.checkoutCompleted({\n"
        "    orderId: order.id,\n"
        "    pay|\n"
        "  });\n"
        "}\n"
    )
    items = code(project, source, WEB_FILE)
    assert [(c.label, c.insert_text, c.sort_text) for c in items] == [
        ("total", "total: ", "00001"),
        ("paymentMethod", "paymentMethod: ", "00002"),
        ("isGift", "isGift: ", "00003"),
        ("shippingAddress", "shippingAddress: ", "20004"),
        ("couponCode", "couponCode: ", "20005"),
        ("revenue_", "revenue_: ", "00006"),
    ]
    assert items.replace == Span(4, 4, 4, 7)
    assert by_label(items)["couponCode"].detail == "couponCode?: string"
    assert by_label(items)["paymentMethod"].detail == 'paymentMethod: "Card" | "PayPal" | "Apple Pay"'


def test_client_identify_event_takes_a_user_id(project: Project) -> None:
    items = code(project, TS_IMPORT + 'Avo.userSignedUp({ plan: "pro", | });\n', WEB_FILE)
    assert [(c.label, c.sort_text) for c in items] == [("email", "00001"), ("userId_", "00002")]


def test_javascript_server_arguments(project: Project) -> None:
    items = code(project, JS_REQUIRE + "Avo.orderShipped({ orderId: id, | });\n", WORKER_FILE)
    assert [(c.label, c.insert_text, c.sort_text) for c in items] == [("userId_", "userId_: ", "00001")]


def test_no_arguments_where_no_name_goes(project: Project) -> None:
    assert code(project, PY_IMPORT + "avo.checkout_started(item_count=|)\n").items == ()
    assert code(project, PY_IMPORT + "avo.checkout_started(item_count=len(|))\n").items == ()
    assert code(project, PY_IMPORT + "avo.checkout_started(item_count=1)|\n").items == ()
    assert code(project, PY_IMPORT + "avo.checkout_started(item_count=1  # |\n)\n").items == ()
    assert code(project, PY_IMPORT + "print(|)\n").items == ()
    # TS: inside the parentheses but outside the object literal
    assert code(project, TS_IMPORT + "Avo.checkoutStarted(|);\n", WEB_FILE).items == ()
    assert code(project, TS_IMPORT + "Avo.checkoutStarted({ itemCount: | });\n", WEB_FILE).items == ()


def test_arguments_from_the_text_when_the_analysis_has_no_calls(project: Project) -> None:
    """An analysis that lags behind the text (only its bindings are right) still works."""
    text, line, col = cursor(PY_IMPORT + "avo.checkout_started(item_count=1, |)\n")
    module = next(p for p, api in project.apis.items() if api.source.name == "Backend")
    analysis = FileAnalysis(bindings=(ImportBinding("avo", module, None, Span(0, 30, 0, 33)),))
    items = complete_code(project, analysis, text, line, col, "python")
    assert [c.label for c in items] == ["item_ids", "coupon_code", "user_id_", "anonymous_id_"]
    assert items.replace == Span(1, 35, 1, 35)


# =========================================================================== allowed values


def test_python_allowed_values_inside_a_string(project: Project) -> None:
    items = code(project, PY_IMPORT + "avo.checkout_completed(order_id='o', payment_method='Pa|y')\n")
    assert [(c.label, c.insert_text, c.kind, c.sort_text) for c in items] == [
        ("Card", "Card", "value", "0000"),
        ("PayPal", "PayPal", "value", "0001"),
        ("Apple Pay", "Apple Pay", "value", "0002"),
    ]
    # The string's contents, without the quotes.
    assert items.replace == Span(1, 53, 1, 56)
    assert items.items[0].detail == "payment_method: str"


def test_allowed_values_follow_the_events_override(project: Project) -> None:
    source = "from backend.analytics.avo import subscription_changed as plan_changed\nplan_changed(payment_method=\"|\")\n"
    items = code(project, source)
    assert [c.label for c in items] == ["Card", "PayPal"]
    assert items.replace == Span(1, 29, 1, 29)


def test_allowed_values_in_an_unclosed_string(project: Project) -> None:
    items = code(project, PY_IMPORT + "avo.user_signed_up(plan='p|\n")
    assert [c.label for c in items] == ["free", "pro", "team"]
    assert items.replace == Span(1, 25, 1, 26)


def test_typescript_allowed_values(project: Project) -> None:
    items = code(project, TS_IMPORT + 'Avo.userSignedUp({ plan: "|", email: e });\n', WEB_FILE)
    assert [c.label for c in items] == ["free", "pro", "team"]
    assert items.replace == Span(1, 26, 1, 26)
    assert items.items[0].detail == 'plan: "free" | "pro" | "team"'


def test_no_values_for_a_free_string(project: Project) -> None:
    assert code(project, PY_IMPORT + "avo.checkout_completed(order_id='|')\n").items == ()
    assert code(project, TS_IMPORT + 'Avo.productSearched({ searchTerm: "|" });\n', WEB_FILE).items == ()


# =========================================================================== never raises


@pytest.mark.parametrize(
    "line, col",
    [(-1, 0), (0, -1), (99, 0), (1, 99), (2, 1), (10**9, 10**9)],
)
def test_code_positions_out_of_range(project: Project, line: int, col: int) -> None:
    text = PY_IMPORT + "avo.\n"
    analysis = project.analyse(text, BACKEND_FILE, "python")
    assert complete_code(project, analysis, text, line, col, "python").items == ()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01\x02(((",
        "avo.",
        PY_IMPORT + "avo.checkout_completed(\"\"\"\n(((",
        PY_IMPORT + "avo.checkout_completed(order_id=)))]]]}}}'\"",
        PY_IMPORT + "\ud800avo.\U0001f600(",
        "from . import avo\navo.(",
    ],
)
def test_code_garbage(project: Project, text: str) -> None:
    analysis = project.analyse(text, BACKEND_FILE, "python")
    lines = text.split("\n")
    for line, content in enumerate(lines):
        for col in range(len(content) + 1):
            complete_code(project, analysis, text, line, col, "python")  # must not raise
            complete_code(project, analysis, text, line, col, "typescript")
    assert complete_code(project, EMPTY, text, 0, 0, "python").items == ()


def test_code_unknown_language_or_no_imports(project: Project) -> None:
    text, line, col = cursor(PY_IMPORT + "avo.|\n")
    analysis = project.analyse(text, BACKEND_FILE, "python")
    assert complete_code(project, analysis, text, line, col, "rust").items == ()
    assert complete_code(project, EMPTY, text, line, col, "python").items == ()


# =========================================================================== the plan


def plan_at(marked: str, *, loaded: bool = True) -> Completions:
    text, line, col = cursor(marked)
    plan = load_plan_text(text, SHOP / "avo.yaml").plan if loaded else None
    return complete_plan(plan, text, line, col)


def edit(old: str, new: str) -> str:
    assert PLAN_TEXT.count(old) == 1, old
    return PLAN_TEXT.replace(old, new)


ALL_PROPERTIES = [
    "Order Id",
    "Total",
    "Item Count",
    "Payment Method",
    "Item Ids",
    "Coupon Code",
    "Is Gift",
    "Shipping Address",
    "Country",
    "Postal Code",
    "Search Term",
    "Plan",
    "Email",
    "App Version",
    "Page Name",
]


def labels(items: Completions) -> list[str]:
    return [c.label for c in items]


def test_plan_property_names_in_a_block_list(project: Project) -> None:
    items = plan_at(edit("      - Item Ids\n", "      - Item Ids\n      - Co|\n"))
    # Checkout Started lists Item Count, Item Ids and Coupon Code already.
    assert labels(items) == [p for p in ALL_PROPERTIES if p not in ("Item Count", "Item Ids", "Coupon Code")]
    line = PLAN_TEXT.splitlines().index("      - Item Ids") + 1
    assert items.replace == Span(line, 8, line, 10)
    assert {c.kind for c in items} == {"property"}
    total = by_label(items)["Total"]
    assert (total.insert_text, total.detail, total.documentation) == (
        "Total",
        "float",
        "Order total in the shop's currency.",
    )
    assert by_label(items)["Plan"].detail == "string (user)"


def test_plan_property_names_in_a_flow_list(project: Project) -> None:
    items = plan_at(edit("    properties: [Search Term]", "    properties: [Search Term, |]"))
    assert labels(items) == [p for p in ALL_PROPERTIES if p != "Search Term"]
    line = PLAN_TEXT.splitlines().index("    properties: [Search Term]")
    assert items.replace == Span(line, 30, line, 30)


def test_plan_property_name_in_a_reference_mapping(project: Project) -> None:
    items = plan_at(edit("      - name: Shipping Address\n", "      - name: Ship|\n"))
    listed = {"Order Id", "Total", "Payment Method", "Is Gift", "Coupon Code"}  # Checkout Completed
    assert labels(items) == [p for p in ALL_PROPERTIES if p not in listed]
    line = PLAN_TEXT.splitlines().index("      - name: Shipping Address")
    assert items.replace == Span(line, 14, line, 18)


def test_plan_property_name_with_quotes_in_yaml() -> None:
    text = (
        "version: 1\nsources:\n  A: {platform: client, language: python, path: a.py}\n"
        "properties:\n  'yes': {type: bool}\n  'a: b': {type: string}\n  Plain: {type: string}\n"
        "events:\n  E:\n    sources: [A]\n    properties:\n      - |\n"
    )
    items = plan_at(text)
    assert [(c.label, c.insert_text) for c in items] == [("yes", '"yes"'), ("a: b", '"a: b"'), ("Plain", "Plain")]


def test_plan_sources_of_an_event(project: Project) -> None:
    items = plan_at(edit("    sources: [Web]\n    properties: [Search Term]", "    sources: [Web, |]\n    properties: [Search Term]"))
    assert [(c.label, c.kind, c.detail) for c in items] == [
        ("Backend", "source", "server python"),
        ("Worker", "source", "server javascript"),
    ]
    assert items.items[0].documentation == "Generates `backend/analytics/avo.py`."
    # the element under the cursor is replaced as a whole and may be chosen again
    items = plan_at(edit("    sources: [Web]\n    properties: [Search Term]", "    sources: [W|eb]\n    properties: [Search Term]"))
    assert labels(items) == ["Backend", "Worker", "Web"]
    line = PLAN_TEXT.splitlines().index("    sources: [Web]")
    assert items.replace == Span(line, 14, line, 17)


def test_plan_sources_as_a_block_value_become_a_list(project: Project) -> None:
    items = plan_at(edit("    sources: [Web]\n    properties: [Search Term]", "    sources: |\n    properties: [Search Term]"))
    assert [(c.label, c.insert_text) for c in items] == [("Backend", "[Backend]"), ("Worker", "[Worker]"), ("Web", "[Web]")]


def test_plan_destinations_of_a_source(project: Project) -> None:
    items = plan_at(edit("    destinations: [Segment]", "    destinations: [|]"))
    assert [(c.label, c.kind) for c in items] == [("Segment", "destination"), ("Amplitude", "destination")]
    items = plan_at(edit("    destinations: [Amplitude]", "    destinations:\n      - Amplitude\n      - |"))
    assert labels(items) == ["Segment"]


def test_plan_types(project: Project) -> None:
    items = plan_at(edit("  Is Gift:\n    type: bool", "  Is Gift:\n    type: b|ool"))
    assert [(c.label, c.kind) for c in items] == [
        ("string", "type"),
        ("int", "type"),
        ("float", "type"),
        ("bool", "type"),
        ("object", "type"),
        ("any", "type"),
    ]
    line = PLAN_TEXT.splitlines().index("  Is Gift:") + 1
    assert items.replace == Span(line, 10, line, 14)
    # Right after the colon: a space goes in front.
    items = plan_at(edit("  Is Gift:\n    type: bool", "  Is Gift:\n    type:|"))
    assert by_label(items)["int"].insert_text == " int"


def test_plan_actions(project: Project) -> None:
    items = plan_at(edit("    actions: [page]", "    actions: [page, |]"))
    assert [(c.label, c.kind) for c in items] == [
        ("log_event", "action"),
        ("identify", "action"),
        ("unidentify", "action"),
        ("update_user_properties", "action"),
        ("revenue", "action"),
    ]
    # a block list at the same indentation as its key
    items = plan_at(edit("    actions: [page]", "    actions:\n    - page\n    - log_event\n    - |"))
    assert labels(items) == ["identify", "unidentify", "update_user_properties", "revenue"]


def test_plan_platform_language_and_send_as(project: Project) -> None:
    assert labels(plan_at(edit("    platform: client", "    platform: |"))) == ["server", "client"]
    assert labels(plan_at(edit("    language: typescript", "    language: type|script"))) == [
        "python",
        "typescript",
        "javascript",
    ]
    items = plan_at(edit("    send_as: user\n  Email", "    send_as: |\n  Email"))
    assert [(c.label, c.kind) for c in items] == [("event", "value"), ("user", "value"), ("system", "value")]


def test_plan_keys_not_yet_written(project: Project) -> None:
    items = plan_at(edit("    platform: client\n", "    platform: client\n    |\n"))
    assert [(c.label, c.insert_text, c.kind) for c in items] == [("anonymous_id", "anonymous_id: ", "keyword")]
    items = plan_at(edit("      - name: Shipping Address\n        optional: true\n", "      - name: Shipping Address\n        optional: true\n        |\n"))
    assert labels(items) == ["allowed", "pinned"]
    items = plan_at("version: 1\nso|\n")
    assert labels(items) == ["name", "sources", "destinations", "properties", "events"]
    assert items.replace == Span(1, 0, 1, 2)
    # a key that already has its colon: only the name is replaced
    items = plan_at("version: 1\nsources:\n  A:\n    plat|form: server\n")
    assert by_label(items)["platform"].insert_text == "platform"
    assert items.replace == Span(3, 4, 3, 12)


def test_plan_completion_without_a_loaded_plan() -> None:
    text = (
        "version: 1\nsources:\n  Backend:\n    platform: server\ndestinations:\n  Segment: {}\n"
        "properties:\n  Order Id:\n    type: string\n  Total: {type: float}\n"
        "events:\n  Paid:\n    sources: [|]\n    properties: [Order Id\n"  # an unclosed list: no plan
    )
    assert load_plan_text(cursor(text)[0], SHOP / "avo.yaml").plan is None
    assert [(c.label, c.detail) for c in plan_at(text, loaded=False)] == [("Backend", "source")]
    text2 = text.replace("sources: [|]", "sources: [Backend]").replace("properties: [Order Id\n", "properties: [Order Id, |\n")
    assert labels(plan_at(text2, loaded=False)) == ["Total"]


@pytest.mark.parametrize("line, col", [(-1, 0), (0, -1), (10**6, 0), (0, 10**6)])
def test_plan_positions_out_of_range(line: int, col: int) -> None:
    plan = load_plan_text(PLAN_TEXT, SHOP / "avo.yaml").plan
    assert complete_plan(plan, PLAN_TEXT, line, col).items == ()
    assert complete_plan(None, "", line, col).items == ()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00\x01",
        ": : :\n- - -\n  [ { ] }\n\t\tkey: [\n",
        "events:\n  E:\n    properties:\n      - {name: 'x\n      - [[[\n",
        "'unterminated: \"\n  - ' : [\n#: x\n",
    ],
)
def test_plan_garbage(text: str) -> None:
    for line, content in enumerate(text.split("\n")):
        for col in range(len(content) + 1):
            complete_plan(None, text, line, col)  # must not raise


def test_plan_nothing_in_comments_or_unknown_places(project: Project) -> None:
    assert plan_at(edit("    type: bool", "    type: bool  # |")).items == ()
    assert plan_at(edit("    path: web/src/Avo.ts", "    path: |")).items == ()
    assert plan_at(edit("  Is Gift:\n    type: bool", "  Is Gift:\n    description: |")).items == ()


def test_typescript_shorthand_and_quoted_keys_count_as_passed(project: Project) -> None:
    source = TS_IMPORT + 'Avo.checkoutStarted({ itemCount, "itemIds": ids, | });\n'
    items = code(project, source, WEB_FILE)
    assert labels(items) == ["couponCode"]


def test_plan_object_members_and_flow_references(project: Project) -> None:
    items = plan_at(edit("    properties: [Country, Postal Code]", "    properties: [Country, Postal Code, |]"))
    # an object's members: any property but the object itself and those listed
    assert labels(items) == [p for p in ALL_PROPERTIES if p not in ("Shipping Address", "Country", "Postal Code")]
    items = plan_at(edit("      - name: Shipping Address\n        optional: true\n", "      - {name: Shi|, optional: true}\n"))
    assert "Shipping Address" in labels(items) and "Order Id" not in labels(items)
    line = PLAN_TEXT.splitlines().index("      - name: Shipping Address")
    assert items.replace == Span(line, 15, line, 18)
