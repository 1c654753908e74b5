"""Issue 5: /topup with Telegram Payments (credited once per charge id) and the admin's /credit."""
from __future__ import annotations

import pytest
from telegram.error import TimedOut

from bot.views.topup import refunded_notice
from core import ledger
from core.config import get_settings
from core.models import LedgerTxn, OutboxEvent, Payout, TopUp
from tests import factories as f
from tests.bot.chat import last_text
from tests.conftest import ADMIN_ID
from tests.fakes.telegram import TgUser, answers
from tests.invariants import check_invariants
from tests.settings_env import settings_env


@pytest.fixture
def payments(monkeypatch):
    yield from settings_env(monkeypatch, unset=True, HITBOT_PAYMENT_PROVIDER_TOKEN="284685063:TEST:provider")


async def start(bot, name: str = "Rita", user_id: int | None = None) -> TgUser:
    u = TgUser(user_id or f.user(name).id, name)
    await bot.text(u, "/start")
    return u


async def pre_checkout(bot, user: TgUser, payload: str, total: int, currency: str = "USD"):
    calls = await bot._feed({"pre_checkout_query": {"id": f"pcq{total}", "from": user.as_dict(), "currency": currency,
                                                    "total_amount": total, "invoice_payload": payload}})
    (answer,) = [c for c in calls if c.method == "answerPreCheckoutQuery"]
    return answer.params


async def pay(bot, user: TgUser, payload: str, total: int, charge: str, currency: str = "USD"):
    return await bot._feed({"message": bot._message(user, successful_payment={
        "currency": currency, "total_amount": total, "invoice_payload": payload,
        "telegram_payment_charge_id": charge, "provider_payment_charge_id": "prov-" + charge})})


async def test_invoice_checkout_and_one_credit_per_charge(bot, payments):
    rita = await start(bot)
    await bot.text(rita, "/topup")
    assert "How much do you want to add?" in last_text(bot, rita)
    calls = await bot.press_label(rita, "$10.00")
    (invoice,) = [c for c in calls if c.method == "sendInvoice"]
    assert invoice.params["currency"] == "USD" and invoice.params["provider_token"] == "284685063:TEST:provider"
    assert invoice.params["prices"] == [{"label": "Balance top-up", "amount": 1000}]
    payload = invoice.params["payload"]
    assert payload == f"topup:{rita.id}:1000"
    assert (await pre_checkout(bot, rita, payload, 1000))["ok"] is True
    refused = await pre_checkout(bot, rita, payload, 1)  # amount changed
    assert refused["ok"] is False and "out of date" in refused["error_message"]
    mallory = await start(bot, "Mallory")
    stolen = await pre_checkout(bot, mallory, payload, 1000)  # someone else's invoice
    assert stolen["ok"] is False and "someone else" in stolen["error_message"]
    assert (await pre_checkout(bot, rita, "buy:everything", 1000))["ok"] is False
    assert (await pre_checkout(bot, rita, payload, 1000, currency="EUR"))["ok"] is False

    await pay(bot, rita, payload, 1000, "charge-1")
    assert last_text(bot, rita) == ("✅ Payment received: $10.00 added. Your balance is now $10.00.\n"
                               "Payment reference: charge-1")
    await pay(bot, rita, payload, 1000, "charge-1")  # the same update delivered again
    assert last_text(bot, rita) == "This payment was already added to your balance."
    assert ledger.balance(ledger.available(rita.id)) == 1000
    assert LedgerTxn.select().where(LedgerTxn.kind == "topup").count() == 1
    check_invariants()


async def test_typed_amount_and_bounds(bot, payments):
    rita = await start(bot)
    calls = await bot.text(rita, "/topup 12.50")
    assert [c.params["prices"][0]["amount"] for c in calls if c.method == "sendInvoice"] == [1250]
    await bot.text(rita, "/topup 0.50")
    assert "Top up between $1.00 and $10,000.00" in last_text(bot, rita)
    await bot.text(rita, "/topup lots")
    assert "must be a number" in last_text(bot, rita)
    forged = await bot.press(rita, "r:tu:99999999999")
    assert "Top up between" in answers(forged)[0].params["text"]


