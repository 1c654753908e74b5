"""Balances, statements, withdrawals and top-ups."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import IntegrityError, Value, fn

from core import ledger
from core.config import get_settings
from core.db import db, is_sqlite, tx
from core.errors import NotAllowed, NotFound, PayoutOnHold, PayoutTooSmall, StaleAction, ValidationFailed
from core.models import (
    Account,
    AccountKind,
    Assignment,
    AssignmentStatus as S,
    Bonus,
    Entry,
    Hit,
    LedgerTxn,
    Payout,
    PayoutStatus as P,
    TopUpSource,
)
from core.outbox import emit
from core.payments import destinations, rules, tax, topups
from core.prepared import Prepared, param
from core.texts import N_, Amount
from core.users.commands import get_user

MAX_REASON = 500


@dataclass(frozen=True)
class Balances:
    available_cents: int
    pending_review_cents: int  # worker: rewards of submitted work awaiting review
    payout_pending_cents: int
    paid_out_cents: int
    earned_cents: int  # worker: lifetime rewards and bonuses
    escrow_cents: int  # requester: reserved for open work
    spent_cents: int  # requester: rewards, bonuses and fees paid
    fees_cents: int  # requester: of which fees
    prepaid_cents: int = 0  # of the available balance, top-ups not yet spent: never withdrawn

    @property
    def withdrawable_cents(self) -> int:
        return self.available_cents - self.prepaid_cents


def _sum_entries(account_id: int | None, kinds: tuple[str, ...], sign: int) -> int:
    if account_id is None:
        return 0
    query = (Entry.select(fn.COALESCE(fn.SUM(Entry.amount_cents), 0)).join(LedgerTxn)
             .where((Entry.account == account_id) & LedgerTxn.kind.in_(kinds)
                    & ((Entry.amount_cents > 0) if sign > 0 else (Entry.amount_cents < 0))))
    return abs(query.scalar() or 0)


def balances(*, user_id: int) -> Balances:
    get_user(user_id)
    avail = ledger.available(user_id)
    payout = Account.get_or_none(Account.code == f"payout:{user_id}")
    pending_review = (Hit.select(fn.COALESCE(fn.SUM(Hit.reward_cents), 0)).join(Assignment)
                      .where((Assignment.worker == user_id) & Assignment.status.in_((S.SUBMITTED, S.REVISING))).scalar() or 0)
    escrow = (Account.select(fn.COALESCE(fn.SUM(Account.balance_cents), 0))
              .join(Hit, on=(Account.hit_id == Hit.id))
              .where((Account.kind == AccountKind.ESCROW) & (Hit.requester == user_id)).scalar() or 0)
    paid = Payout.select(fn.COALESCE(fn.SUM(Payout.amount_cents), 0)).where(
        (Payout.worker == user_id) & (Payout.status == P.PAID)).scalar() or 0
    # What the requester's escrow paid out: rewards (to workers) and fees, by approval.
    approved = (Hit.select(fn.COALESCE(fn.SUM(Hit.reward_cents), 0), fn.COALESCE(fn.SUM(Hit.fee_cents), 0))
                .join(Assignment).where((Hit.requester == user_id) & (Assignment.status == S.APPROVED)).tuples().first())
    bonus_out = _sum_entries(avail.id, ("bonus",), -1)
    bonus_fees = (Bonus.select(fn.COALESCE(fn.SUM(Bonus.fee_cents), 0)).join(Assignment).join(Hit)
                  .where(Hit.requester == user_id).scalar() or 0)
    return Balances(
        available_cents=ledger.balance(avail),
        pending_review_cents=int(pending_review),
        payout_pending_cents=ledger.balance(payout) if payout else 0,
        paid_out_cents=int(paid),
        earned_cents=_sum_entries(avail.id, ("approve", "bonus"), +1),
        escrow_cents=int(escrow),
        spent_cents=int(approved[0]) + int(approved[1]) + bonus_out,
        fees_cents=int(approved[1]) + int(bonus_fees),
        prepaid_cents=topups.prepaid_cents(user_id=user_id),
    )


@dataclass(frozen=True)
class StatementLine:
    created_at: datetime
    kind: str
    memo: str
    amount_cents: int


def statement(*, user_id: int, limit: int = 20, before_id: int | None = None) -> list[StatementLine]:
    """Movements of the user's available balance, newest first."""
    avail = ledger.available(user_id)
    query = (Entry.select(Entry, LedgerTxn).join(LedgerTxn).where(Entry.account == avail.id)
             .order_by(Entry.id.desc()).limit(max(1, min(limit, 100))))
    if before_id:
        query = query.where(Entry.id < before_id)
    return [StatementLine(e.txn.created_at, e.txn.kind, e.txn.memo, e.amount_cents) for e in query]


