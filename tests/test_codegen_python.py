"""The Python code generator, judged by what a user of the generated module sees.

Goldens pin the text (regenerate with AVO_UPDATE_GOLDEN=1); the rest imports the
generated module and calls it with a recording destination.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import math
import os
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avo_lsp.api import PROPERTY, REVENUE, USER_ID, SourceApi, source_api
from avo_lsp.codegen import HEADER_MARK, generate_source
from avo_lsp.codegen.python import generate_python
from avo_lsp.names import identifier, module_names
from avo_lsp.plan import Plan

from plans import add_source, build_plan, event, example_plan, example_plan_path, prop, ref, source

GOLDEN = Path(__file__).parent / "golden" / "python"
UPDATE = os.environ.get("AVO_UPDATE_GOLDEN") == "1"


# -- helpers ------------------------------------------------------------------------


def code_for(plan: Plan, source_name: str) -> str:
    return generate_python(plan, source_api(plan, plan.sources[source_name]))


def import_code(code: str, folder: Path) -> ModuleType:
    """Compile and import generated code as a fresh module, with warnings as errors."""
    name = f"avo_generated_{uuid.uuid4().hex}"
    path = folder / f"{name}.py"
    path.write_text(code, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(code, str(path), "exec")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        finally:
            del sys.modules[name]
    return module


class Recorder:
    """A destination that records every call, in order, as a tuple."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def make(self, env, api_key):
        self.calls.append(("make", env, api_key))

    def track_event(self, user_id, event_name, event_properties, anonymous_id=None):
        self.calls.append(("track_event", user_id, event_name, event_properties, anonymous_id))

    def set_user_properties(self, user_id, user_properties):
        self.calls.append(("set_user_properties", user_id, user_properties))

    def identify(self, user_id):
        self.calls.append(("identify", user_id))

    def unidentify(self):
        self.calls.append(("unidentify",))

    def log_page(self, user_id, page_name, event_properties):
        self.calls.append(("log_page", user_id, page_name, event_properties))

    def revenue(self, user_id, amount, event_properties):
        self.calls.append(("revenue", user_id, amount, event_properties))

    def sent(self) -> list[tuple]:
        return [c for c in self.calls if c[0] != "make"]


def example_with_python_sources() -> Plan:
    """The example plan plus a python client (like Web) and a python server without
    anonymous ids (like Worker)."""
    plan = example_plan()
    plan = add_source(plan, source("WebPy", "client", "python", "web/avo.py", destinations=("Amplitude",)), like="Web")
    return add_source(plan, source("Jobs", "server", "python", "jobs/avo.py", anonymous_id=False, destinations=("Segment",)), like="Worker")


@pytest.fixture(scope="module")
def codes() -> dict[str, str]:
    plan = example_with_python_sources()
    return {name: code_for(plan, name) for name in ("Backend", "WebPy", "Jobs")}


@pytest.fixture
def backend(codes, tmp_path) -> ModuleType:
    return import_code(codes["Backend"], tmp_path)


@pytest.fixture
def web(codes, tmp_path) -> ModuleType:
    return import_code(codes["WebPy"], tmp_path)


@pytest.fixture
def jobs(codes, tmp_path) -> ModuleType:
    return import_code(codes["Jobs"], tmp_path)


def started(module: ModuleType, system: dict | None = None, **options: Any) -> Recorder:
    destination = Recorder()
    module.init_avo({"env": "dev", **options}, {"app_version": "1.4.0"} if system is None else system, destination)
    return destination


# -- goldens and the text itself ----------------------------------------------------------


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden {path}; run with AVO_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden; AVO_UPDATE_GOLDEN=1 updates it"


def test_golden_example_backend():
    # The example plan's only python source: Backend (server, anonymous ids, Segment).
    plan = example_plan()
    assert [s.name for s in plan.sources.values() if s.language == "python"] == ["Backend"]
    assert_golden("backend.py", code_for(plan, "Backend"))


def test_golden_python_client(codes):
    assert_golden("web_client.py", codes["WebPy"])


def test_golden_server_without_anonymous_ids(codes):
    assert_golden("jobs_server.py", codes["Jobs"])


def test_the_dispatcher_picks_the_python_generator():
    plan = example_plan()
    api = source_api(plan, plan.sources["Backend"])
    assert generate_source(plan, api) == generate_python(plan, api)


def test_output_is_deterministic():
    assert code_for(example_plan(), "Backend") == code_for(example_plan(), "Backend")


