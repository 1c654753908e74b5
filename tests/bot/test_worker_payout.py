"""Issue 19 in chat: /payout adds a destination (shown masked, details deleted from the chat),
the hold notice and its confirm, /withdraw with the method's fee shown before Confirm, and
/payout auto 10 / off."""
from __future__ import annotations

import pytest

from bot.views.notify import RENDERERS
from bot.views.payout import destination_added
from core import ledger
from core.config import get_settings
from core.models import AutoWithdraw, OutboxEvent, Payout, PayoutDestination, TaxDetails
from tests.bot.test_worker_balance import alert, earn, person
from tests.conftest import NOW
from tests.invariants import check_invariants
from tests.settings_env import PAYOUT_METHODS, settings_env

IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def methods(monkeypatch):
    yield from settings_env(monkeypatch, undo=True, **PAYOUT_METHODS)


async def test_add_a_destination_see_it_masked_confirm_the_hold_and_withdraw_with_the_fee(bot, methods, clock):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 3, "2.00")  # $6.00 available
    intro = await bot.text(wes, "/payout")
    assert "No payout destination yet" in intro[0].text
    assert "SEPA bank transfer (IBAN): from $5.00, fee $0.25" in intro[0].text
    assert "PayPal: from $1.00, no fee" in intro[0].text
    balance = await bot.text(wes, "/balance")
    assert ("🏦 Payout methods", "po:menu") in balance[0].buttons

    calls = await bot.text(wes, f"/payout add sepa {IBAN}")
    assert [c.method for c in calls] == ["deleteMessage", "sendMessage"]  # the details leave the chat
    assert "Saved <b>DE89 **** **** **** 3000</b>" in calls[1].text
    dest = PayoutDestination.get()
    # The security notice goes through the outbox like every notification (every device of the account).
    event = OutboxEvent.get(OutboxEvent.kind == "payout.destination_added")
    assert event.user_id == wes.id and "payout.destination_added" in RENDERERS
    text, markup = destination_added(event)
    assert "DE89 **** **** **** 3000" in text and "If this wasn't you" in text
    assert "on hold for 1d." in text
    assert markup.inline_keyboard[0][0].callback_data == f"po:ok:{dest.id}"
    assert "0532" not in text and "3704" not in text and "0532" not in str(event.payload)
    listed = await bot.text(wes, "/payout")
    assert "⭐ DE89 **** **** **** 3000 (default)" in listed[0].text and "on hold" in listed[0].text

    held = await bot.text(wes, "/withdraw")
    assert "on hold until" in held[0].text and held[0].buttons == []
    assert Payout.select().count() == 0

    eve = await person(bot, "Eve")
    forged = await bot.press(eve, f"po:ok:{dest.id}")
    assert alert(forged) == "This button is no longer valid."
    assert PayoutDestination.get_by_id(dest.id).hold_until > NOW  # Eve changed nothing

    confirmed = await bot.press(wes, f"po:ok:{dest.id}", notice_id(bot, wes, "It was me"))
    assert any("is confirmed" in c.text for c in confirmed)

    offer = await bot.text(wes, "/withdraw")
    text = offer[0].text
    assert "Withdraw <b>$6.00</b>" in text and "DE89 **** **** **** 3000" in text
    assert "Fee: $0.25, so <b>$5.75</b> is sent." in text
    assert offer[0].buttons[0] == ("✅ Confirm", f"wd:ok:600:{dest.id}")
    done = await bot.press_label(wes, "Confirm")
    payout = Payout.get()
    assert (payout.amount_cents, payout.fee_cents, payout.method) == (5_75, 25, "sepa")
    assert any("Payout #1 of $5.75 (after the $0.25 fee) to DE89 **** **** **** 3000 requested" in c.text
               for c in done)
    assert ledger.balance(ledger.available(wes.id)) == 0
    check_invariants()


def notice_id(bot, user, label: str) -> int:
    chat = bot.tg.chats[user.id]
    return next(mid for mid in sorted(chat, reverse=True) if any(label in t for t, _ in chat[mid].buttons))


async def test_bad_details_are_refused_friendly_and_still_deleted(bot, methods):
    wes = await person(bot, "Wes")
    calls = await bot.text(wes, "/payout add sepa DE88 3704 0044 0532 0130 00")
    assert calls[0].method == "deleteMessage"
    assert "check digits are wrong" in calls[1].text
    bad_aba = await bot.text(wes, "/payout add ach 011000016 12345678")
    assert "check digit is wrong" in bad_aba[1].text
    unknown = await bot.text(wes, "/payout add bitcoin abc")
    assert "not offered" in unknown[1].text
    assert PayoutDestination.select().count() == 0


async def test_withdraw_without_a_destination_points_to_payout(bot, methods):
    rita = await person(bot, "Rita", cents=100_00)
    wes = await person(bot, "Wes")
    await earn(bot, wes, rita, 1, "2.00")
    calls = await bot.text(wes, "/withdraw")
    assert calls[0].text == "Add where your money should go first: /payout"
    assert Payout.select().count() == 0


async def test_payout_auto_on_and_off(bot):
    wes = await person(bot, "Wes")
    on = await bot.text(wes, "/payout auto 10")
    assert "whenever your available balance reaches $10.00" in on[0].text
    assert AutoWithdraw.get(AutoWithdraw.user == wes.id).threshold_cents == 10_00
    shown = await bot.text(wes, "/payout")
    assert "Auto-withdraw: at $10.00" in shown[0].text
    bad = await bot.text(wes, "/payout auto lots")
    assert "threshold must be a number" in bad[0].text
    too_big = await bot.text(wes, "/payout auto 99999999")
    assert "Choose a threshold" in too_big[0].text
    assert AutoWithdraw.get(AutoWithdraw.user == wes.id).threshold_cents == 10_00  # refusals changed nothing
    off = await bot.text(wes, "/payout auto off")
    assert off[0].text == "🔁 Auto-withdraw is off."
    assert AutoWithdraw.select().count() == 0


async def test_tax_details_asked_before_payouts_past_the_threshold(bot, monkeypatch):
    monkeypatch.setenv("HITBOT_TAX_THRESHOLD_CENTS", "500")
    get_settings.cache_clear()
    try:
        rita = await person(bot, "Rita", cents=100_00)
        wes = await person(bot, "Wes")
        await earn(bot, wes, rita, 3, "2.00")  # $6.00 available, the threshold is $5.00 a year
        refused = await bot.text(wes, "/withdraw")
        assert "Payouts past $5.00 a year need your tax details" in refused[0].text
        assert "/payout tax" in refused[0].text and refused[0].buttons == []
        shown = await bot.text(wes, "/payout")
        assert "Payouts past $5.00 a year need your tax details, given once" in shown[0].text

        bad = await bot.text(wes, "/payout tax ES 54362315Z")
        assert bad[0].method == "deleteMessage"  # the typed id leaves the chat even when refused
        assert "not a valid tax id for ES" in bad[1].text
        assert TaxDetails.select().count() == 0
        good = await bot.text(wes, "/payout tax ES 54362315K")
        assert good[0].method == "deleteMessage"
        assert good[1].text.startswith("🧾 Tax details saved: ES ****315K.")
        assert "54362315" not in good[1].text
        assert "Tax details: ES ****315K" in (await bot.text(wes, "/payout"))[0].text

        offer = await bot.text(wes, "/withdraw")
        assert "Withdraw <b>$6.00</b>" in offer[0].text
        await bot.press_label(wes, "Confirm")
        assert Payout.get().amount_cents == 6_00
        check_invariants()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
