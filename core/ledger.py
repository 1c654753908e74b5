"""Double-entry ledger: every movement is one LedgerTxn whose entries sum to zero and
whose idempotency key is unique, so a retried call never moves money twice."""
from __future__ import annotations

from datetime import datetime

from peewee import IntegrityError, fn

from core.db import db
from core.errors import InsufficientFunds
from core.models import Account, AccountKind, Entry, LedgerTxn


def _account(code: str, kind: str, *, user_id: int | None = None, hit_id: int | None = None,
             allow_negative: bool = False) -> Account:
    found = Account.get_or_none(Account.code == code)
    if found is not None:
        return found
    try:
        with db.atomic():  # a savepoint: a racing creator must not abort our transaction
            return Account.create(code=code, kind=kind, user=user_id, hit_id=hit_id,
                                  allow_negative=allow_negative)
    except IntegrityError:
        return Account.get(Account.code == code)


def available(user_id: int) -> Account:
    return _account(f"available:{user_id}", AccountKind.AVAILABLE, user_id=user_id)


def payout_pending(user_id: int) -> Account:
    return _account(f"payout:{user_id}", AccountKind.PAYOUT, user_id=user_id)


def escrow(hit_id: int) -> Account:
    return _account(f"escrow:{hit_id}", AccountKind.ESCROW, hit_id=hit_id)


def fees() -> Account:
    return _account("fees", AccountKind.FEES)


def world() -> Account:
    return _account("world", AccountKind.WORLD, allow_negative=True)


# The platform's own accounts take a leg of every approval, top-up and payout. Keeping a
# balance column on them would make every posting wait for the same row lock; they need no
# overdraft check (fees only receive, world may go negative), so their balance is the sum of
# their entries instead.
UNCACHED = frozenset({AccountKind.FEES, AccountKind.WORLD})


def balance(account: Account) -> int:
    if account.kind in UNCACHED:
        return (Entry.select(fn.COALESCE(fn.SUM(Entry.amount_cents), 0))
                .where(Entry.account == account.id).scalar())
    return Account.select(Account.balance_cents).where(Account.id == account.id).scalar() or 0


def post(*, key: str, kind: str, legs: list[tuple[Account, int]], now: datetime,
         memo: str = "") -> bool:
    """Move money. Returns False (and moves nothing) if `key` was already posted.

    Must run inside the caller's transaction. Raises InsufficientFunds, leaving the
    caller to roll back, when any non-negative account would go below zero."""
    legs = [(acc, amount) for acc, amount in legs if amount != 0]
    if sum(amount for _, amount in legs) != 0:
        raise ValueError(f"ledger transaction {key!r} does not balance")
    if LedgerTxn.select().where(LedgerTxn.key == key).exists():
        return False
    try:
        with db.atomic():
            txn = LedgerTxn.create(key=key, kind=kind, memo=memo[:500], created_at=now)
    except IntegrityError:
        return False  # a concurrent call with the same key won
    # A fixed order of row locks keeps two transfers between the same accounts deadlock-free.
    for acc, amount in sorted(legs, key=lambda leg: leg[0].id):
        if acc.kind in UNCACHED:
            continue
        changed = (
            Account.update(balance_cents=Account.balance_cents + amount)
            .where((Account.id == acc.id)
                   & (Account.allow_negative | (Account.balance_cents + amount >= 0)))
            .execute()
        )
        if changed != 1:
            raise InsufficientFunds()
    Entry.insert_many(
        [{"txn": txn.id, "account": acc.id, "amount_cents": amount} for acc, amount in legs]
    ).execute()
    return True