def test_header_first_and_footer_last(codes):
    lines = codes["Backend"].splitlines()
    assert HEADER_MARK in lines[0] and lines[0].startswith("# ")
    assert lines[-2:] == [
        '# AVOMODULEMAP:"avo"',
        '# AVOEVENTMAP:["checkout_started","checkout_completed","user_signed_up","subscription_changed"]',
    ]
    assert codes["Backend"].endswith("\n")


@pytest.mark.parametrize("name", ["Backend", "WebPy", "Jobs"])
def test_imports_under_python_W_error(codes, tmp_path, name):
    (tmp_path / "avo.py").write_text(codes[name], encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import avo; print(len(avo.__all__))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# -- the shape of the API -----------------------------------------------------------------


def test_signatures_are_keyword_only_and_typed(backend):
    sig = inspect.signature(backend.checkout_completed)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in sig.parameters.values())
    assert [(p.name, p.default) for p in sig.parameters.values()] == [
        ("order_id", inspect.Parameter.empty),
        ("total", inspect.Parameter.empty),
        ("payment_method", inspect.Parameter.empty),
        ("is_gift", inspect.Parameter.empty),
        ("shipping_address", None),
        ("coupon_code", None),
        ("user_id_", None),
        ("anonymous_id_", None),
        ("revenue_", inspect.Parameter.empty),
    ]
    annotations = {name: str(p.annotation) for name, p in sig.parameters.items()}
    assert sig.return_annotation is None
    assert sig.parameters["order_id"].annotation is str
    assert sig.parameters["total"].annotation is float
    assert sig.parameters["is_gift"].annotation is bool
    assert sig.parameters["revenue_"].annotation is float
    assert annotations["coupon_code"] == "str | None"
    assert annotations["shipping_address"] == "dict[str, typing.Any] | None"
    assert "Literal['Card', 'PayPal', 'Apple Pay']" in annotations["payment_method"]
    assert "PaymentMethod" in annotations["payment_method"]
    items = inspect.signature(backend.checkout_started).parameters["item_ids"]
    assert str(items.annotation) == "list[str]"
    # An event's narrower `allowed` narrows the annotation to those members and strings.
    narrow = inspect.signature(backend.subscription_changed).parameters["payment_method"].annotation
    assert set(narrow.__args__) == {
        backend.PaymentMethod.CARD,
        backend.PaymentMethod.PAY_PAL,
        "Card",
        "PayPal",
    }


def test_enums_of_allowed_values(backend):
    assert [(m.name, m.value) for m in backend.PaymentMethod] == [
        ("CARD", "Card"),
        ("PAY_PAL", "PayPal"),
        ("APPLE_PAY", "Apple Pay"),
    ]
    assert backend.PaymentMethod.CARD == "Card" and isinstance(backend.PaymentMethod.CARD, str)
    assert [m.value for m in backend.Plan] == ["free", "pro", "team"]


def test_docstrings_say_what_the_plan_says(backend, web, jobs):
    doc = inspect.getdoc(backend.checkout_completed)
    assert doc.startswith("A customer finished paying.")
    assert 'Event "Checkout Completed". On each destination in turn, calls: revenue(), track_event().' in doc
    assert 'total (float, required): "Total", at least 0.\n        Order total' in doc
    assert 'payment_method (str, required): "Payment Method", one of "Card", "PayPal", "Apple Pay"' in doc
    assert 'coupon_code (str, optional): "Coupon Code", matching the regex "^[A-Z0-9]{4,12}$".' in doc
    assert 'shipping_address (dict, optional): "Shipping Address", with the keys "Country", "Postal Code".' in doc
    assert "revenue_ (float, required)" in doc
    assert "Identity: pass user_id_, anonymous_id_ or both; a call with neither is an error." in doc
    assert "item_count (int, required): \"Item Count\", at least 1, at most 500." in inspect.getdoc(backend.checkout_started)
    assert "Identity: user_id_ is required; the user is identified as user_id_ first." in inspect.getdoc(web.user_signed_up)
    assert "Identity: none needed" in inspect.getdoc(web.product_searched)
    assert "Identity: user_id_ is required (this source sends no anonymous ids)." in inspect.getdoc(jobs.order_shipped)
    assert 'Always sends "Country": "DE" (pinned)' in inspect.getdoc(jobs.order_shipped)
    assert "AvoValidationError" in inspect.getdoc(backend)
    assert "app_version" in inspect.getdoc(backend.init_avo)