def earnings_by_day(*, user_id: int, days: int, now: datetime) -> list[tuple[date, int]]:
    """Rewards and bonuses credited per day for the last `days` days (for the chart)."""
    days = max(1, min(days, 366))
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    avail = ledger.available(user_id)
    totals: dict[date, int] = {}
    for entry in (Entry.select(Entry.amount_cents, LedgerTxn.created_at).join(LedgerTxn)
                  .where((Entry.account == avail.id) & (Entry.amount_cents > 0)
                         & LedgerTxn.kind.in_(("approve", "bonus")) & (LedgerTxn.created_at >= start))):
        day = entry.txn.created_at.date()
        totals[day] = totals.get(day, 0) + entry.amount_cents
    return [((start + timedelta(days=i)).date(), totals.get((start + timedelta(days=i)).date(), 0))
            for i in range(days)]


def withdraw(*, worker_id: int, now: datetime, key: str, amount_cents: int | None = None,
             destination_id: int | None = None) -> Payout:
    """Move available money into a pending payout; the jobs worker pays it out.

    With payout methods enabled (HITBOT_PAYOUT_METHODS) it goes to `destination_id` or the
    worker's default destination, with that method's minimum and fee: the fee moves to the
    platform now, the rest is what the provider sends. Refused while a new destination is on hold."""
    settings = get_settings()
    with tx():
        get_user(worker_id)
        if Payout.select().where(Payout.key == f"payout:{key}").exists():
            raise StaleAction(N_("This withdrawal was already requested."))
        quote = withdrawal_quote(worker_id=worker_id, now=now, destination_id=destination_id,
                                 amount_cents=amount_cents)
        have = quote.available_cents
        amount = have if amount_cents is None else amount_cents
        prepaid = ledger.balance(ledger.available(worker_id)) > have  # topped-up money can't be withdrawn
        money = {"minimum": Amount(quote.minimum_cents, settings.currency), "have": Amount(have, settings.currency)}
        if amount < quote.minimum_cents or have < quote.minimum_cents:
            raise PayoutTooSmall(N_("The minimum payout is {minimum}; you have {have} available (money you topped up "
                                    "can be spent on HITs or refunded, not withdrawn).") if prepaid
                                 else N_("The minimum payout is {minimum}; you have {have} available."), **money)
        if amount > have:
            raise ValidationFailed(N_("You can withdraw at most {have} (money you topped up can be spent on HITs or "
                                      "refunded, not withdrawn).") if prepaid
                                   else N_("You can withdraw at most {have}."), have=money["have"])
        if amount <= quote.fee_cents:
            raise PayoutTooSmall(N_("The fee is {fee}; withdraw more than that."),
                                 fee=Amount(quote.fee_cents, settings.currency))
        tax.check_tax_gate(worker_id=worker_id, amount_cents=amount, now=now, ask=True)
        net = amount - quote.fee_cents
        dest = quote.destination
        try:
            with db.atomic():
                payout = Payout.create(worker=worker_id, amount_cents=net, key=f"payout:{key}",
                                       created_at=now, updated_at=now, fee_cents=quote.fee_cents,
                                       method=dest.method if dest else None, destination_id=dest.id if dest else None,
                                       destination_masked=dest.masked if dest else None)
        except IntegrityError:
            raise StaleAction(N_("This withdrawal was already requested.")) from None
        ledger.post(key=f"withdraw:{payout.id}", kind="withdraw",
                    legs=[(ledger.available(worker_id), -amount), (ledger.payout_pending(worker_id), net),
                          (ledger.fees(), quote.fee_cents)],
                    now=now, memo=f"payout {payout.id}" + (f" to {dest.masked}" if dest else ""))
        named = {"fee_cents": quote.fee_cents, "method": dest.method, "masked": dest.masked} if dest else {}
        emit("payout.requested", user_id=worker_id, now=now, payout_id=payout.id, amount_cents=net, **named)
        return payout


