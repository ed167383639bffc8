"""The shop's backend (a server source): it reports orders to the tracking plan.

Server code keeps no user identity, so every call passes `user_id_` or
`anonymous_id_`: all but one do, and `avo-lsp check` flags that one.
"""

from backend.analytics import avo
from backend.analytics.avo import subscription_changed as plan_changed


def start_checkout(cart: list[dict], device_id: str) -> None:
    # A guest: only the device is known, which is enough.
    avo.checkout_started(
        item_count=len(cart),
        item_ids=[item["id"] for item in cart],
        anonymous_id_=device_id,
    )


def complete_checkout(order: dict, user_id: str) -> None:
    avo.checkout_completed(
        order_id=order["id"],
        total=order["total"],
        payment_method="Card",
        is_gift=False,
        revenue_=order["total"],
        user_id_=user_id,
    )


def sign_up(email: str) -> None:
    # Neither user_id_ nor anonymous_id_: this event belongs to no one.
    avo.user_signed_up(plan="free", email=email)


def change_plan(account: dict) -> None:
    plan_changed(plan="team", payment_method="PayPal", user_id_=account["id"])
