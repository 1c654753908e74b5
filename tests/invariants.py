"""The money and capacity rules that must hold after any sequence of operations."""
from __future__ import annotations

from peewee import fn

from core.models import Account, Assignment, AssignmentStatus as S, Entry, Hit, HitStatus


def check_invariants() -> None:
    # Double entry: every transaction sums to zero, so all entries do; balances match entries.
    assert Entry.select(fn.COALESCE(fn.SUM(Entry.amount_cents), 0)).scalar() == 0
    assert Account.select(fn.COALESCE(fn.SUM(Account.balance_cents), 0)).scalar() == 0
    per_account = dict(Entry.select(Entry.account, fn.SUM(Entry.amount_cents)).group_by(Entry.account).tuples())
    for acc in Account.select():
        assert acc.balance_cents == per_account.get(acc.id, 0), acc.code
        if not acc.allow_negative:
            assert acc.balance_cents >= 0, acc.code
    for hit in Hit.select():
        holders = dict(Assignment.select(Assignment.status, fn.COUNT(Assignment.id))
                       .where(Assignment.hit == hit.id).group_by(Assignment.status).tuples())
        active = holders.get(S.ACCEPTED, 0) + holders.get(S.SUBMITTED, 0)
        settled = holders.get(S.APPROVED, 0) + holders.get(S.REJECTED, 0)
        assert active + settled + hit.available <= hit.max_assignments, hit.id
        assert hit.available >= 0
        if hit.status == HitStatus.OPEN:
            assert active + settled + hit.available == hit.max_assignments, hit.id
        else:
            assert hit.available == 0
        escrow = Account.get_or_none(Account.code == f"escrow:{hit.id}")
        unpaid = (active + hit.available) * hit.unit_cost_cents
        assert (escrow.balance_cents if escrow else 0) == unpaid, (hit.id, escrow and escrow.balance_cents, unpaid)
