from backend.analytics import avo
from backend.analytics.avo import checkout_started as started


def examples(user, device, extra):
    avo.user_signed_up(plan="free", email="a@b.c")
    avo.user_signed_up(plan="free", email="a@b.c", user_id_=user)
    avo.user_signed_up(plan="free", email="a@b.c", anonymous_id_=device)
    avo.user_signed_up(plan="free", email="a@b.c", user_id_=None)
    avo.checkout_complete(order_id="o-1")
    started(item_ids=[], user_id_=user)
    avo.subscription_changed(plan="pro", payment_method="Card", user_id_=user, coupon="X")
    avo.subscription_changed(plan="gold", payment_method="Apple Pay", user_id_=user)
    avo.checkout_started(item_count=0, item_ids=["a"], user_id_=user)
    avo.checkout_completed(**extra)
