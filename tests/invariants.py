"""The money and capacity rules that must hold after any sequence of operations."""
from __future__ import annotations

from peewee import fn

from core import ledger
from core.models import Account, Assignment, AssignmentStatus as S, Entry, Hit, HitStatus


def check_invariants() -> None:
    # Double entry: every transaction sums to zero, so all entries do; kept balances match
    # entries (the platform's accounts keep none: their balance is their entries' sum).
    assert Entry.select(fn.COALESCE(fn.SUM(Entry.amount_cents), 0)).scalar() == 0
    per_account = dict(Entry.select(Entry.account, fn.SUM(Entry.amount_cents)).group_by(Entry.account).tuples())
    accounts = Account.select(Account.id, Account.code, Account.kind, Account.balance_cents,
                              Account.allow_negative).tuples()
    for account_id, code, kind, kept, allow_negative in accounts:
        balance = per_account.get(account_id, 0)
        if kind not in ledger.UNCACHED:
            assert kept == balance, code
        if not allow_negative:
            assert balance >= 0, code
    # Grouped queries, not a query per HIT: the property tests call this after every step.
    holders: dict[int, dict[str, int]] = {}
    for hit_id, status, n in (Assignment.select(Assignment.hit, Assignment.status, fn.COUNT(Assignment.id))
                              .group_by(Assignment.hit, Assignment.status).tuples()):
        holders.setdefault(hit_id, {})[status] = n
    escrows = dict(Account.select(Account.hit_id, Account.balance_cents)
                   .where(Account.code.startswith("escrow:")).tuples())
    hits = Hit.select(Hit.id, Hit.status, Hit.available, Hit.max_assignments, Hit.reward_cents, Hit.fee_cents)
    for hit in hits:
        counts = holders.get(hit.id, {})
        active = counts.get(S.ACCEPTED, 0) + counts.get(S.SUBMITTED, 0) + counts.get(S.REVISING, 0)  # escrow held
        settled = counts.get(S.APPROVED, 0) + counts.get(S.REJECTED, 0)
        assert active + settled + hit.available <= hit.max_assignments, hit.id
        assert hit.available >= 0
        if hit.status == HitStatus.OPEN:
            assert active + settled + hit.available == hit.max_assignments, hit.id
        else:
            assert hit.available == 0
        unpaid = (active + hit.available) * hit.unit_cost_cents
        assert escrows.get(hit.id, 0) == unpaid, (hit.id, escrows.get(hit.id), unpaid)
