"""Double-entry ledger: every movement is one LedgerTxn whose entries sum to zero and
whose idempotency key is unique, so a retried call never moves money twice."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from peewee import SQL, IntegrityError, Query, Select, ValuesList, fn

from core.db import db, insert_rows, is_sqlite, require_durable
from core.errors import InsufficientFunds
from core.models import Account, AccountKind, Entry, LedgerTxn
from core.outbox import OutboxEvent, announce, emit, track
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
         memo: str = "", fresh: frozenset[int] = frozenset(),
         event: tuple[str, int | None, dict] | None = None) -> bool:
    """Move money. Returns False (and moves nothing) if `key` was already posted.

    Must run inside the caller's transaction. Raises InsufficientFunds, leaving the
    caller to roll back, when any non-negative account would go below zero.
    `fresh`: ids of accounts opened in this transaction (open_escrows). No other transaction
    can lock them, so their credits go in one UPDATE per amount instead of one per account.
    `event`: (kind, user_id, payload) emitted (core.outbox) when, and only when, this posting is made."""
    require_durable()
    legs = [(acc, amount) for acc, amount in legs if amount != 0]
    if sum(amount for _, amount in legs) != 0:
        raise ValueError(f"ledger transaction {key!r} does not balance")
    credits: dict[int, int] = {}  # fresh account id -> its credit
    moves: list[tuple[int, int]] = []
    # A fixed order of row locks keeps two transfers between the same accounts deadlock-free.
    for acc, amount in sorted(legs, key=lambda leg: leg[0].id):
        if acc.kind in UNCACHED:
            continue
        if acc.id in fresh and amount > 0:
            credits[acc.id] = credits.get(acc.id, 0) + amount
        else:
            moves.append((acc.id, amount))
    if is_sqlite():
        # One statement, no savepoint: a key already posted inserts nothing (a concurrent call with
        # the same key makes this wait for its outcome, as the unique index did before).
        created = _NEW_TXN.execute(key=key, kind=kind, memo=memo[:500], now=now).fetchone()
        if created is None:
            return False
        txn_id = created[0]
    else:
        # PostgreSQL: the key's row, the first move, every entry and the event in one statement (one
        # round trip where there were four); the other moves follow in the same lock order.
        values = _posting_values(key, kind, memo, now, legs, moves[0] if moves else None, event)
        row = _posting(len(legs), bool(moves), event is not None).execute(**values).fetchone()
        if row is None:
            return False
        txn_id, moved, event_id = row
        if moves and moved != 1:
            raise InsufficientFunds()
        if event_id is not None:
            track(event_id)
        moves = moves[1:]
    for account_id, amount in moves:
        if _MOVE.rowcount(id=account_id, amount=amount) != 1:
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
    if is_sqlite():
        insert_rows(Entry, [{"txn": txn_id, "account": acc.id, "amount_cents": amount} for acc, amount in legs],
                    ids=False)
        if event is not None:
            emit(event[0], user_id=event[1], now=now, **event[2])
    return True


def _posting_values(key: str, kind: str, memo: str, now: datetime, legs: list[tuple[Account, int]],
                    move: tuple[int, int] | None, event: tuple[str, int | None, dict] | None) -> dict[str, object]:
    """The values of a _posting_query statement."""
    values: dict[str, object] = {"key": key, "kind": kind, "memo": memo[:500], "now": now}
    for i, (acc, amount) in enumerate(legs):
        values[f"account{i}"], values[f"amount{i}"] = acc.id, amount
    if move is not None:
        values["move_account"], values["move_amount"] = move
    if event is not None:
        values["event_kind"], values["event_user"], values["event_payload"] = event
    return values


def _posting(n_legs: int, move: bool, event: bool) -> Prepared:
    """PostgreSQL's one statement for a posting of `n_legs` legs (core.prepared, one per shape): the
    key's row (none if the key was posted before, and then nothing else happens), the lowest-id
    account's conditional move (the overdraft check), the entries, the event. Its one row: the
    transaction's id, how many accounts moved (0 or 1), the event's id."""
    shape = (n_legs, move, event)
    found = _POSTINGS.get(shape)
    if found is None:
        found = _POSTINGS[shape] = Prepared(lambda: _posting_query(*shape), planned=True)
    return found


_POSTINGS: dict[tuple[int, bool, bool], Prepared] = {}


def _posting_query(n_legs: int, move: bool, event: bool, guard: Query | None = None) -> Select:
    """`guard`: a data-modifying query with RETURNING; the posting is made only if it returned a row,
    and a move that would overdraw fails the whole statement (the accounts' CHECK constraint)."""
    ctes = []
    if guard is None:
        insert = LedgerTxn.insert(key=param("key"), kind=param("kind"), memo=param("memo"),
                                  created_at=param("now", LedgerTxn.created_at))
    else:
        guarded = guard.cte("guard")
        ctes.append(guarded)
        insert = LedgerTxn.insert_from(Select((guarded,), (param("key"), param("kind"), param("memo"),
                                                           param("now", LedgerTxn.created_at).cast("TIMESTAMP"))),
                                       fields=[LedgerTxn.key, LedgerTxn.kind, LedgerTxn.memo, LedgerTxn.created_at])
    txn = (insert.on_conflict(conflict_target=[LedgerTxn.key], action="NOTHING").returning(LedgerTxn.id)
           .cte("txn", columns=("id",)))
    made = fn.EXISTS(Select((txn,), (SQL("1"),)))
    ctes.append(txn)
    if n_legs:  # (a posting whose every amount is zero has no entries)
        # Planned (PREPARE): a value with no column to take its type from is cast to the column's.
        legs = ValuesList([(param(f"account{i}").cast("BIGINT"), param(f"amount{i}").cast("BIGINT"))
                           for i in range(n_legs)], columns=("account", "amount")).alias("legs")
        ctes.append(Entry.insert_from(Select((txn, legs), (txn.c.id, legs.c.account, legs.c.amount)),
                                      fields=[Entry.txn, Entry.account, Entry.amount_cents]).cte("entries"))
    moved = SQL("0")
    if move:
        amount = param("move_amount")
        where = (Account.id == param("move_account")) & made
        if guard is None:  # in a transaction, which the caller rolls back on InsufficientFunds
            where &= Account.allow_negative | (Account.balance_cents + amount >= 0)
        moving = (Account.update(balance_cents=Account.balance_cents + amount).where(where)
                  .returning(Account.id).cte("moved", columns=("id",)))
        ctes.append(moving)
        moved = Select((moving,), (fn.COUNT(SQL("*")),))
    event_id = SQL("NULL")
    if event:
        from_txn = Select((txn,), (param("event_kind"), param("event_user").cast("BIGINT"),
                                   param("event_payload", OutboxEvent.payload),
                                   param("now", OutboxEvent.created_at).cast("TIMESTAMP"), SQL("0")))
        emitted = (OutboxEvent.insert_from(from_txn, fields=[OutboxEvent.kind, OutboxEvent.user_id,
                                                             OutboxEvent.payload, OutboxEvent.created_at,
                                                             OutboxEvent.attempts])
                   .returning(OutboxEvent.id).cte("emitted", columns=("id",)))
        ctes.append(emitted)
        event_id = Select((emitted,), (emitted.c.id,))
    return Select((txn,), (txn.c.id, moved.alias("moved"), event_id.alias("event"))).with_cte(*ctes).bind(db.obj)


def posting_when(guard: Callable[[], Query], *, n_legs: int, event: bool) -> Prepared:
    """PostgreSQL: `guard` (a conditional UPDATE ... RETURNING, say) and a posting of `n_legs` legs, at
    most one of which moves a kept balance, in one statement run on its own: it commits whole or not at
    all, in one round trip where a transaction took three. Keep the result (one per guard); run it with
    post_when."""
    return Prepared(lambda: _posting_query(n_legs, True, event, guard()), planned=True)


def post_when(statement: Prepared, *, key: str, kind: str, legs: list[tuple[Account, int]], now: datetime,
              memo: str = "", event: tuple[str, int | None, dict] | None = None, **guard_values: object) -> bool:
    """Runs a posting_when statement (PostgreSQL): False if its guard changed nothing or the key was posted
    before (and then nothing at all changed). Raises InsufficientFunds when the move would overdraw."""
    require_durable()
    if sum(amount for _, amount in legs) != 0 or any(amount == 0 for _, amount in legs):
        raise ValueError(f"ledger transaction {key!r} does not balance or has an empty leg")
    moves = [(acc.id, amount) for acc, amount in legs if acc.kind not in UNCACHED]
    if len(moves) != 1:
        raise ValueError(f"ledger transaction {key!r}: post_when moves exactly one kept balance")
    values = _posting_values(key, kind, memo, now, legs, moves[0], event)
    try:
        row = statement.execute(**values, **guard_values).fetchone()
    except IntegrityError as exc:
        if getattr(getattr(exc, "orig", None), "pgcode", None) == _CHECK_VIOLATION:
            raise InsufficientFunds() from None
        raise
    if row is None:
        return False
    if row[1] != 1:  # cannot be: every leg's account is an entry's, so a missing one fails the statement (FK)
        raise RuntimeError(f"ledger transaction {key!r}: its move changed {row[1]} accounts")
    if row[2] is not None:
        announce(row[2])
    return True


_CHECK_VIOLATION = "23514"  # PostgreSQL's SQLSTATE: the accounts' CHECK (allow_negative OR balance_cents >= 0)