@dataclass(frozen=True)
class WithdrawalQuote:
    """What a withdrawal would be, for the confirmation (fee shown before Confirm)."""

    available_cents: int
    minimum_cents: int
    fee_cents: int
    destination: destinations.Destination | None  # None: no payout methods enabled (the provider decides)

    @property
    def net_cents(self) -> int:
        return max(0, self.available_cents - self.fee_cents)


def withdrawal_quote(*, worker_id: int, now: datetime, destination_id: int | None = None,
                     amount_cents: int | None = None) -> WithdrawalQuote:
    """Raises NotFound (no destination yet), PayoutOnHold (a new destination is on hold) or
    TaxDetailsRequired (the year's payouts would pass HITBOT_TAX_THRESHOLD_CENTS without them)."""
    settings = get_settings()
    have = topups.withdrawable_cents(user_id=worker_id)  # earnings and credits; never top-ups
    tax.check_tax_gate(worker_id=worker_id, amount_cents=have if amount_cents is None else amount_cents, now=now)
    if not settings.payout_methods:
        return WithdrawalQuote(have, settings.min_payout_cents, 0, None)
    if have < settings.min_payout_cents and ledger.balance(ledger.available(worker_id)) > have:
        # Only top-ups left: say so before asking for a destination it could never go to.
        raise PayoutTooSmall(N_("The minimum payout is {minimum}; you have {have} available (money you topped up "
                                "can be spent on HITs or refunded, not withdrawn)."),
                             minimum=Amount(settings.min_payout_cents, settings.currency),
                             have=Amount(have, settings.currency))
    dest = destinations.pick(user_id=worker_id, destination_id=destination_id)
    if dest.method not in rules.offered_methods(settings):
        raise ValidationFailed(N_("Payouts by that method are no longer offered; choose another in /payout."))
    until = destinations.hold_until(user_id=worker_id, now=now)
    if until is not None:
        raise PayoutOnHold(N_("Payouts are on hold until {until} because a payout destination was added. If it "
                              "was you, confirm it from the notice to lift the hold now."), until=until)
    return WithdrawalQuote(have, rules.minimum_cents(settings, dest.method), rules.fee_cents(settings, dest.method),
                           dest)


def warn_if_low(*, user_id: int, spent_cents: int, now: datetime) -> None:
    """Inside the spending transaction: tell a requester once when this spend took their
    balance below HITBOT_LOW_BALANCE_CENTS (again only after it has been above it)."""
    threshold = get_settings().low_balance_cents
    after = ledger.balance(ledger.available(user_id))
    if threshold and after < threshold <= after + spent_cents:
        emit("balance.low", user_id=user_id, now=now, available_cents=after, threshold_cents=threshold)


def recent_payouts(*, worker_id: int, limit: int = 5) -> list[Payout]:
    """The worker's latest payouts, open ones first (for /withdraw)."""
    rows = list(Payout.select().where(Payout.worker == worker_id).order_by(Payout.id.desc()).limit(max(1, min(limit, 50))))
    return sorted(rows, key=lambda p: (p.status not in P.OPEN, -p.id))


