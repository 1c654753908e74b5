"""Bystanders: people and work that a test does not touch, and a check that they stay so.

Most bugs that matter in a marketplace are a query that forgets its filter: an UPDATE or
DELETE without its WHERE (every worker's answers gone, every user's counter bumped, every
standing order deleted), or a read that picks up someone else's row. A test with only one
worker's data in the database cannot see them. Put bystanders in first, then:

    def test_something(bystanders, now):
        ...set up the test's own people...
        before = bystanders.snapshot()
        ...the call under test...
        bystanders.assert_untouched(before)

(the `bystanders` fixture is in tests/conftest.py). `Bystanders.create()` makes, through the real services:
- a second requester (Bea, funded) with a HIT of 4 slots and an auto-withdraw order she has
  not reached;
- Bo, whose work on it was approved (a balance, counters, an auto-withdraw order he has not
  reached, a rating of Bea);
- Bix, whose work is submitted and waiting (answers stored); Bea has blocked him since;
- Bee, half-way through it (accepted, one answer saved);
- Ray, who answered and then returned it (a returned assignment, the slot back on the HIT).
`join(hit_id)` adds one more bystander working on the test's own HIT (accepted, one answer).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.models import (
    Account,
    Answer,
    Assignment,
    AutoWithdraw,
    Bonus,
    Entry,
    Hit,
    Payout,
    Question,
    Rating,
    User,
    WorkerBlock,
)
from core.payments import payouts
from core.review import commands as review
from core.work import commands as work
from tests import factories as f

BEA_FUNDS = 100_00
BEA_THRESHOLD = 500_00  # more than she has: the order stands, nothing is withdrawn
BO_THRESHOLD = 5_00  # more than his 50 cents


@dataclass
class Bystanders:
    now: datetime
    requester: User
    hit: Hit
    bo: User  # approved
    bix: User  # submitted, then blocked by Bea
    bee: User  # in progress
    ray: User  # returned
    joined: list[tuple[User, Assignment]] = field(default_factory=list)
    _before: dict | None = None

    @classmethod
    def create(cls, now: datetime) -> Bystanders:
        bea = f.requester(BEA_FUNDS, now=now, name="Bea")
        hit = f.hit(bea.id, now=now, title="Bystander HIT: count the birds", reward="0.50", assignments=4)
        animal = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
        notes = Question.get((Question.hit == hit.id) & (Question.key == "notes"))
        bo, bix, bee, ray = (f.user(name, now=now) for name in ("Bo", "Bix", "Bee", "Ray"))
        for w, kind in ((bo, "approved"), (bix, "submitted"), (bee, "accepted"), (ray, "returned")):
            a = work.accept(worker_id=w.id, hit_id=hit.id, now=now)
            work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=animal.id, value="bird", now=now)
            if kind == "accepted":
                continue
            if kind == "returned":
                work.return_assignment(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=2))
                continue
            work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=notes.id, value=f"{w.first_name} saw 3",
                             now=now)
            work.submit(worker_id=w.id, assignment_id=a.id, now=now + timedelta(minutes=1))
            if kind == "approved":
                review.approve(requester_id=bea.id, assignment_id=a.id, now=now + timedelta(minutes=5),
                               feedback="Nice")
                review.rate_requester(worker_id=w.id, assignment_id=a.id, stars=4, now=now + timedelta(minutes=6))
        review.block_worker(requester_id=bea.id, worker_id=bix.id, reason="bystander block", now=now)
        payouts.set_auto_withdraw(user_id=bo.id, threshold_cents=BO_THRESHOLD, now=now)
        payouts.set_auto_withdraw(user_id=bea.id, threshold_cents=BEA_THRESHOLD, now=now)
        return cls(now=now, requester=bea, hit=Hit.get_by_id(hit.id), bo=bo, bix=bix, bee=bee, ray=ray)

    def join(self, hit_id: int) -> tuple[User, Assignment]:
        """One more bystander, half-way through the test's own HIT (accepted, first answer saved)."""
        w = f.user("Joe", now=self.now)
        a = work.accept(worker_id=w.id, hit_id=hit_id, now=self.now)
        first = Question.select().where(Question.hit == hit_id).order_by(Question.position).first()
        value = (first.options or ["x"])[0] if first.kind == "choice" else "bystander's answer"
        work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=first.id, value=value, now=self.now)
        self.joined.append((w, Assignment.get_by_id(a.id)))
        return self.joined[-1]

    @property
    def user_ids(self) -> list[int]:
        return [self.requester.id, self.bo.id, self.bix.id, self.bee.id, self.ray.id,
                *(w.id for w, _ in self.joined)]

    def snapshot(self) -> dict[str, list[dict]]:
        """Every row that belongs to a bystander: users, their accounts and entries, the
        bystander HIT, their assignments and answers, orders, payouts, bonuses, blocks, ratings."""
        ids = self.user_ids
        assignments = (Assignment.select().where((Assignment.hit == self.hit.id) | Assignment.worker.in_(ids))
                       .order_by(Assignment.id))
        assignment_ids = [a.id for a in assignments]
        accounts = (Account.select().where(Account.user.in_(ids) | (Account.hit_id == self.hit.id))
                    .order_by(Account.id))
        account_ids = [a.id for a in accounts]
        snap = {
            "user": list(User.select().where(User.id.in_(ids)).order_by(User.id).dicts()),
            "hit": list(Hit.select().where(Hit.id == self.hit.id).dicts()),
            "assignment": list(assignments.dicts()),
            "answer": list(Answer.select().where(Answer.assignment.in_(assignment_ids)).order_by(Answer.id).dicts()),
            "account": list(accounts.dicts()),
            "entry": list(Entry.select().where(Entry.account.in_(account_ids)).order_by(Entry.id).dicts()),
            "auto_withdraw": list(AutoWithdraw.select().where(AutoWithdraw.user.in_(ids))
                                  .order_by(AutoWithdraw.user).dicts()),
            "payout": list(Payout.select().where(Payout.worker.in_(ids)).order_by(Payout.id).dicts()),
            "bonus": list(Bonus.select().where(Bonus.assignment.in_(assignment_ids)).order_by(Bonus.id).dicts()),
            "worker_block": list(WorkerBlock.select().where(WorkerBlock.requester.in_(ids) | WorkerBlock.worker.in_(ids))
                                 .order_by(WorkerBlock.id).dicts()),
            "rating": list(Rating.select().where(Rating.assignment.in_(assignment_ids)).order_by(Rating.id).dicts()),
        }
        self._before = snap
        return snap

    def assert_untouched(self, before: dict[str, list[dict]] | None = None) -> None:
        """Every bystander row is as it was at `before` (default: the latest snapshot)."""
        before = before if before is not None else self._before
        assert before is not None, "take bystanders.snapshot() before the call under test"
        after = self.snapshot()
        self._before = before
        for table, rows in before.items():
            assert after[table] == rows, f"a bystander's {table} rows changed:\nbefore {rows}\nafter  {after[table]}"
