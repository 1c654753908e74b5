"""The money screens (issue 20): /balance, /withdraw, /payout, /topup, /refund and /credit in every
language: every screen under Telegram's limits, amounts in the reader's locale, no English left in
their modules."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from bot import catalogs
from bot.i18n import DEFAULT, FSI, LANGUAGES, PDI, use
from bot.views import balance, common, payout, topup
from core.models import PayoutStatus as P
from core.money import parse_amount
from core.payments.accounts import Balances, WithdrawalQuote
from core.payments.destinations import Destination, PayoutOverview
from core.payments.queries import BalanceOverview
from core.payments.tax import TaxInfo
from core.payments.topups import RefundQuote
from core.review.reputation import WorkerStats
from tests.conftest import NOW
from tests.settings_env import settings_env
from tests.telegram_limits import MAX_TOAST, assert_screens_ok

MODULES = ["bot/views/topup.py", "bot/views/payout.py", "bot/views/balance.py", "bot/handlers/topup.py",
           "bot/handlers/balance.py", "bot/handlers/payout.py"]
IBAN = "DE89 **** **** **** 3000"
LONG_NAME = "Rita & <Co> " + "x" * 120


@pytest.fixture
def fees(monkeypatch):
    yield from settings_env(monkeypatch, undo=True,
                            HITBOT_PAYOUT_METHODS="paypal,sepa,ach,giftcard",
                            HITBOT_PAYOUT_MIN_CENTS_SEPA="500",
                            HITBOT_PAYOUT_FEE_CENTS_SEPA="25")


def _balances(**kw) -> Balances:
    figures = {"available_cents": 123_456_78, "pending_review_cents": 75, "payout_pending_cents": 3_00,
               "paid_out_cents": 1_000_00, "earned_cents": 2_000_000_00, "escrow_cents": 2_40, "spent_cents": 1_20,
               "fees_cents": 20, "prepaid_cents": 5_00}
    return Balances(**{**figures, **kw})


def _dest(i: int, *, default: bool = False, held: bool = False) -> Destination:
    return Destination(i, "sepa", f"DE{i:02d} **** **** **** {i:04d}", default, NOW + timedelta(days=1) if held else NOW)


def _payout(status: str, *, fee: int = 25, to: str | None = IBAN, reason: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(id=41, status=status, amount_cents=5_75, fee_cents=fee, destination_masked=to,
                           created_at=NOW - timedelta(hours=3), failure_reason=reason)


def _quote(source: str) -> RefundQuote:
    stars = source == "stars"
    return RefundQuote(topup_id=9, charge_id="stars-9", user_id=424242, user_name=LONG_NAME, source=source,
                       amount_cents=5_00, paid_amount=250 if stars else 5_00, paid_currency="XTR" if stars else "USD",
                       created_at=NOW - timedelta(days=2), refund_state=None, prepaid_cents=5_00)


def _event(payload: dict) -> SimpleNamespace:
    return SimpleNamespace(payload=payload, created_at=NOW)


def _screens(locale: str) -> tuple[list[tuple[str, bool]], list, list[str]]:
    """Every screen of the money modules: (text, sent as HTML), the keyboards, the short strings
    (button toasts, invoice fields) that have their own, smaller limits."""
    stats = WorkerStats(1_234, 56, 1_300, 96)
    texts: list[tuple[str, bool]] = []
    markups: list = []
    b = _balances()
    for is_requester in (True, False):
        texts.append((balance.balance_text(b, stats, is_requester=is_requester, min_payout_cents=100), True))
    texts.append((balance.balance_text(_balances(available_cents=50, prepaid_cents=0, payout_pending_cents=0),
                                       WorkerStats(0, 0, 0, None), is_requester=False, min_payout_cents=100), True))
    text, markup = balance.overview(BalanceOverview(b, stats, []), min_payout_cents=100, payout_methods=True)
    texts.append((text, True))
    markups += [markup, balance.balance_buttons(_balances(available_cents=0, prepaid_cents=0), 100)]
    kinds = ["approve", "bonus", "withdraw", "refund", "topup", "publish", "payout", "something_new"]
    lines = [SimpleNamespace(amount_cents=(-1) ** i * 1_65, kind=k, memo="tidy <work> " * 10,
                             created_at=NOW - timedelta(days=i)) for i, k in enumerate(kinds)]
    texts += [(balance.statement_text(lines * 3, "Europe/Berlin"), True), (balance.statement_text([], None), True)]
    texts += [(balance.chart_caption(12_345_67), False), (balance.no_recent_earnings(), False)]
    payouts = [_payout(s, reason="bank said no " * 20) for s in (P.REQUESTED, P.PROCESSING, P.PAID, P.FAILED)]
    block = balance.payouts_block(payouts, NOW)
    texts.append((balance.too_small(60, 100) + block, True))
    text, markup = balance.confirm_withdraw(3_00)
    texts.append((text + block, True))
    markups.append(markup)
    for fee in (25, 0):
        text, markup = balance.confirm_withdraw_to(WithdrawalQuote(6_00, 1_00, fee, _dest(1, default=True)),
                                                   [_dest(1, default=True), _dest(2), _dest(3)])
        texts.append((text, True))
        markups.append(markup)
    texts += [(balance.withdraw_requested(_payout(P.REQUESTED, fee=fee, to=to)), False)
              for fee in (25, 0) for to in (IBAN, None)]
    texts.append((balance.cancelled(), False))

    dests = [_dest(1, default=True, held=True), _dest(2), _dest(3, held=True)]
    tax = TaxInfo("ES", "****315K", NOW)
    for o in (PayoutOverview(dests, NOW + timedelta(hours=20), 10_00, ("paypal", "sepa", "ach", "giftcard"), tax,
                             600_00),
              PayoutOverview([], None, None, ("paypal", "sepa"), None, 600_00),
              PayoutOverview([], None, None, ())):
        text, markup = payout.overview(o, NOW)
        texts.append((text, True))
        markups.append(markup)
    texts += [(payout.tax_saved(tax), True), (payout.added(dests[0]), True), (payout.confirmed(dests[0]), True),
              (payout.made_default(dests[1]), True), (payout.removed(dests[2]), True),
              (payout.auto_set(None), False), (payout.auto_set(10_00), False), (payout.too_many_words(), False)]
    for rendered in (payout.tax_needed(_event({"paid_cents": 480_00, "threshold_cents": 600_00})),
                     payout.destination_added(_event({"destination_id": 1, "masked": IBAN,
                                                      "hold_until": (NOW + timedelta(days=1)).isoformat()})),
                     payout.hold_notice(destination_id=1, masked=IBAN, hold_until=NOW, now=NOW)):
        texts.append((rendered[0], True))
        markups.append(rendered[1])

    for card, rate in ((True, 2), (True, None), (False, 2)):
        text, markup = topup.topup_menu(b, 100, 1_00, 10_000_00, card=card, stars_rate_cents=rate)
        texts.append((text, True))
        markups.append(markup)
    texts += [(topup.not_configured(424242), False), (topup.stars_number(), False), (topup.already(), False),
              (topup.unmatched("sbx_" + "f" * 60), False), (topup.refund_usage(), False),
              (topup.refund_cancelled(), False), (topup.admins_only(), False), (topup.credit_usage(), False),
              (topup.credit_reason_too_long(200), False), (topup.credit_cancelled(), False),
              (topup.credit_already(), False)]
    texts += [(topup.usage(card=card, stars=stars), False) for card, stars in ((True, True), (True, False),
                                                                                (False, True))]
    texts += [(topup.credited(5_00, 15_00, stars=n, charge_id=ref), False) for n in (None, 1, 250)
              for ref in ("", "stars-9")]
    for source in ("stars", "card"):
        q = _quote(source)
        text, markup = topup.refund_confirm(q)
        texts += [(text, True), (topup.refund_done(q), True), (topup.refund_refused(q, "CHARGE_NOT_FOUND <x>"), True)]
        markups.append(markup)
        text, markup = topup.refund_unconfirmed(q)
        texts.append((text, True))
        markups.append(markup)
    for paid in ({"paid_currency": "XTR", "paid_amount": 250, "amount_cents": 5_00},
                 {"paid_currency": "USD", "paid_amount": 5_00, "amount_cents": 5_00}):
        text, markup = topup.refunded_notice(_event(paid))
        texts.append((text, True))
        markups.append(markup)
    text, markup = topup.credit_confirm(LONG_NAME, 424242, 12_34, "refund for HIT 7 <b>" * 10)
    texts += [(text, True), (topup.credit_done(LONG_NAME, 424242, 12_34, 22_34), True)]
    markups.append(markup)

    short = [balance.payout_requested_toast(), topup.refunded_toast(), topup.price_label(True),
             topup.price_label(False)]
    invoice = [topup.invoice_title()] + [topup.invoice_description(5_00, stars=n) for n in (None, 1, 2, 5, 250, 1000)]
    assert len(invoice[0]) <= topup.INVOICE_TITLE_MAX, invoice[0]  # Telegram's limits for sendInvoice
    assert all(1 <= len(d) <= topup.INVOICE_DESCRIPTION_MAX for d in invoice[1:]), invoice
    return texts, markups, short


@pytest.mark.parametrize("locale", list(LANGUAGES))
def test_every_money_screen_fits_telegram_in_every_language(locale, fees):
    with use(locale):
        texts, markups, short = _screens(locale)
    # sent as plain text: a tag would show
    assert_screens_ok([t for t, is_html in texts if is_html], [t for t, is_html in texts if not is_html], markups)
    assert_screens_ok(plain=short, limit=MAX_TOAST)  # a toast shows 200 characters at most
    if locale != DEFAULT:  # written in the reader's language, not English left in place
        with use(DEFAULT):
            english, _, english_short = _screens(DEFAULT)
        same = [t for (t, _), (e, _) in zip(texts, english) if t == e]
        assert same == [] and [s for s, e in zip(short, english_short) if s == e] == []


def test_a_russian_balance_shows_russian_amounts_and_words():
    b = _balances(available_cents=1_30, pending_review_cents=1_234_50, prepaid_cents=0)
    with use("ru"):
        text = balance.balance_text(b, WorkerStats(3, 1, 5, 75), is_requester=False, min_payout_cents=1_00)
        toast = balance.payout_requested_toast()
        buttons = balance.balance_buttons(b, 1_00, payout_methods=True)
    assert "💰 <b>Ваш баланс</b>" in text
    assert "Доступно: <b>1,30\xa0$</b>" in text
    assert "На проверке: 1\xa0234,50\xa0$" in text
    assert "Доля принятых работ: 75\xa0% · принято: 3, отклонено: 1, отправлено: 5" in text
    assert toast == "Вывод запрошен."
    assert buttons.inline_keyboard[0][0].text == "💸 Вывести 1,30\xa0$"
    with use("en"):  # English stays as it was
        assert "Available: <b>$1.30</b>" in balance.balance_text(b, WorkerStats(3, 1, 5, 75), is_requester=False,
                                                                 min_payout_cents=1_00)


def test_german_and_spanish_money_screens_use_their_own_words_and_formats():
    with use("de"):
        too_small = balance.too_small(60, 1_00)
        stars = topup.invoice_description(20_00, stars=1000)
    assert too_small == ("💸 Die Mindestauszahlung beträgt 1,00\xa0$; du hast 0,60\xa0$ verfügbar. Noch 0,40\xa0$, "
                         "dann kannst du auszahlen.")
    assert stars.startswith("1.000 ⭐ laden 20,00\xa0$ auf dein hitbot-Guthaben")  # plural and grouping
    with use("de"):
        menu = topup.topup_menu(_balances(), 100, 1_00, 10_000_00)[0]
    assert "<code>/topup 12,50</code> (1,00\xa0$ bis 10.000,00\xa0$)" in menu
    assert parse_amount("12,50", "USD") == 12_50  # the example a German reader sees is one the bot takes
    with use("es"):
        assert topup.invoice_description(2, stars=1).startswith("1 ⭐ añade 0,02\xa0US$")
        assert payout.auto_set(10_00).startswith("🔁 El cobro automático está activado")


def test_statement_dates_are_in_the_readers_zone_and_language():
    line = SimpleNamespace(amount_cents=1_25, kind="approve", memo="", created_at=datetime(2026, 1, 4, 23, 30,
                                                                                          tzinfo=NOW.tzinfo))
    with use("ru"):
        text = balance.statement_text([line], "Europe/Moscow")
    assert text.splitlines()[1].startswith("05 янв. 02:30 MSK <b>+1,25\xa0$</b> ✅ принятая работа"), text


def test_arabic_keeps_amounts_and_masked_accounts_in_their_own_direction():
    with use("ar"):
        amount = common.money(5_75)
        text = balance.withdraw_requested(_payout(P.REQUESTED, fee=0))
    assert text.startswith("✅ طُلب السحب رقم ")
    assert f"{FSI}{amount}{PDI}" in text and f"{FSI}{IBAN}{PDI}" in text


def test_the_money_modules_hold_no_english_literal():
    counts = catalogs.literal_counts()
    assert {m: counts[m] for m in MODULES} == dict.fromkeys(MODULES, 0)
