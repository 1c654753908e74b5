"""Money paid in (card or Telegram Stars top-ups): spendable, never withdrawable, refundable to
the original payment by an admin while unspent.

Spending is counted against prepaid money first, so what a person may withdraw is their
available balance less the prepaid money still in it: a card top-up can't come back out as a
payout (the laundering path MTurk closes), while earnings and admin credits can."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from core import ledger
from core.config import get_settings
from core.db import for_update, tx
from core.errors import InsufficientFunds, NotAllowed, NotFound, StaleAction, ValidationFailed
from core.models import Account, Entry, LedgerTxn, TopUp, TopUpSource
from core.outbox import emit
from core.texts import N_, Amount
from core.users.commands import get_user

SPENDING_KINDS = ("publish", "bonus")
MAX_CHARGE_ID = 128


def _entries_sum(account_id: int, kinds: tuple[str, ...], *, positive: bool, exclude_prefix: str | None = None) -> int:
    query = (Entry.select(fn.COALESCE(fn.SUM(Entry.amount_cents), 0)).join(LedgerTxn)
             .where((Entry.account == account_id) & LedgerTxn.kind.in_(kinds)
                    & ((Entry.amount_cents > 0) if positive else (Entry.amount_cents < 0))))
    if exclude_prefix:
        query = query.where(~LedgerTxn.key.startswith(exclude_prefix))
    return abs(int(query.scalar() or 0))


def prepaid_cents(*, user_id: int) -> int:
    """Top-ups still in the available balance: paid in, less refunded, less what was spent
    (rewards, fees and bonuses escrowed or paid, net of escrow that came back)."""
    paid_in = (TopUp.select(fn.COALESCE(fn.SUM(TopUp.amount_cents), 0))
               .where((TopUp.user == user_id) & TopUp.refund_state.is_null()).scalar() or 0)
    if not paid_in:
        return 0
    avail = ledger.available(user_id)
    spent = _entries_sum(avail.id, SPENDING_KINDS, positive=False)
    back = _entries_sum(avail.id, ("refund",), positive=True, exclude_prefix="payout-failed:")
    return max(0, min(ledger.balance(avail), int(paid_in) - max(0, spent - back)))


def withdrawable_cents(*, user_id: int) -> int:
    return ledger.balance(ledger.available(user_id)) - prepaid_cents(user_id=user_id)


def record(*, user_id: int, charge_id: str, source: str, amount_cents: int, paid_amount: int, paid_currency: str,
           now: datetime) -> bool:
    """Inside the top-up's transaction: remember the payment (once per charge id)."""
    return bool(TopUp.insert(charge_id=charge_id, user=user_id, source=source, amount_cents=amount_cents,
                             paid_amount=paid_amount, paid_currency=paid_currency, created_at=now)
                .on_conflict_ignore().execute())


@dataclass(frozen=True)
class RefundQuote:
    """What an admin sees before confirming /refund."""

    topup_id: int
    charge_id: str
    user_id: int
    user_name: str
    source: str
    amount_cents: int
    paid_amount: int
    paid_currency: str
    created_at: datetime
    refund_state: str | None
    prepaid_cents: int  # of the user's balance, still unspent top-ups


def _admin(admin_id: int) -> None:
    if admin_id not in get_settings().admins:
        raise NotAllowed(N_("Only admins can do that."))


def _find(charge: str) -> TopUp:
    charge = (charge or "").strip()
    if not charge or len(charge) > MAX_CHARGE_ID:
        raise ValidationFailed(N_("Give the payment's reference (its charge id), as the bot showed it on payment."))
    row = TopUp.get_or_none(TopUp.charge_id == charge)
    if row is None and charge.isdigit() and len(charge) <= 18:
        row = TopUp.get_or_none(TopUp.id == int(charge))
    if row is None:
        raise NotFound(N_("No top-up has that reference."))
    return row


def _quote(row: TopUp) -> RefundQuote:
    user = get_user(row.user_id)
    return RefundQuote(row.id, row.charge_id, row.user_id, user.display_name, row.source, row.amount_cents, row.paid_amount,
                       row.paid_currency, row.created_at, row.refund_state, prepaid_cents(user_id=row.user_id))