def test_client_functions_take_a_user_id_only_to_identify(web):
    params = {name: list(inspect.signature(getattr(web, name)).parameters) for name in web.__all__ if name.islower()}
    assert params == {
        "init_avo": ["options", "system_properties", "destinations"],
        "product_searched": ["search_term"],
        "cart_viewed": ["page_name", "item_count"],
        "checkout_started": ["item_count", "item_ids", "coupon_code"],
        "checkout_completed": ["order_id", "total", "payment_method", "is_gift", "shipping_address", "coupon_code", "revenue_"],
        "user_signed_up": ["plan", "email", "user_id_"],
        "user_logged_out": [],
    }
    assert inspect.signature(web.user_signed_up).parameters["user_id_"].default is inspect.Parameter.empty


# -- what reaches the destinations --------------------------------------------------------


def test_init_makes_each_destination(backend):
    segment = Recorder()
    backend.init_avo({"env": "staging", "api_keys": {"Segment": "k-1"}}, {"app_version": "2"}, segment)
    assert segment.calls == [("make", "staging", "k-1")]
    segment = Recorder()
    backend.init_avo({"env": "prod"}, {"app_version": "2"}, segment)
    assert segment.calls == [("make", "prod", None)]


def test_backend_events_send_exact_payloads(backend):
    d = started(backend)
    backend.checkout_started(item_count=2, item_ids=["a", "b"], user_id_="u1")
    backend.checkout_started(item_count=1, item_ids=(), coupon_code="SAVE10", anonymous_id_="anon")
    backend.checkout_completed(
        order_id="o-1",
        total=9.5,
        payment_method=backend.PaymentMethod.APPLE_PAY,
        is_gift=False,
        shipping_address={"Country": "DE", "Postal Code": "10115"},
        user_id_="u1",
        anonymous_id_="anon",
        revenue_=9.5,
    )
    completed = {
        "Order Id": "o-1",
        "Total": 9.5,
        "Payment Method": "Apple Pay",
        "Is Gift": False,
        "Shipping Address": {"Country": "DE", "Postal Code": "10115"},
        "App Version": "1.4.0",
    }
    assert d.sent() == [
        ("track_event", "u1", "Checkout Started", {"Item Count": 2, "Item Ids": ["a", "b"], "App Version": "1.4.0"}, None),
        (
            "track_event",
            None,
            "Checkout Started",
            {"Item Count": 1, "Item Ids": [], "Coupon Code": "SAVE10", "App Version": "1.4.0"},
            "anon",
        ),
        ("revenue", "u1", 9.5, completed),
        ("track_event", "u1", "Checkout Completed", completed, "anon"),
    ]
    # Enum members arrive as plain strings.
    assert type(d.sent()[2][3]["Payment Method"]) is str


def test_user_properties_go_to_set_user_properties(backend):
    d = started(backend)
    backend.user_signed_up(plan=backend.Plan.PRO, email="a@b.c", user_id_="u1")
    backend.subscription_changed(plan="team", payment_method="Card", anonymous_id_="anon")
    assert d.sent() == [
        ("identify", "u1"),
        ("set_user_properties", "u1", {"Plan": "pro", "Email": "a@b.c"}),
        ("track_event", "u1", "User Signed Up", {"App Version": "1.4.0"}, None),
        ("set_user_properties", None, {"Plan": "team"}),
        ("track_event", None, "Subscription Changed", {"Payment Method": "Card", "App Version": "1.4.0"}, "anon"),
    ]


def test_client_events_send_exact_payloads(web):
    d = started(web)
    web.product_searched(search_term="socks")
    web.cart_viewed(page_name="Cart", item_count=3)
    web.checkout_started(item_count=1, item_ids=["s1"])
    web.checkout_completed(order_id="o-2", total=20, payment_method="Card", is_gift=True, coupon_code="ABCD", revenue_=20)
    web.user_signed_up(plan="free", email="x@y.z", user_id_="u9")
    web.user_logged_out()
    system = {"App Version": "1.4.0"}
    completed = {"Order Id": "o-2", "Total": 20, "Payment Method": "Card", "Is Gift": True, "Coupon Code": "ABCD", **system}
    assert d.sent() == [
        ("track_event", None, "Product Searched", {"Search Term": "socks", **system}, None),
        ("log_page", None, "Cart Viewed", {"Page Name": "Cart", "Item Count": 3, **system}),
        ("track_event", None, "Checkout Started", {"Item Count": 1, "Item Ids": ["s1"], **system}, None),
        ("revenue", None, 20, completed),
        ("track_event", None, "Checkout Completed", completed, None),
        ("identify", "u9"),
        ("set_user_properties", "u9", {"Plan": "free", "Email": "x@y.z"}),
        ("track_event", "u9", "User Signed Up", system, None),
        ("track_event", None, "User Logged Out", system, None),
        ("unidentify",),
    ]


