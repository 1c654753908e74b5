"""Double-entry ledger: every movement is one LedgerTxn whose entries sum to zero and
whose idempotency key is unique, so a retried call never moves money twice."""
from __future__ import annotations

from datetime import datetime

from peewee import SQL, IntegrityError, fn

from core.db import db, insert_rows, require_durable
from core.errors import InsufficientFunds
from core.models import Account, AccountKind, Entry, LedgerTxn
from core.prepared import Prepared, param


# Every posting looks up its accounts by code: compiled once (core.prepared), not per call.
_BY_CODE = Prepared(lambda: Account.select().where(Account.code == param("code")))
_BY_CODES = Prepared(lambda: Account.select().where(Account.code.in_([param("a"), param("b")])))


def _account(code: str, kind: str, *, user_id: int | None = None, hit_id: int | None = None,
             allow_negative: bool = False) -> Account:
    found = _BY_CODE.first(code=code)
    if found is not None:
        return found
    return _create(code, kind, user_id=user_id, hit_id=hit_id, allow_negative=allow_negative)


def _create(code: str, kind: str, *, user_id: int | None = None, hit_id: int | None = None,
            allow_negative: bool = False) -> Account:
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


def payout_and_world(user_id: int, payout_id: int | None = None,
                     world_id: int | None = None) -> tuple[Account, Account]:
    """The worker's payout account and the world account (a settled payout's two legs): from their
    ids when the caller read them already, else in one statement."""
    if payout_id is not None and world_id is not None:
        return (Account(id=payout_id, code=f"payout:{user_id}", kind=AccountKind.PAYOUT, user=user_id),
                Account(id=world_id, code="world", kind=AccountKind.WORLD, allow_negative=True))
    code = f"payout:{user_id}"
    found = {acc.code: acc for acc in _BY_CODES.rows(a=code, b="world")}
    return (found.get(code) or _create(code, AccountKind.PAYOUT, user_id=user_id),
            found.get("world") or _create("world", AccountKind.WORLD, allow_negative=True))


def escrow(hit_id: int) -> Account:
    return _account(f"escrow:{hit_id}", AccountKind.ESCROW, hit_id=hit_id)


def open_escrows(hit_ids: list[int]) -> list[Account]:
    """The escrow accounts of HITs made in this transaction (none has one yet), in one
    statement; in `hit_ids` order. A batch's thousands of HITs need not open them one by one."""
    rows = [{"code": f"escrow:{h}", "kind": AccountKind.ESCROW, "hit_id": h} for h in hit_ids]
    return [Account(id=i, code=row["code"], kind=AccountKind.ESCROW, hit_id=row["hit_id"], balance_cents=0,
                    allow_negative=False) for i, row in zip(insert_rows(Account, rows), rows)]


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


# One leg's move, compiled once (core.prepared): the conditional update is the overdraft check.
_MOVE = Prepared(lambda: Account.update(balance_cents=Account.balance_cents + param("amount")).where(
    (Account.id == param("id")) & (Account.allow_negative | (Account.balance_cents + param("amount") >= 0))),
    planned=True)

_NEW_TXN = Prepared(lambda: LedgerTxn.insert(key=param("key"), kind=param("kind"), memo=param("memo"),
                                            created_at=param("now", LedgerTxn.created_at))
                    .on_conflict(conflict_target=[LedgerTxn.key], action="NOTHING").returning(LedgerTxn.id),
                    planned=True)

_IN_CHUNK = 1000  # ids per UPDATE ... WHERE id IN (...): well under SQLite's bound parameters


def post(*, key: str, kind: str, legs: list[tuple[Account, int]], now: datetime,
         memo: str = "", fresh: frozenset[int] = frozenset()) -> bool:
    """Move money. Returns False (and moves nothing) if `key` was already posted.

    Must run inside the caller's transaction. Raises InsufficientFunds, leaving the
    caller to roll back, when any non-negative account would go below zero.
    `fresh`: ids of accounts opened in this transaction (open_escrows). No other transaction
    can lock them, so their credits go in one UPDATE per amount instead of one per account."""
    require_durable()
    legs = [(acc, amount) for acc, amount in legs if amount != 0]
    if sum(amount for _, amount in legs) != 0:
        raise ValueError(f"ledger transaction {key!r} does not balance")
    # One statement, no savepoint: a key already posted inserts nothing (a concurrent call with
    # the same key makes this wait for its outcome, as the unique index did before).
    created = _NEW_TXN.execute(key=key, kind=kind, memo=memo[:500], now=now).fetchone()
    if created is None:
        return False
    txn_id = created[0]
    credits: dict[int, int] = {}  # fresh account id -> its credit
    # A fixed order of row locks keeps two transfers between the same accounts deadlock-free.
    for acc, amount in sorted(legs, key=lambda leg: leg[0].id):
        if acc.kind in UNCACHED:
            continue
        if acc.id in fresh and amount > 0:
            credits[acc.id] = credits.get(acc.id, 0) + amount
            continue
        if _MOVE.rowcount(id=acc.id, amount=amount) != 1:
            raise InsufficientFunds()
    bulk: dict[int, list[int]] = {}
    for account_id, amount in credits.items():
        bulk.setdefault(amount, []).append(account_id)
    for amount, ids in bulk.items():
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start:start + _IN_CHUNK]
            ids_sql = SQL("(" + ", ".join([db.obj.param] * len(chunk)) + ")", chunk)  # not compiled id by id
            changed = (Account.update(balance_cents=Account.balance_cents + amount)
                       .where(Account.id.in_(ids_sql)).execute())
            if changed != len(chunk):
                raise ValueError(f"ledger transaction {key!r}: {len(chunk) - changed} fresh accounts not found")
    insert_rows(Entry, [{"txn": txn_id, "account": acc.id, "amount_cents": amount} for acc, amount in legs],
                ids=False)
    return True