async def test_without_a_provider_token_topup_explains(bot):
    rita = await start(bot)
    calls = await bot.text(rita, "/topup")
    assert not [c for c in calls if c.method == "sendInvoice"]
    assert "Payments aren't set up" in last_text(bot, rita) and str(rita.id) in last_text(bot, rita)


async def test_admin_credit(bot):
    admin = await start(bot, "Admin", user_id=ADMIN_ID)
    rita = await start(bot)
    await bot.text(rita, f"/credit {rita.id} 100 gift to myself")
    assert last_text(bot, rita) == "Only admins can do that."
    await bot.text(admin, f"/credit {rita.id} 12.34")
    assert "Use: /credit <user id> <amount> <reason>" in last_text(bot, admin)
    await bot.text(admin, f"/credit {rita.id} abc refund")
    assert "must be a number" in last_text(bot, admin)
    await bot.text(admin, "/credit 424242 1.00 refund")
    assert "No user with id 424242" in last_text(bot, admin)
    await bot.text(admin, f"/credit {rita.id} 12.34 refund for HIT 7")
    # a typed amount is shown with its numbers first; nothing moves until the admin confirms
    confirm = bot.tg.last_message(admin.id)
    assert confirm.text.startswith(f"💳 Credit <b>$12.34</b> to Rita (id {rita.id})?\nReason: refund for HIT 7")
    assert ledger.balance(ledger.available(rita.id)) == 0
    send, cancel = (data for _, data in confirm.buttons)
    await bot.press(admin, cancel, confirm.message_id)
    assert bot.tg.chats[admin.id][confirm.message_id].text == "✖️ Cancelled; nothing was credited."
    assert "no longer valid" in answers(await bot.press(admin, send, confirm.message_id))[0].params["text"]
    assert ledger.balance(ledger.available(rita.id)) == 0
    await bot.text(admin, f"/credit {rita.id} 12.34 refund for HIT 7")
    confirm = bot.tg.last_message(admin.id)
    forged = await bot.press(rita, confirm.buttons[0][1], confirm.message_id)  # not an admin
    assert answers(forged)[0].params["text"] == "This button is no longer valid."
    await bot.press(admin, confirm.buttons[0][1], confirm.message_id)
    assert bot.tg.chats[admin.id][confirm.message_id].text == (
        f"Credited $12.34 to Rita (id {rita.id}). Their balance: $12.34.")
    await bot.press(admin, confirm.buttons[0][1], confirm.message_id)  # the double tap credits once
    assert ledger.balance(ledger.available(rita.id)) == 1234
    check_invariants()


@pytest.fixture
def stars(monkeypatch):
    monkeypatch.setenv("HITBOT_STARS_RATE_CENTS", "2")  # 1 Star = $0.02
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("HITBOT_STARS_RATE_CENTS")
    get_settings.cache_clear()