def test_pinned_properties_are_always_sent(jobs):
    d = started(jobs)
    jobs.order_shipped(order_id="o-3", user_id_="u2")
    assert d.sent() == [("track_event", "u2", "Order Shipped", {"Order Id": "o-3", "Country": "DE", "App Version": "1.4.0"}, None)]
    assert "country" not in inspect.signature(jobs.order_shipped).parameters


def test_every_destination_gets_every_call_in_order(tmp_path):
    plan = add_source(example_plan(), source("Multi", path="multi/avo.py"), like="Backend")  # all destinations
    module = import_code(code_for(plan, "Multi"), tmp_path)
    segment, amplitude = Recorder(), Recorder()
    module.init_avo({"env": "dev"}, {"app_version": "1"}, segment, amplitude)
    module.user_signed_up(plan="pro", email="e", user_id_="u")
    assert segment.sent() == amplitude.sent()
    assert [c[0] for c in segment.sent()] == ["identify", "set_user_properties", "track_event"]
    # Destinations get their own copy: one changing it does not change another's.
    segment.sent()[1][2]["Plan"] = "changed"
    assert amplitude.sent()[1][2]["Plan"] == "pro"


def test_destinations_do_not_share_payload_dicts(backend):
    d = started(backend)
    backend.checkout_completed(order_id="o", total=1, payment_method="Card", is_gift=False, user_id_="u", revenue_=1)
    revenue, track = d.sent()
    assert revenue[3] == track[3] and revenue[3] is not track[3]


# -- validation ---------------------------------------------------------------------------


def problems_of(module: ModuleType, function: str, **arguments: Any) -> str:
    """The message of the AvoValidationError a strict call raises."""
    started(module, strict=True)
    with pytest.raises(module.AvoValidationError) as info:
        getattr(module, function)(**arguments)
    return str(info.value)


GOOD = dict(order_id="o", total=1.0, payment_method="Card", is_gift=False, user_id_="u", revenue_=1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total": "9.5"}, "checkout_completed: total (\"Total\") must be a float, got str '9.5'"),
        ({"is_gift": 1}, 'checkout_completed: is_gift ("Is Gift") must be a bool, got int 1'),
        ({"total": True}, 'checkout_completed: total ("Total") must be a float, got bool True'),
        (
            {"payment_method": "Cash"},
            "checkout_completed: payment_method (\"Payment Method\") must be one of 'Card', 'PayPal', 'Apple Pay', got 'Cash'",
        ),
        ({"total": -0.5}, 'checkout_completed: total ("Total") must be >= 0, got -0.5'),
        ({"total": math.nan}, 'checkout_completed: total ("Total") must be >= 0, got nan'),
        (
            {"coupon_code": "bad"},
            "checkout_completed: coupon_code (\"Coupon Code\") must match the regex '^[A-Z0-9]{4,12}$', got 'bad'",
        ),
        ({"order_id": None}, 'checkout_completed: order_id ("Order Id") is required, got None'),
        ({"user_id_": None}, "checkout_completed: pass user_id_ or anonymous_id_ (or both): a server event must be tied to a user"),
        ({"user_id_": 42}, "checkout_completed: user_id_ must be a str, got int 42"),
        ({"revenue_": "9"}, "checkout_completed: revenue_ must be a float, got str '9'"),
        ({"shipping_address": ["DE"]}, "checkout_completed: shipping_address (\"Shipping Address\") must be a dict, got list ['DE']"),
        (
            {"shipping_address": {"Country": 49}},
            "checkout_completed: shipping_address['Country'] (\"Country\") must be a str, got int 49",
        ),
    ],
)
def test_strict_validation_messages(backend, change, message):
    assert problems_of(backend, "checkout_completed", **{**GOOD, **change}) == message