def refund_quote(*, admin_id: int, charge: str) -> RefundQuote:
    """For the confirmation; refuses what could not be refunded, changing nothing."""
    _admin(admin_id)
    row = _find(charge)
    quote = _quote(row)
    _check_refundable(quote)
    return quote


def _check_refundable(q: RefundQuote) -> None:
    currency = get_settings().currency
    if q.refund_state == "done":
        raise StaleAction(N_("This top-up was already refunded."))
    if q.refund_state is None and q.prepaid_cents < q.amount_cents:
        raise InsufficientFunds(N_("Only {prepaid} of the {amount} paid in is unspent, and a payment is refunded "
                                   "whole. Wait until their HITs end (unused escrow comes back) or /credit the "
                                   "difference first."),
                                prepaid=Amount(q.prepaid_cents, currency), amount=Amount(q.amount_cents, currency))


def start_refund(*, admin_id: int, topup_id: int, now: datetime) -> RefundQuote:
    """Take the top-up back out of the balance (to the outside world) in one ledger transaction.
    A card top-up is then refunded (the operator returns it through their provider); a Stars one is
    pending until Telegram confirms (finish_refund) or refuses (undo_refund). Calling it again on a
    pending one moves nothing: the Telegram call is tried again."""
    if admin_id not in get_settings().admins:
        raise NotAllowed()  # the confirm button pressed by someone else: no longer valid
    with tx():
        row = TopUp.get_or_none(TopUp.id == topup_id)
        if row is None:
            raise NotAllowed()
        # Lock the balance, then the top-up, so spending and a second admin wait; read both afresh.
        for_update(Account.select().where(Account.id == ledger.available(row.user_id).id)).get()
        row = for_update(TopUp.select().where(TopUp.id == topup_id)).get()
        quote = _quote(row)
        _check_refundable(quote)
        if row.refund_state == "pending":
            return quote
        state = "pending" if row.source == TopUpSource.STARS else "done"
        # Claim it first: of two admins confirming at once, one moves the money.
        if TopUp.update(refund_state=state, refunded_at=now if state == "done" else None).where(
                (TopUp.id == row.id) & TopUp.refund_state.is_null()).execute() != 1:
            raise StaleAction(N_("This top-up is being refunded already."))
        attempt = LedgerTxn.select().where(LedgerTxn.key.startswith(f"topup-refund:{row.id}:")).count()
        if not ledger.post(key=f"topup-refund:{row.id}:{attempt}", kind="topup_refund",
                           legs=[(ledger.available(row.user_id), -row.amount_cents),
                                 (ledger.world(), row.amount_cents)],
                           now=now, memo=f"top-up {row.id} refunded by admin {admin_id}"):
            raise StaleAction(N_("This refund was already made."))
        if state == "done":
            _told(row, now)
        return _quote(TopUp.get_by_id(row.id))


def _told(row: TopUp, now: datetime) -> None:
    emit("topup.refunded", user_id=row.user_id, now=now, topup_id=row.id, amount_cents=row.amount_cents,
         paid_amount=row.paid_amount, paid_currency=row.paid_currency, source=row.source)


def finish_refund(*, topup_id: int, now: datetime) -> bool:
    """Telegram refunded the Stars: the refund is done. False if it was not pending."""
    with tx():
        row = TopUp.get_or_none(TopUp.id == topup_id)
        if row is None or TopUp.update(refund_state="done", refunded_at=now).where(
                (TopUp.id == topup_id) & (TopUp.refund_state == "pending")).execute() != 1:
            return False
        _told(row, now)
        return True


def undo_refund(*, topup_id: int, now: datetime) -> bool:
    """Telegram refused the refund: the money goes back into the balance, as before."""
    with tx():
        row = TopUp.get_or_none(TopUp.id == topup_id)
        if row is None or TopUp.update(refund_state=None).where(
                (TopUp.id == topup_id) & (TopUp.refund_state == "pending")).execute() != 1:
            return False
        undone = LedgerTxn.select().where(LedgerTxn.key.startswith(f"topup-refund-undo:{row.id}:")).count()
        ledger.post(key=f"topup-refund-undo:{row.id}:{undone}", kind="topup_refund",
                    legs=[(ledger.world(), -row.amount_cents), (ledger.available(row.user_id), row.amount_cents)],
                    now=now, memo=f"top-up {row.id} refund refused by Telegram")
        return True