def start_payout(*, payout_id: int, now: datetime) -> Payout | None:
    """requested -> processing, once. None if another worker already has it."""
    # One statement, its own transaction (autocommit): the conditional update hands the row back.
    # Not durable (core.prepared): a server crash that loses it leaves the payout requested, and
    # the re-run asks the provider again with the same idempotency key (the same payment). The
    # money moves only in settle_payout / fail_payout, whose commits wait for the disk.
    return _START.first(id=payout_id, now=now)


def _open_payout_update(**changes: object):
    """UPDATE an open payout (requested or processing) by id, returning the row as it now is."""
    return (Payout.update(updated_at=param("now", Payout.updated_at), **changes)
            .where((Payout.id == param("id")) & (Payout.status.in_(P.OPEN))).returning(Payout))


def _with_accounts(query):
    """The payout's row and the ids of its two accounts (the worker's payout account, the world's)."""
    return query.returning(
        Payout, Account.select(Account.id).where(Account.code == Value("payout:").concat(Payout.worker.cast("TEXT")))
        .alias("pending_account_id"),
        Account.select(Account.id).where(Account.code == "world").alias("world_account_id"))


# The payout actor's hot statements, compiled once (core.prepared). Starting hands back the ids of the
# accounts settling moves money between (no lookup statement of their own).
_START = Prepared(lambda: _with_accounts(_open_payout_update(status=P.PROCESSING, attempts=Payout.attempts + 1)),
                  durable=False, planned=True)
def _paying():
    return _open_payout_update(status=P.PAID, provider_ref=param("provider_ref"))


_PAID = Prepared(lambda: _with_accounts(_paying()), planned=True)
# PostgreSQL: closing a started payout and its posting in one statement of its own (core.ledger.posting_when).
_SETTLE = ledger.posting_when(lambda: _paying().returning(Payout.id), n_legs=2, event=True)
_FAILED = Prepared(lambda: _open_payout_update(status=P.FAILED, failure_reason=param("failure_reason")), planned=True)


def _close(payout_id: int, now: datetime, **change: str) -> Payout | None:
    """An open payout -> paid (`provider_ref=`) or failed (`failure_reason=`), the row as it now
    is; None if it was already closed. Raises NotFound for no such payout."""
    closed = (_PAID if "provider_ref" in change else _FAILED).first(id=payout_id, now=now, **change)
    if closed is not None:
        return closed
    if not Payout.select().where(Payout.id == payout_id).exists():
        raise NotFound()
    return None


def settle_payout(*, payout_id: int, now: datetime, provider_ref: str, started: Payout | None = None) -> bool:
    """The provider paid: the money leaves hitbot. False if it was already settled. `started`: the row
    start_payout returned (its amount and accounts), which lets PostgreSQL settle in one statement."""
    if (started is not None and None not in (started.pending_account_id, started.world_account_id)
            and not is_sqlite() and db.transaction_depth() == 0):
        return ledger.post_when(_SETTLE, **_paid_posting(started, now), id=payout_id,
                                provider_ref=provider_ref[:128])
    with tx():
        payout = _close(payout_id, now, provider_ref=provider_ref[:128])
        if payout is None:
            return False
        ledger.post(**_paid_posting(payout, now))
        return True


def _paid_posting(payout: Payout, now: datetime) -> dict:
    """A paid payout's posting (its money leaves for the world) and event, as ledger.post's arguments."""
    pending, world = ledger.payout_and_world(payout.worker_id, payout.pending_account_id, payout.world_account_id)
    return dict(key=f"paid:{payout.id}", kind="payout", now=now, memo=f"payout {payout.id} sent",
                legs=[(pending, -payout.amount_cents), (world, payout.amount_cents)],
                event=("payout.paid", payout.worker_id, {"payout_id": payout.id, "amount_cents": payout.amount_cents}))