def test_more_validation_messages(backend, web, jobs):
    assert problems_of(backend, "checkout_started", item_count=True, item_ids=["a"], user_id_="u") == (
        'checkout_started: item_count ("Item Count") must be an int, got bool True'
    )
    assert problems_of(backend, "checkout_started", item_count=501, item_ids=["a"], user_id_="u") == (
        'checkout_started: item_count ("Item Count") must be <= 500, got 501'
    )
    assert problems_of(backend, "checkout_started", item_count=1, item_ids=["a", 3], user_id_="u") == (
        'checkout_started: item_ids[1] ("Item Ids") must be a str, got int 3'
    )
    assert problems_of(backend, "checkout_started", item_count=1, item_ids="ab", user_id_="u") == (
        "checkout_started: item_ids (\"Item Ids\") must be a list, got str 'ab'"
    )
    # An event's own, narrower allowed values.
    assert problems_of(backend, "subscription_changed", plan="pro", payment_method="Apple Pay", user_id_="u") == (
        "subscription_changed: payment_method (\"Payment Method\") must be one of 'Card', 'PayPal', got 'Apple Pay'"
    )
    assert problems_of(backend, "subscription_changed", plan="pro", payment_method=backend.PaymentMethod.APPLE_PAY, user_id_="u") == (
        "subscription_changed: payment_method (\"Payment Method\") must be one of 'Card', 'PayPal', got 'Apple Pay'"
    )
    assert problems_of(web, "user_signed_up", plan="pro", email="e", user_id_=None) == (
        "user_signed_up: user_id_ is required, got None"
    )
    assert problems_of(jobs, "order_shipped", order_id="o", user_id_=None) == "order_shipped: user_id_ is required, got None"


def test_strict_lists_every_problem(backend):
    started(backend, strict=True)
    with pytest.raises(backend.AvoValidationError) as info:
        backend.checkout_completed(**{**GOOD, "total": -1, "payment_method": "Cash", "user_id_": None})
    assert info.value.problems == (
        'checkout_completed: total ("Total") must be >= 0, got -1',
        "checkout_completed: payment_method (\"Payment Method\") must be one of 'Card', 'PayPal', 'Apple Pay', got 'Cash'",
        "checkout_completed: pass user_id_ or anonymous_id_ (or both): a server event must be tied to a user",
    )
    assert str(info.value) == "\n".join(info.value.problems)
    assert isinstance(info.value, ValueError)


def test_strict_is_the_default_and_a_strict_failure_sends_nothing(backend):
    d = started(backend)
    with pytest.raises(backend.AvoValidationError):
        backend.checkout_completed(**{**GOOD, "total": -1})
    assert d.sent() == []


def test_without_strict_problems_are_logged_and_the_event_still_sent(backend, caplog):
    d = started(backend, strict=False)
    with caplog.at_level(logging.WARNING, logger="avo"):
        backend.checkout_completed(**{**GOOD, "total": -1, "user_id_": None})
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("avo", "WARNING", 'checkout_completed: total ("Total") must be >= 0, got -1'),
        ("avo", "WARNING", "checkout_completed: pass user_id_ or anonymous_id_ (or both): a server event must be tied to a user"),
    ]
    assert [c[0] for c in d.sent()] == ["revenue", "track_event"]
    assert d.sent()[1][3]["Total"] == -1


def test_missing_identity_on_a_server_call(backend, caplog):
    d = started(backend, strict=False)
    with caplog.at_level(logging.WARNING, logger="avo"):
        backend.checkout_started(item_count=1, item_ids=[])
    assert caplog.messages == [
        "checkout_started: pass user_id_ or anonymous_id_ (or both): a server event must be tied to a user"
    ]
    assert len(d.sent()) == 1


def test_noop_sends_nothing(backend, caplog):
    d = started(backend, noop=True, strict=False)
    with caplog.at_level(logging.WARNING, logger="avo"):
        backend.checkout_completed(**GOOD)
        backend.user_signed_up(plan="pro", email="e", user_id_="u")
    assert d.calls == [] and caplog.messages == []
    # Arguments are still checked.
    started(backend, noop=True, strict=True)
    with pytest.raises(backend.AvoValidationError):
        backend.checkout_completed(**{**GOOD, "total": -1})


def test_prod_skips_validation(backend, caplog):
    d = started(backend, env="prod", strict=True)
    with caplog.at_level(logging.DEBUG, logger="avo"):
        backend.checkout_completed(**{**GOOD, "total": "lots", "payment_method": "Cash", "user_id_": None})
    assert caplog.messages == []
    assert d.sent()[1][:3] == ("track_event", None, "Checkout Completed")
    assert d.sent()[1][3]["Total"] == "lots"