async def test_stars_invoice_checkout_credit_once_and_no_withdrawal(bot, stars):
    rita = await start(bot)
    menu = await bot.text(rita, "/topup")
    assert "pay in Telegram Stars (1 ⭐ = $0.02)" in menu[-1].text and "/topup 12.50" not in menu[-1].text
    assert ("⭐ 250 = $5.00", "r:ts:250") in menu[-1].buttons
    calls = await bot.press_label(rita, "⭐ 250 = $5.00")
    (invoice,) = [c for c in calls if c.method == "sendInvoice"]
    p = invoice.params
    assert (p["currency"], p["prices"], p.get("provider_token")) == ("XTR", [{"label": "Balance top-up (Stars)",
                                                                            "amount": 250}], None)
    assert "250 ⭐ add $5.00 to your hitbot balance" in p["description"]  # both amounts shown
    payload = p["payload"]
    assert payload == f"stars:{rita.id}:250:500"
    assert (await pre_checkout(bot, rita, payload, 250, currency="XTR"))["ok"] is True
    assert (await pre_checkout(bot, rita, payload, 250))["ok"] is False  # USD: not this invoice
    assert (await pre_checkout(bot, rita, payload, 500, currency="XTR"))["ok"] is False
    forged = await pre_checkout(bot, rita, f"stars:{rita.id}:250:99999", 250, currency="XTR")  # a better rate
    assert forged["ok"] is False and "out of date" in forged["error_message"]
    await pay(bot, rita, payload, 250, "stars-1", currency="XTR")
    assert last_text(bot, rita).startswith("✅ Payment received: $5.00 added for 250 ⭐. Your balance is now $5.00.")
    await pay(bot, rita, payload, 250, "stars-1", currency="XTR")
    assert last_text(bot, rita) == "This payment was already added to your balance."
    assert ledger.balance(ledger.available(rita.id)) == 5_00
    assert (TopUp.get().source, TopUp.get().paid_amount, TopUp.get().paid_currency) == ("stars", 250, "XTR")

    shown = await bot.text(rita, "/balance")
    assert "Of it, topped up: $5.00 (for HITs and bonuses; not withdrawn" in shown[0].text
    assert not any(data == "wd:ask" for _, data in shown[0].buttons) and "Send /withdraw" not in shown[0].text
    refused = await bot.text(rita, "/withdraw")  # money in by payment never goes out as a payout
    assert refused[-1].text.startswith("💸 The minimum payout is $1.00; you have $0.00 available.")
    assert Payout.select().count() == 0
    typed = await bot.text(rita, "/topup stars 100")
    assert [c.params["prices"][0]["amount"] for c in typed if c.method == "sendInvoice"] == [100]
    for bad, why in (("/topup stars 0", "between 1 and 10,000 Stars"), ("/topup stars lots", "whole number"),
                     ("/topup stars 99999", "between 1 and 10,000 Stars"), ("/topup 12.50", "/topup stars 250")):
        await bot.text(rita, bad)
        assert why in last_text(bot, rita), bad
    check_invariants()


async def test_admin_refunds_a_stars_top_up_through_telegram(bot, stars):
    admin = await start(bot, "Admin", user_id=ADMIN_ID)
    rita = await start(bot)
    await pay(bot, rita, f"stars:{rita.id}:250:500", 250, "stars-9", currency="XTR")
    assert ledger.balance(ledger.available(rita.id)) == 5_00
    await bot.text(rita, "/refund stars-9")
    assert last_text(bot, rita) == "Only admins can do that."
    await bot.text(admin, "/refund")
    assert "Use: /refund <payment reference>" in last_text(bot, admin)
    await bot.text(admin, "/refund nope")
    assert last_text(bot, admin) == "No top-up has that reference."
    shown = await bot.text(admin, "/refund stars-9")
    assert "Refund <b>250 ⭐</b> ($5.00 of balance) to Rita" in shown[-1].text
    topup_id = TopUp.get().id
    assert shown[-1].buttons[0] == ("✅ Refund $5.00", f"ad:rf:{topup_id}")
    stolen = await bot.press(rita, f"ad:rf:{topup_id}")
    assert answers(stolen)[0].params["text"] == "This button is no longer valid."
    assert ledger.balance(ledger.available(rita.id)) == 5_00  # a forged press moved nothing

    done = await bot.press_label(admin, "Refund $5.00")
    (call,) = [c for c in done if c.method == "refundStarPayment"]
    assert call.params == {"user_id": rita.id, "telegram_payment_charge_id": "stars-9"}
    assert any("Refunded 250 ⭐ to Rita" in c.text for c in done if c.text)
    assert ledger.balance(ledger.available(rita.id)) == 0 and TopUp.get().refund_state == "done"
    again = await bot.text(admin, "/refund stars-9")
    assert again[-1].text == "This top-up was already refunded."
    notice = OutboxEvent.get(OutboxEvent.kind == "topup.refunded")
    text, _ = refunded_notice(notice)
    assert notice.user_id == rita.id and text.startswith("↩️ Your top-up of 250 ⭐ was refunded to your Telegram Stars")
    check_invariants()