# Invoices ------------------------------------------------------------------------------------

_CARD = re.compile(r"^topup:(\d{1,18}):(\d{1,12})$")
_STARS = re.compile(r"^stars:(\d{1,18}):(\d{1,6}):(\d{1,12})$")
MAX_TOPUP_UNITS = 10_000  # Telegram caps invoices at about this much in most currencies
MAX_STARS = 10_000  # Telegram's most Stars in one invoice
STARS = "XTR"


@dataclass(frozen=True)
class Invoice:
    """One top-up invoice: what is charged (currency and amount in its units) and what it adds."""

    source: str
    currency: str
    paid_amount: int
    amount_cents: int
    payload: str


def card_bounds() -> tuple[int, int]:
    """Smallest and largest card top-up in minor units (1 to 10,000 whole units of the currency)."""
    factor = 10 ** get_settings().currency_precision
    return factor, MAX_TOPUP_UNITS * factor


def stars_offered() -> bool:
    return get_settings().stars_rate_cents is not None


def card_offered() -> bool:
    token = get_settings().payment_provider_token
    return token is not None and bool(token.get_secret_value())


def card_invoice(*, user_id: int, amount_cents: int) -> Invoice:
    settings = get_settings()
    low, high = card_bounds()
    if not card_offered():
        raise StaleAction(N_("Card payments aren't set up on this bot."))
    if not low <= amount_cents <= high:
        raise ValidationFailed(N_("Top up between {low} and {high}."),
                               low=Amount(low, settings.currency), high=Amount(high, settings.currency))
    return Invoice(TopUpSource.CARD, settings.currency, amount_cents, amount_cents, f"topup:{user_id}:{amount_cents}")


def stars_invoice(*, user_id: int, stars: int) -> Invoice:
    """At HITBOT_STARS_RATE_CENTS per Star; the payload carries both amounts, checked again at payment."""
    rate = get_settings().stars_rate_cents
    if rate is None:
        raise StaleAction(N_("Paying with Telegram Stars isn't set up on this bot."))
    if not 1 <= stars <= MAX_STARS:
        raise ValidationFailed(N_("Top up between 1 and {max_stars} Stars."), max_stars=format(MAX_STARS, ','))
    cents = stars * rate
    return Invoice(TopUpSource.STARS, STARS, stars, cents, f"stars:{user_id}:{stars}:{cents}")


def check_invoice(*, user_id: int, payload: str, currency: str, total: int, strict: bool = True) -> Invoice:
    """The invoice behind a pre-checkout query or a payment, re-checked: ours, this user's, and
    consistent. `strict` (before charging) also wants what the settings would offer now (bounds,
    currency, Stars rate); a payment already made is credited at its invoice's amounts.
    ValidationFailed says why not."""
    payload = payload or ""
    card, stars = _CARD.match(payload), _STARS.match(payload)
    if card is None and stars is None:
        raise ValidationFailed(N_("This invoice is not from hitbot."))
    if int((card or stars).group(1)) != user_id:
        raise ValidationFailed(N_("This invoice was made for someone else."))
    stale = ValidationFailed(N_("This invoice is out of date. Send /topup for a new one."))
    if card:
        made = Invoice(TopUpSource.CARD, get_settings().currency, int(card.group(2)), int(card.group(2)), payload)
    else:
        made = Invoice(TopUpSource.STARS, STARS, int(stars.group(2)), int(stars.group(3)), payload)
    if made.currency != currency or made.paid_amount != total or not 0 < made.amount_cents <= 10**10:
        raise stale
    if strict:
        try:
            fresh = (card_invoice(user_id=user_id, amount_cents=made.amount_cents) if card
                     else stars_invoice(user_id=user_id, stars=made.paid_amount))
        except (ValidationFailed, StaleAction):
            raise stale from None
        if fresh != made:
            raise stale
    get_user(user_id)
    return made