def test_server_without_anonymous_ids_requires_user_id(jobs):
    started(jobs)
    with pytest.raises(TypeError, match="user_id_"):
        jobs.order_shipped(order_id="o")  # type: ignore[call-arg]
    assert "anonymous_id_" not in inspect.signature(jobs.checkout_completed).parameters


def test_calling_before_init_raises(backend):
    with pytest.raises(backend.AvoNotInitializedError) as info:
        backend.checkout_started(item_count=1, item_ids=[], user_id_="u")
    assert str(info.value) == (
        "checkout_started() was called before init_avo(); call init_avo(...) once when the program starts"
    )


# -- init_avo -----------------------------------------------------------------------------


def test_init_checks_its_arguments(backend):
    with pytest.raises(ValueError, match=r"options\['env'\] must be 'dev', 'staging' or 'prod', got 'test'"):
        backend.init_avo({"env": "test"}, {"app_version": "1"}, Recorder())
    with pytest.raises(ValueError, match="unknown option.*'strcit'"):
        backend.init_avo({"env": "dev", "strcit": True}, {"app_version": "1"}, Recorder())
    with pytest.raises(TypeError, match=r"options\['strict'\] must be a bool"):
        backend.init_avo({"env": "dev", "strict": "yes"}, {"app_version": "1"}, Recorder())
    with pytest.raises(TypeError) as info:
        backend.init_avo({"env": "dev"}, {"app_version": "1"})
    assert str(info.value) == "init_avo() takes 1 destination(s) after system_properties, in this order: Segment; got 0"


def test_init_validates_system_properties(backend, caplog):
    with pytest.raises(backend.AvoValidationError) as info:
        backend.init_avo({"env": "dev"}, {"App Version": "1"}, Recorder())
    assert info.value.problems == (
        "init_avo: unknown system property 'App Version'; this source's system properties are: app_version",
        "init_avo: system_properties['app_version'] (\"App Version\") is required, got None",
    )
    # A failed strict init leaves the module uninitialised.
    with pytest.raises(backend.AvoNotInitializedError):
        backend.checkout_started(item_count=1, item_ids=[], user_id_="u")
    with caplog.at_level(logging.WARNING, logger="avo"):
        d = started(backend, {"app_version": 14}, strict=False)
    assert caplog.messages == ["init_avo: system_properties['app_version'] (\"App Version\") must be a str, got int 14"]
    backend.checkout_started(item_count=1, item_ids=[], user_id_="u")
    assert d.sent()[0][3]["App Version"] == 14


# -- hostile names, one by one ------------------------------------------------------------


def test_hostile_text_survives_into_docstrings_and_payloads(tmp_path):
    nasty = 'say "hi" \\ """ \'\'\' */ \x00 \u2028 ünï 日本'
    description = 'Line one with """ and a \\ backslash\nline two "quoted"'
    p = prop(nasty, description="ends with a quote\"")
    plan = build_plan([p], [event(nasty, ["S"], [p], description=description)], [source("S")])
    module = import_code(code_for(plan, "S"), tmp_path)
    fn = getattr(module, "say_hi_ünï_日本")
    doc = inspect.getdoc(fn)
    assert doc.startswith(description)  # the text itself, not an escaped form of it
    assert 'ends with a quote"' in doc
    d = Recorder()
    module.init_avo({"env": "dev"}, {}, d)
    fn(say_hi_ünï_日本="v", user_id_="u")
    assert d.sent() == [("track_event", "u", nasty, {nasty: "v"}, None)]


def test_enum_and_member_names_never_clash(tmp_path):
    first = prop("payment method", allowed=("a", "A", "", "1st", "None", "!!"))
    second = prop("Payment-Method", allowed=("x",))
    typing_name = prop("literal", allowed=("y",))
    plan = build_plan(
        [first, second, typing_name],
        [event("One", ["S"], [first, typing_name]), event("Two", ["S"], [second])],
        [source("S")],
    )
    module = import_code(code_for(plan, "S"), tmp_path)
    assert [(m.name, m.value) for m in module.PaymentMethod] == [
        ("A", "a"),
        ("A_2", "A"),
        ("VALUE", ""),
        ("_1ST", "1st"),
        ("NONE", "None"),
        ("VALUE_2", "!!"),
    ]
    assert [m.value for m in module.PaymentMethod_2] == ["x"]
    assert [m.value for m in module.Literal_2] == ["y"]
    assert module.Literal.__module__ == "typing"


