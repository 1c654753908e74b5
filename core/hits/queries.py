"""A requester's HITs at a glance: progress, spend and time left, per HIT and per batch
(a 1,000-row batch is one line, not a thousand), and ending a whole batch early."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from peewee import fn

from core.errors import NotAllowed
from core.hits.manage import close_hit
from core.models import Account, AccountKind, Assignment, AssignmentStatus as S, Batch, Bonus, Hit, HitStatus

MAX_PAGE = 10


@dataclass
class Progress:
    max_assignments: int = 0
    available: int = 0
    accepted: int = 0
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    spent_cents: int = 0  # approved rewards + fees, bonuses + their fees
    escrow_cents: int = 0  # still reserved
    open_hits: int = 0
    hits: int = 0
    expires_at: datetime | None = None  # the latest expiry among open HITs

    def add(self, other: "Progress") -> None:
        for name in ("max_assignments", "available", "accepted", "submitted", "approved", "rejected",
                     "spent_cents", "escrow_cents", "open_hits", "hits"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.expires_at and (self.expires_at is None or other.expires_at > self.expires_at):
            self.expires_at = other.expires_at


def progress(hits: list[Hit]) -> dict[int, Progress]:
    """Progress of several HITs in a handful of queries."""
    ids = [h.id for h in hits]
    out = {h.id: Progress(max_assignments=h.max_assignments, available=h.available, hits=1,
                          open_hits=int(h.status == HitStatus.OPEN),
                          expires_at=h.expires_at if h.status == HitStatus.OPEN else None) for h in hits}
    if not ids:
        return out
    units = {h.id: h.unit_cost_cents for h in hits}
    for hit_id, status, n in (Assignment.select(Assignment.hit, Assignment.status, fn.COUNT(Assignment.id))
                              .where(Assignment.hit.in_(ids)).group_by(Assignment.hit, Assignment.status).tuples()):
        if status in (S.ACCEPTED, S.SUBMITTED, S.APPROVED, S.REJECTED):
            setattr(out[hit_id], status, n)
    for hit_id in ids:
        out[hit_id].spent_cents = out[hit_id].approved * units[hit_id]
    for hit_id, cents in (Bonus.select(Assignment.hit, fn.SUM(Bonus.amount_cents + Bonus.fee_cents)).join(Assignment)
                          .where(Assignment.hit.in_(ids)).group_by(Assignment.hit).tuples()):
        out[hit_id].spent_cents += int(cents or 0)
    for hit_id, cents in (Account.select(Account.hit_id, Account.balance_cents)
                          .where((Account.kind == AccountKind.ESCROW) & Account.hit_id.in_(ids)).tuples()):
        out[hit_id].escrow_cents = int(cents)
    return out


@dataclass
class Item:
    """One line of /myhits: a single HIT, or a batch summed up."""

    hit: Hit | None
    batch: Batch | None
    progress: Progress
    title: str
    created_at: datetime
    hit_ids: list[int] = field(default_factory=list)


def my_items(*, requester_id: int, page: int = 0, per_page: int = MAX_PAGE) -> tuple[list[Item], bool]:
    """Newest first: standalone HITs and batches. Returns (items, more pages?)."""
    per_page = max(1, min(per_page, MAX_PAGE))
    page = max(0, min(page, 1000))
    want = (page + 1) * per_page + 1
    hits = list(Hit.select().where((Hit.requester == requester_id) & Hit.batch.is_null())
                .order_by(Hit.id.desc()).limit(want))
    batches = list(Batch.select().where(Batch.requester == requester_id).order_by(Batch.id.desc()).limit(want))
    merged = sorted([(h.created_at, 0, h) for h in hits] + [(b.created_at, 1, b) for b in batches],
                    key=lambda t: (t[0], t[2].id), reverse=True)
    window = merged[page * per_page: (page + 1) * per_page + 1]
    more = len(window) > per_page
    items = []
    for created_at, is_batch, obj in window[:per_page]:
        if is_batch:
            items.append(batch_item(requester_id=requester_id, batch_id=obj.id))
        else:
            items.append(Item(obj, None, progress([obj])[obj.id], obj.title, created_at, [obj.id]))
    return items, more


def hit_item(*, requester_id: int, hit_id: int) -> Item:
    hit = Hit.get_or_none(Hit.id == hit_id)
    if hit is None or hit.requester_id != requester_id:
        raise NotAllowed()
    return Item(hit, None, progress([hit])[hit.id], hit.title, hit.created_at, [hit.id])


def owned_batch(requester_id: int, batch_id: int) -> Batch:
    batch = Batch.get_or_none(Batch.id == batch_id)
    if batch is None or batch.requester_id != requester_id:
        raise NotAllowed()
    return batch


def batch_item(*, requester_id: int, batch_id: int) -> Item:
    batch = owned_batch(requester_id, batch_id)
    hits = list(Hit.select().where(Hit.batch == batch.id))
    total = Progress()
    for p in progress(hits).values():
        total.add(p)
    return Item(None, batch, total, batch.title, batch.created_at, [h.id for h in hits])


def close_batch(*, requester_id: int, batch_id: int, now: datetime) -> tuple[int, int]:
    """End every open HIT of a batch now; returns (HITs ended, escrow refunded)."""
    owned_batch(requester_id, batch_id)
    ended = refunded = 0
    for hit_id in Hit.select(Hit.id).where((Hit.batch == batch_id) & (Hit.status == HitStatus.OPEN)).tuples():
        refund = close_hit(hit_id=hit_id[0], now=now, requester_id=requester_id)
        if refund is not None:
            ended, refunded = ended + 1, refunded + refund
    return ended, refunded
