"""A big batch is written with bulk inserts (issue 21): every HIT still gets its own row's
title, price, questions, control answers, requirements and escrow, the escrow is one ledger
transaction, the progress callback advances, a refusal leaves nothing, and the statements
do not grow with the rows."""
from __future__ import annotations

import pytest
from peewee import fn

from core import ledger
from core.db import db
from core.errors import InsufficientFunds, StaleAction
from core.hits import publishing
from core.models import (
    Account,
    AccountKind,
    Entry,
    Hit,
    HitRequirement,
    LedgerTxn,
    OutboxEvent,
    QualificationType,
    Question,
)
from core.money import fee_for
from tests import factories as f
from tests.dbstate import unchanged
from tests.invariants import check_invariants

pytestmark = pytest.mark.usefixtures("database")

ROWS = 1_200
TEMPLATE = f.spec(title="Label ${name}", reward="${price}", assignments=2,
                  qualifications=[{"name": "approval_rate", "comparator": ">=", "value": 90},
                                  {"name": "Bird expert", "comparator": ">=", "value": 50, "guard": "discover"}])


def rows(n: int = ROWS) -> list[dict[str, str]]:
    # Prices differ from row to row, so a HIT matched to the wrong row's escrow shows.
    return [{"name": f"n{i}", "price": f"0.{10 + i % 37:02d}", "_gold_animal": "dog" if i % 5 == 0 else ""}
            for i in range(n)]


def unit_cents(i: int) -> int:
    reward = 10 + i % 37
    return 2 * (reward + fee_for(reward, 20))


def count_statements(fn_, *args, **kwargs):
    n = 0
    original = db.obj.execute_sql

    def counted(*a, **k):
        nonlocal n
        n += 1
        return original(*a, **k)

    db.obj.execute_sql = counted
    try:
        return fn_(*args, **kwargs), n
    finally:
        vars(db.obj).pop("execute_sql", None)


def test_a_bulk_batch_gives_every_hit_its_own_row_questions_requirements_and_escrow(now):
    total = sum(unit_cents(i) for i in range(ROWS))
    r = f.requester(total + 5_00)
    bird = QualificationType.create(owner=r.id, name="Bird expert", created_at=now)
    seen: list[tuple[int, int]] = []
    batch, statements = count_statements(
        publishing.publish_batch, requester_id=r.id, title="birds", template=TEMPLATE, rows=rows(), now=now,
        key="bulk-1", progress=lambda done, n: seen.append((done, n)))

    hits = list(Hit.select().where(Hit.batch == batch.id).order_by(Hit.id))
    assert [h.title for h in hits] == [f"Label n{i}" for i in range(ROWS)]
    assert [h.batch_row for h in hits] == [{"name": f"n{i}", "price": f"0.{10 + i % 37:02d}"} for i in range(ROWS)]
    assert [h.reward_cents for h in hits] == [10 + i % 37 for i in range(ROWS)]
    assert all(h.has_requirements and h.available == 2 and h.status == "open" for h in hits)
    # Escrow: each HIT holds exactly its own row's cost, all moved by one ledger transaction.
    escrows = dict(Account.select(Account.hit_id, Account.balance_cents)
                   .where(Account.kind == AccountKind.ESCROW).tuples())
    assert [escrows[h.id] for h in hits] == [unit_cents(i) for i in range(ROWS)]
    assert f.available(r.id) == 5_00
    (txn,) = LedgerTxn.select().where(LedgerTxn.kind == "publish")
    assert txn.key == "batch:bulk-1" and Entry.select().where(Entry.txn == txn.id).count() == ROWS + 1
    # Questions in order, with the row's control answer; both requirements on every HIT.
    questions = list(Question.select(Question.hit, Question.key, Question.gold).order_by(Question.hit, Question.position)
                     .tuples())
    assert len(questions) == 2 * ROWS
    assert [(key, gold) for hit_id, key, gold in questions if hit_id == hits[5].id] == [("animal", "dog"),
                                                                                      ("notes", None)]
    assert [(key, gold) for hit_id, key, gold in questions if hit_id == hits[6].id] == [("animal", None),
                                                                                      ("notes", None)]
    reqs = (HitRequirement.select(HitRequirement.hit, fn.COUNT(HitRequirement.id))
            .where(HitRequirement.qtype == bird.id).group_by(HitRequirement.hit).tuples())
    assert {hit_id for hit_id, n in reqs if n == 1} == {h.id for h in hits}
    assert HitRequirement.select().count() == 2 * ROWS
    # The progress bar moves: ten steps or more, in order, ending at the last row.
    assert len(seen) >= 10 and [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1] == (ROWS, ROWS)
    (event,) = OutboxEvent.select().where(OutboxEvent.kind == "hits.published")
    assert event.payload["hit_ids"] == [h.id for h in hits]
    # Bulk: a few statements per chunk of rows, not several per row (it was 7 a row).
    assert statements < 100, statements
    check_invariants()


def test_statements_do_not_grow_with_the_rows(now):
    r = f.requester(3_000_00)
    QualificationType.create(owner=r.id, name="Bird expert", created_at=now)
    _, small = count_statements(publishing.publish_batch, requester_id=r.id, title="a", template=TEMPLATE,
                                rows=rows(500), now=now, key="small")
    _, big = count_statements(publishing.publish_batch, requester_id=r.id, title="b", template=TEMPLATE,
                              rows=rows(5000 // 2), now=now, key="big")
    assert big <= small + 10, (small, big)  # five times the rows, about the same statements
    assert Hit.select().count() == 500 + 2500
    check_invariants()


def test_a_short_balance_writes_nothing_and_a_repeat_publishes_once(now):
    total = sum(unit_cents(i) for i in range(300))
    r = f.requester(total - 1)
    QualificationType.create(owner=r.id, name="Bird expert", created_at=now)
    kwargs = {"requester_id": r.id, "title": "b", "template": TEMPLATE, "rows": rows(300), "now": now, "key": "k1"}
    with unchanged(), pytest.raises(InsufficientFunds):
        publishing.publish_batch(**kwargs)
    ledger.post(key="top", kind="credit", legs=[(ledger.world(), -1), (ledger.available(r.id), 1)], now=now)
    publishing.publish_batch(**kwargs)
    assert Hit.select().count() == 300 and f.available(r.id) == 0
    with unchanged(), pytest.raises(StaleAction, match="already published"):
        publishing.publish_batch(**kwargs)
    check_invariants()