def fail_payout(*, payout_id: int, now: datetime, reason: str) -> bool:
    """The payout can't be made: the money goes back to the worker's available balance."""
    with tx():
        payout = _close(payout_id, now, failure_reason=reason[:500])
        if payout is None:
            return False
        ledger.post(key=f"payout-failed:{payout_id}", kind="refund",  # the fee comes back too
                    legs=[(ledger.payout_pending(payout.worker_id), -payout.amount_cents),
                          (ledger.fees(), -payout.fee_cents),
                          (ledger.available(payout.worker_id), payout.amount_cents + payout.fee_cents)],
                    now=now, memo=f"payout {payout_id} failed",
                    event=("payout.failed", payout.worker_id, {"payout_id": payout_id, "amount_cents":
                                                               payout.amount_cents + payout.fee_cents,
                                                               "reason": reason[:500]}))
        return True


def credit(*, admin_id: int, user_id: int, amount_cents: int, reason: str, now: datetime, key: str) -> bool:
    """An admin adds money to a user's balance (a manual top-up). False if `key` was used."""
    settings = get_settings()
    if admin_id not in settings.admins:
        raise NotAllowed(N_("Only admins can do that."))
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(N_("A reason of 1 to {max} characters is required."), max=MAX_REASON)
    if not 1 <= amount_cents <= 100 * settings.max_reward_cents:
        raise ValidationFailed(N_("That amount is out of range."))
    with tx():
        get_user(user_id)
        return ledger.post(key=f"credit:{key}", kind="topup",
                           legs=[(ledger.world(), -amount_cents), (ledger.available(user_id), amount_cents)],
                           now=now, memo=f"credit by admin {admin_id}: {reason}",
                           event=("balance.credited", user_id, {"amount_cents": amount_cents, "reason": reason}))


def topup(*, user_id: int, amount_cents: int, charge_id: str, now: datetime, source: str = TopUpSource.CARD,
          paid_amount: int | None = None, paid_currency: str | None = None) -> bool:
    """A payment arrived (Telegram Payments by card, or Stars); credited exactly once per charge id,
    and remembered as prepaid money: spendable and refundable, not withdrawable."""
    if not charge_id or len(charge_id) > 128:
        raise ValidationFailed(N_("Missing payment reference."))
    if amount_cents <= 0:
        raise ValidationFailed(N_("That amount is out of range."))
    with tx():
        get_user(user_id)
        moved = ledger.post(key=f"topup:{charge_id}", kind="topup",
                            legs=[(ledger.world(), -amount_cents), (ledger.available(user_id), amount_cents)],
                            now=now, memo="top-up" if source == TopUpSource.CARD else f"top-up ({source})")
        if moved:
            topups.record(user_id=user_id, charge_id=charge_id, source=source, amount_cents=amount_cents,
                          paid_amount=amount_cents if paid_amount is None else paid_amount,
                          paid_currency=paid_currency or get_settings().currency, now=now)
        if moved:
            emit("balance.credited", user_id=user_id, now=now, amount_cents=amount_cents, reason="top-up")
        return moved


@dataclass(frozen=True)
class Credited:
    added: bool  # False: this charge was already credited
    invoice: topups.Invoice
    available_cents: int


def credit_payment(*, user_id: int, payload: str, currency: str, total: int, charge_id: str,
                   now: datetime) -> Credited:
    """A successful payment: credited once per Telegram charge id, at the invoice's amount."""
    invoice = topups.check_invoice(user_id=user_id, payload=payload, currency=currency, total=total, strict=False)
    added = topup(user_id=user_id, amount_cents=invoice.amount_cents, charge_id=charge_id, now=now,
                  source=invoice.source, paid_amount=invoice.paid_amount, paid_currency=invoice.currency)
    return Credited(added, invoice, ledger.balance(ledger.available(user_id)))