async def test_a_refund_telegram_refuses_puts_the_money_back(bot, stars):
    admin = await start(bot, "Admin", user_id=ADMIN_ID)
    rita = await start(bot)
    await pay(bot, rita, f"stars:{rita.id}:100:200", 100, "stars-10", currency="XTR")
    real = bot.tg.do_request

    async def refusing(url, method, request_data=None, **kw):
        if url.endswith("/refundStarPayment"):
            return 400, b'{"ok": false, "error_code": 400, "description": "Bad Request: CHARGE_NOT_FOUND"}'
        return await real(url, method, request_data, **kw)

    bot.tg.do_request = refusing
    await bot.text(admin, "/refund stars-10")
    done = await bot.press_label(admin, "Refund $2.00")
    assert any("Telegram did not refund the Stars" in (c.text or "") and "charge_not_found" in (c.text or "").lower()
               for c in done), [c.text for c in done]
    assert ledger.balance(ledger.available(rita.id)) == 2_00 and TopUp.get().refund_state is None
    check_invariants()


async def test_a_refund_telegram_does_not_answer_stays_held_and_is_never_paid_twice(bot, stars):
    admin = await start(bot, "Admin", user_id=ADMIN_ID)
    rita = await start(bot)
    await pay(bot, rita, f"stars:{rita.id}:100:200", 100, "stars-11", currency="XTR")
    real = bot.tg.do_request
    refunds = []

    async def lost_reply(url, method, request_data=None, **kw):
        if url.endswith("/refundStarPayment"):
            refunds.append(1)
            if len(refunds) == 1:  # Telegram refunds the Stars, but its answer never arrives
                raise TimedOut()
            return 400, b'{"ok": false, "error_code": 400, "description": "Bad Request: CHARGE_ALREADY_REFUNDED"}'
        return await real(url, method, request_data, **kw)

    bot.tg.do_request = lost_reply
    await bot.text(admin, "/refund stars-11")
    first = await bot.press_label(admin, "Refund $2.00")
    assert any("Telegram did not answer the refund" in (c.text or "") for c in first), [c.text for c in first]
    # Not given back to the balance: the Stars may be with Rita already.
    assert ledger.balance(ledger.available(rita.id)) == 0 and TopUp.get().refund_state == "pending"
    again = await bot.press_label(admin, "Try again")
    assert any("Refunded 100 ⭐ to Rita" in (c.text or "") for c in again), [c.text for c in again]
    assert ledger.balance(ledger.available(rita.id)) == 0 and TopUp.get().refund_state == "done"
    assert len(refunds) == 2
    check_invariants()


async def test_a_payment_that_matches_no_invoice_is_not_credited_but_acknowledged(bot, stars, caplog):
    rita = await start(bot)
    mallory = await start(bot, "Mallory")
    await pay(bot, mallory, f"stars:{rita.id}:250:500", 250, "stars-x", currency="XTR")  # Rita's invoice
    assert last_text(bot, mallory) == ("We received a payment we couldn't match; an admin will sort it out. "
                                  "Reference: stars-x")
    await pay(bot, rita, f"stars:{rita.id}:250:500", 100, "stars-y", currency="XTR")  # paid less than it says
    assert "couldn't match" in last_text(bot, rita)
    assert ledger.balance(ledger.available(rita.id)) == 0 and ledger.balance(ledger.available(mallory.id)) == 0
    assert TopUp.select().count() == 0 and "stars-x" in caplog.text
    # Paid at yesterday's rate: still credited at the invoice's own amounts.
    await pay(bot, rita, f"stars:{rita.id}:250:750", 250, "stars-z", currency="XTR")
    assert ledger.balance(ledger.available(rita.id)) == 7_50
    check_invariants()