def test_a_system_property_clash_is_reported():
    a, b = prop("App Version", send_as="system"), prop("app-version", send_as="system")
    plan = build_plan([a, b], [], [source("S")])
    api = source_api(plan, plan.sources["S"])
    assert [(c.what, c.identifier, c.first, c.second) for c in api.collisions] == [
        ("system property", "app_version", "App Version", "app-version")
    ]


def test_a_plan_name_with_a_newline_keeps_the_header_a_comment(tmp_path):
    plan = build_plan([], [event("E", ["S"])], [source("S")], name='Shop\nimport os; os.exit(1) #')
    import_code(code_for(plan, "S"), tmp_path)


# -- hostile plans (hypothesis) -----------------------------------------------------------

HOSTILE = [
    "class", "def", "None", "True", "str", "type", "print", "self", "match", "case", "_",
    "init_avo", "Init Avo", "__init__", "__all__", "_avo", "_check", "_send", "_current",
    "Any", "Literal", "Protocol", "TypedDict", "AvoValidationError", "Avo Destination",
    "re", "enum", "logging", "typing", "1st place", "42", "4 2", "",
    "Ünïcödé", "日本語", "ß", "ΐ", "ﬁle", "ＦＵＬＬ", "Ω", "e\u0301",
    "it's", 'say "hi"', '"""', "'''", '"', "\\", "back\\slash", "*/", "/*", "#", "{x}", "%s",
    "new\nline", "tab\there", "cr\rlf", "nul\x00byte", "line\u2028sep", "a-b", "a_b", "A B", "aB",
]

names = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8))
descriptions = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
# (pattern, a string it matches)
REGEXES = [("^[A-Z0-9]{4,12}$", "ABCD"), ('^a"b\\\\d$', 'a"b\\d'), ("'''|\"\"\"", '"""'), (".*", ""), ("\\d+\n?", "1")]


@st.composite
def hostile_plans(draw) -> Plan:
    properties = []
    for name in draw(st.lists(names, unique=True, max_size=8)):
        kind = draw(st.sampled_from(["string", "int", "float", "bool", "object", "any"]))
        fields: dict[str, Any] = {
            "description": draw(descriptions),
            "is_list": draw(st.booleans()),
            "send_as": draw(st.sampled_from(["event", "event", "user", "system"])),
        }
        if kind == "string":
            fields["allowed"] = draw(st.none() | st.lists(names, min_size=1, max_size=4, unique=True).map(tuple))
            if fields["allowed"] is None:
                fields["regex"] = draw(st.none() | st.sampled_from([r for r, _ in REGEXES]))
        if kind in ("int", "float"):
            low = draw(st.none() | st.integers(-5, 5))
            high = draw(st.none() | st.integers(5, 10))
            fields["min"], fields["max"] = (low, high) if kind == "int" else (
                None if low is None else low - 0.5,
                None if high is None else float(high),
            )
        properties.append(prop(name, kind, **fields))
    sources = [
        source("Server", "server", "python", "server/avo.py", anonymous_id=draw(st.booleans())),
        source("Client", "client", "python", "client/avo.py"),
    ]
    actions = st.lists(st.sampled_from(["log_event", "identify", "unidentify", "update_user_properties", "page", "revenue"]), unique=True, max_size=3)
    events = []
    for name in draw(st.lists(names, unique=True, max_size=6)):
        refs = []
        for p in draw(st.lists(st.sampled_from(properties), unique_by=lambda p: p.name, max_size=5)) if properties else []:
            overrides: dict[str, Any] = {"optional": draw(st.booleans())}
            if not p.is_list and p.type in ("string", "int", "bool") and p.send_as != "system" and draw(st.booleans()):
                overrides.update(pinned=valid_value(p, p.allowed, single=True), is_pinned=True)
            elif p.allowed and len(p.allowed) > 1 and draw(st.booleans()):
                overrides["allowed"] = p.allowed[:1]
            refs.append(ref(p, **overrides))
        events.append(event(name, ["Server", "Client"], refs, draw(actions), draw(descriptions)))
    destinations = draw(st.lists(names, unique=True, min_size=1, max_size=2))
    return build_plan(properties, events, sources, tuple(destinations), name="Hostile")


