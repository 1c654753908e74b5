"""Issue 19 over HTTP, as people in the web chat: a requester tops up in Telegram Stars and can't
withdraw it; a worker credited by an admin adds a SEPA destination (a method without a provider is
refused), gets the security notice through the notification path, gives tax details when asked,
is held, confirms from the notice, withdraws, and is paid; the admin refunds the Stars."""
from __future__ import annotations

import pytest

from core import ledger
from core.config import get_settings
from core.models import Payout, PayoutDestination, TaxDetails, TopUp
from tests.conftest import ADMIN_ID
from tests.invariants import check_invariants

pytestmark = pytest.mark.slow

RITA, WES = 511, 611
IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def money_env(monkeypatch):
    monkeypatch.setenv("HITBOT_PAYOUT_METHODS", "sepa,paypal")
    monkeypatch.setenv("HITBOT_PAYOUT_PROVIDERS", "sepa=sandbox")  # PayPal has no provider: not offered
    monkeypatch.setenv("HITBOT_STARS_RATE_CENTS", "2")
    monkeypatch.setenv("HITBOT_TAX_THRESHOLD_CENTS", "500")
    get_settings.cache_clear()
    yield


def test_stars_top_up_destination_hold_tax_payout_and_refund(money_env, stack):
    rita, wes, ada = stack.person(RITA, "Rita"), stack.person(WES, "Wes"), stack.person(ADMIN_ID, "Ada")
    for p in (rita, wes, ada):
        p.send("/start")
        p.wait_for(p.name)

    # Rita pays 1,000 Stars: $20.00 to spend, nothing to withdraw.
    rita.send("/topup stars 1000")
    rita.wait_for("top-up")
    paid = rita.pay_invoice()
    assert paid["paid"] is True, paid
    charge = paid["telegram_payment_charge_id"]
    rita.wait_for("$20.00 added for 1,000 ⭐", charge)
    assert ledger.balance(ledger.available(RITA)) == 20_00
    rita.send("/withdraw")
    rita.wait_for("you have $0.00 available")

    # Ada credits Wes $6.00 (withdrawable, unlike a top-up).
    ada.send(f"/credit {WES} 6.00 help with the bird survey")
    ada.wait_for("Nothing moves until you confirm")
    ada.press("Credit $6.00")
    ada.wait_for("Credited $6.00")

    wes.send("/payout")
    shown = wes.wait_for("Where your money goes")
    assert "SEPA" in shown["text"] and "PayPal" not in shown["text"]
    wes.send("/payout add paypal wes@example.com")
    wes.wait_for("not offered here; methods: sepa")
    wes.send(f"/payout add sepa {IBAN}")
    wes.wait_for("Saved", "DE89 **** **** **** 3000")
    notice = wes.wait_for("If this wasn't you", "Yes, it was me")  # through the outbox and the worker
    assert "0532" not in notice["text"] and all(IBAN.replace(" ", "") not in m["text"] for m in wes.bot_messages())
    # Past the $5.00 a year threshold: tax details first (a bad one refused).
    wes.send("/withdraw")
    wes.wait_for("need your tax details")
    wes.send("/payout tax ES 54362315Z")
    wes.wait_for("not a valid tax id for ES")
    wes.send("/payout tax ES 54362315K")
    wes.wait_for("Tax details saved: ES ****315K")
    assert TaxDetails.select().count() == 1
    assert all("54362315K" not in m["text"] for m in wes.bot_messages())  # the typed message was deleted

    # Then the new destination's hold, lifted from the notice.
    wes.send("/withdraw")
    wes.wait_for("on hold until")
    assert Payout.select().count() == 0
    wes.mark()
    wes.press("Yes, it was me", notice)
    wes.wait_for("is confirmed")
    wes.send("/withdraw")
    offer = wes.wait_for("Withdraw", "DE89 **** **** **** 3000", "Confirm")
    wes.press("Confirm", offer)
    wes.wait_for("on its way")
    payout = Payout.get()
    assert (payout.amount_cents, payout.method, payout.status) == (6_00, "sepa", "paid")
    assert PayoutDestination.get().method == "sepa"

    # Ada refunds Rita's Stars: Telegram gives them back, the balance goes down by $20.00.
    ada.send(f"/refund {charge}")
    ada.wait_for("Refund", "1,000 ⭐", "Nothing moves until you confirm")
    ada.press("Refund $20.00")
    ada.wait_for("Refunded 1,000 ⭐ to Rita")
    rita.wait_for("was refunded to your Telegram Stars", fresh=False)
    assert stack.stats()["charges"][charge]["refunded"] is True
    assert ledger.balance(ledger.available(RITA)) == 0 and TopUp.get().refund_state == "done"
    ada.send(f"/refund {charge}")
    ada.wait_for("already refunded")
    check_invariants()
