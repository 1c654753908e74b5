"""Payout upkeep: auto-withdraw standing orders and finding payouts that need another try.

The payout state machine itself (withdraw, start/settle/fail) lives in core.payments.accounts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from core import ledger
from core.config import get_settings
from core.db import tx
from core.errors import NotFound, PayoutOnHold, PayoutTooSmall, StaleAction, TaxDetailsRequired, ValidationFailed
from core.models import Account, AccountKind, AutoWithdraw, Entry, Payout, PayoutStatus as P
from core.payments import tax, topups
from core.payments.accounts import withdraw
from core.texts import N_, Amount
from core.users.commands import get_user


def max_threshold_cents() -> int:
    return 100 * get_settings().max_reward_cents


def set_auto_withdraw(*, user_id: int, threshold_cents: int | None, now: datetime) -> AutoWithdraw | None:
    """Turn auto-withdraw on at `threshold_cents`, or off with None/0. Returns the order (None when off)."""
    settings = get_settings()
    with tx():
        get_user(user_id)
        if not threshold_cents:
            AutoWithdraw.delete().where(AutoWithdraw.user == user_id).execute()
            return None
        low, high = settings.min_payout_cents, max_threshold_cents()
        if not low <= threshold_cents <= high:
            raise ValidationFailed(N_("Choose a threshold from {low} to {high}, or 0 to turn auto-withdraw off."),
                                   low=Amount(low, settings.currency), high=Amount(high, settings.currency))
        AutoWithdraw.insert(user=user_id, threshold_cents=threshold_cents, updated_at=now).on_conflict(
            conflict_target=[AutoWithdraw.user],
            update={AutoWithdraw.threshold_cents: threshold_cents, AutoWithdraw.updated_at: now}).execute()
        return AutoWithdraw.get_by_id(user_id)


def auto_withdraw_threshold(*, user_id: int) -> int | None:
    order = AutoWithdraw.get_or_none(AutoWithdraw.user == user_id)
    return order.threshold_cents if order else None


def maybe_auto_withdraw(*, user_id: int, now: datetime) -> Payout | None:
    """If the worker's available balance has reached their threshold, withdraw all of it.

    The idempotency key is the newest movement of the balance, so two callers that see the same
    balance (a credit hook and the clock, or a retried job) make one payout, not two."""
    order = AutoWithdraw.get_or_none(AutoWithdraw.user == user_id)
    if order is None:
        return None
    avail = ledger.available(user_id)
    if topups.withdrawable_cents(user_id=user_id) < order.threshold_cents:
        return None  # not there yet, or the rest is top-ups (never withdrawn)
    last_entry = Entry.select(fn.MAX(Entry.id)).where(Entry.account == avail.id).scalar() or 0
    try:
        return withdraw(worker_id=user_id, now=now, key=f"auto:{user_id}:{last_entry}")
    except (StaleAction, PayoutTooSmall, ValidationFailed):
        return None  # already done for this balance, or a manual withdrawal got there first
    except (NotFound, PayoutOnHold):
        return None  # no destination yet, or a new one on hold: the clock's sweep tries again later
    except TaxDetailsRequired:
        tax.ask_for_tax_details(worker_id=user_id, paid_cents=tax.paid_in_year(user_id=user_id, year=now.year),
                                now=now)
        return None  # until the worker gives them


@dataclass(frozen=True)
class SweepResult:
    checked: int
    payout_ids: list[int]
    next_after_user_id: int = 0  # where the next run starts (0: from the beginning again)


def auto_withdraw_sweep(*, now: datetime, limit: int | None = None, after_user_id: int = 0) -> SweepResult:
    """For the clock: workers whose balance reached their threshold, in user order after
    `after_user_id` (bounded). Some stay due without being payable (the balance is top-ups, no
    destination yet, a hold, tax details missing), so a run that filled its batch says where the
    next one goes on; otherwise those first in order would take every run and starve the rest."""
    limit = limit or get_settings().sweep_batch
    due = (AutoWithdraw.select(AutoWithdraw.user)
           .join(Account, on=((Account.user == AutoWithdraw.user) & (Account.kind == AccountKind.AVAILABLE)))
           .where((Account.balance_cents >= AutoWithdraw.threshold_cents) & (AutoWithdraw.user > after_user_id))
           .order_by(AutoWithdraw.user).limit(limit).tuples())
    user_ids = [user_id for (user_id,) in due]
    made = [maybe_auto_withdraw(user_id=user_id, now=now) for user_id in user_ids]
    return SweepResult(len(user_ids), [p.id for p in made if p is not None],
                       user_ids[-1] if len(user_ids) == limit else 0)


class AutoWithdrawRounds:
    """The clock's auto-withdraw sweep: each run goes on where the last one stopped, so every due
    worker is checked within ceil(due / limit) runs. The place is only this process's; a new clock
    leader starts from the beginning, which costs one round, not correctness."""

    def __init__(self, *, limit: int | None = None) -> None:
        self.limit = limit
        self.after_user_id = 0

    def __call__(self, now: datetime) -> int:
        result = auto_withdraw_sweep(now=now, limit=self.limit, after_user_id=self.after_user_id)
        self.after_user_id = result.next_after_user_id
        return len(result.payout_ids)


def stuck_payouts(*, now: datetime, requested_s: int, processing_s: int, limit: int) -> list[int]:
    """Payouts nobody is visibly working on: requested but not started for `requested_s`
    (the enqueue was lost), or processing without news for `processing_s` (a worker died,
    or an async confirmation never came). Oldest first."""
    query = (Payout.select(Payout.id)
             .where(((Payout.status == P.REQUESTED) & (Payout.updated_at <= now - timedelta(seconds=requested_s)))
                    | ((Payout.status == P.PROCESSING)
                       & (Payout.updated_at <= now - timedelta(seconds=processing_s))))
             .order_by(Payout.updated_at, Payout.id).limit(limit).tuples())
    return [payout_id for (payout_id,) in query]