def valid_value(p, allowed, single: bool = False) -> Any:
    """A value that passes every check of property `p`."""
    if p.type == "string":
        value: Any = allowed[0] if allowed else dict(REGEXES).get(p.regex, "x")
    elif p.type in ("int", "float"):
        value = math.ceil(p.min) if p.min is not None else (math.floor(p.max) if p.max is not None else 7)
        value = value if p.type == "int" else float(value)
    else:
        value = {"bool": True, "object": {}, "any": "anything"}[p.type]
    return [value] if p.is_list and not single else value


def arguments_for(fn) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for param in fn.parameters:
        if param.kind == PROPERTY:
            args[param.name] = valid_value(param.prop, param.allowed)
        elif param.kind == REVENUE:
            args[param.name] = 9.5
        else:
            args[param.name] = "user-1" if param.kind == USER_ID else "anon-1"
    return args


def expected_calls(plan: Plan, api: SourceApi, fn, args: dict[str, Any]) -> list[tuple]:
    """What the recorder should see, worked out from the plan and the API model."""
    system = {p.name: valid_value(p, p.allowed) for p in plan.system_properties()}
    event_props, user_props = {}, {}
    for param in fn.property_parameters():
        target = user_props if param.prop.send_as == "user" else event_props
        target[param.ref.name] = args[param.name]
    for r in fn.pinned:
        (user_props if r.property.send_as == "user" else event_props)[r.name] = r.pinned
    event_props = {**event_props, **system}
    user_id = args.get("user_id_")
    actions = fn.event.actions
    calls: list[tuple] = []
    if "identify" in actions and user_id is not None:
        calls.append(("identify", user_id))
    if user_props or "update_user_properties" in actions:
        calls.append(("set_user_properties", user_id, user_props))
    if "page" in actions:
        calls.append(("log_page", user_id, fn.event.name, event_props))
    if "revenue" in actions:
        calls.append(("revenue", user_id, args["revenue_"], event_props))
    if "log_event" in actions:
        calls.append(("track_event", user_id, fn.event.name, event_props, args.get("anonymous_id_")))
    if "unidentify" in actions:
        calls.append(("unidentify",))
    return calls


def assert_no_silent_clash(plan: Plan, api: SourceApi) -> None:
    lang = api.source.language
    reported = {(c.what, c.identifier) for c in api.collisions}
    seen = set(module_names(lang))
    for e in plan.events_of(api.source.name):
        ident = identifier(e.name, lang)
        assert ident not in seen or ("event", ident) in reported
        seen.add(ident)
        params: set[str] = set()
        for r in e.properties:
            if r.property.send_as == "system" or r.is_pinned:
                continue
            ident = identifier(r.name, lang)
            assert ident not in params or ("parameter", ident) in reported
            params.add(ident)
    keys: set[str] = set()
    for p in plan.system_properties():
        ident = identifier(p.name, lang)
        assert ident not in keys or ("system property", ident) in reported
        keys.add(ident)
    names = [f.name for f in api.functions]
    assert len(names) == len(set(names))
    for f in api.functions:
        assert len({p.name for p in f.parameters}) == len(f.parameters)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=hostile_plans())
def test_hostile_plans_give_working_modules(plan, tmp_path):
    for name in ("Server", "Client"):
        api = source_api(plan, plan.sources[name])
        assert_no_silent_clash(plan, api)
        code = generate_python(plan, api)
        module = import_code(code, tmp_path)
        assert len(set(module.__all__)) == len(module.__all__)  # no public name shadows another
        assert all(hasattr(module, name) for name in module.__all__)
        assert code.splitlines()[-1] == "# AVOEVENTMAP:[" + ",".join(f'"{f.name}"' for f in api.functions) + "]"
        system = {identifier(p.name, "python"): valid_value(p, p.allowed) for p in plan.system_properties()}
        if api.collisions:
            continue  # the loader refuses such a plan; it only has to compile and import
        destinations = [Recorder() for _ in plan.destinations]
        module.init_avo({"env": "dev", "strict": True}, system, *destinations)
        destination = destinations[0]
        for fn in api.functions:
            function = getattr(module, fn.name)
            assert list(inspect.signature(function).parameters) == [p.name for p in fn.parameters]
            assert inspect.getdoc(function)
            args = arguments_for(fn)
            destination.calls.clear()
            function(**args)  # valid arguments: strict mode must not complain
            assert destination.calls == expected_calls(plan, api, fn, args)
