"""A requester's changes to a live HIT: more time, more assignments, or an early end."""
from __future__ import annotations

from datetime import datetime, timedelta

from core import ledger
from core.config import get_settings
from core.db import for_update, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.hits.spec import MAX_LIFETIME_S, format_duration
from core.models import Hit, HitStatus
from core.outbox import emit
from core.payments.accounts import warn_if_low
from core.texts import N_


def owned_hit(requester_id: int, hit_id: int) -> Hit:
    hit = Hit.get_or_none(Hit.id == hit_id)
    if hit is None or hit.requester_id != requester_id:
        raise NotAllowed()
    return hit


def _open(requester_id: int, hit_id: int, now: datetime) -> Hit:
    hit = owned_hit(requester_id, hit_id)
    if hit.status != HitStatus.OPEN or hit.expires_at <= now:
        raise StaleAction(N_("This HIT has ended; publish it again to get more work."))
    return hit


def extend_hit(*, requester_id: int, hit_id: int, extra_s: int, now: datetime) -> Hit:
    """Keep a HIT open longer (at most 30 days from now)."""
    if not 60 <= extra_s <= MAX_LIFETIME_S:
        raise ValidationFailed(N_("Extend by between 1m and {max_lifetime_s}."),
                               max_lifetime_s=format_duration(MAX_LIFETIME_S))
    with tx():
        hit = _open(requester_id, hit_id, now)
        new_expiry = min(hit.expires_at + timedelta(seconds=extra_s), now + timedelta(seconds=MAX_LIFETIME_S))
        if Hit.update(expires_at=new_expiry).where((Hit.id == hit.id) & (Hit.status == HitStatus.OPEN)).execute() != 1:
            raise StaleAction(N_("This HIT has ended."))
        return Hit.get_by_id(hit.id)


def add_assignments(*, requester_id: int, hit_id: int, count: int, now: datetime, key: str) -> Hit:
    """More slots on an open HIT; their rewards and fees go into escrow now."""
    settings = get_settings()
    with tx():
        hit = _open(requester_id, hit_id, now)
        if not 1 <= count <= settings.max_assignments - hit.max_assignments:
            raise ValidationFailed(N_("You can add 1 to {most} assignments."),
                                   most=settings.max_assignments - hit.max_assignments)
        # The HIT row before its accounts, the order close_hit and release_slot lock them in:
        # the other order deadlocked against a concurrent close on PostgreSQL.
        if Hit.update(max_assignments=Hit.max_assignments + count, available=Hit.available + count).where(
                (Hit.id == hit.id) & (Hit.status == HitStatus.OPEN)).execute() != 1:
            raise StaleAction(N_("This HIT has ended."))
        if not ledger.post(key=f"add:{key}", kind="publish",
                           legs=[(ledger.available(requester_id), -hit.unit_cost_cents * count),
                                 (ledger.escrow(hit.id), hit.unit_cost_cents * count)],
                           now=now, memo=f"{count} more assignments on HIT {hit.id}"):
            raise StaleAction(N_("Those assignments were already added."))  # rolls the slots back too
        warn_if_low(user_id=requester_id, spent_cents=hit.unit_cost_cents * count, now=now)
        emit("hits.published", user_id=None, now=now, hit_ids=[hit.id], requester_id=requester_id)
        return Hit.get_by_id(hit.id)


def close_hit(*, hit_id: int, now: datetime, requester_id: int | None = None) -> int | None:
    """End a HIT: no new workers; unheld slots' escrow back to the requester.

    Work already accepted can still be submitted and reviewed. Returns the refund,
    or None when the HIT was already closed. requester_id None is the expiry sweep."""
    with tx():
        hit = owned_hit(requester_id, hit_id) if requester_id is not None else Hit.get_by_id(hit_id)
        if requester_id is None and hit.expires_at > now:
            return None
        locked = for_update(Hit.select().where((Hit.id == hit_id) & (Hit.status == HitStatus.OPEN))).first()
        if locked is None:
            return None
        Hit.update(status=HitStatus.CLOSED, available=0, expires_at=min(locked.expires_at, now)).where(
            Hit.id == hit_id).execute()
        refund = locked.available * locked.unit_cost_cents
        ledger.post(key=f"close:{hit_id}", kind="refund",
                    legs=[(ledger.escrow(hit_id), -refund), (ledger.available(locked.requester_id), refund)],
                    now=now, memo=f"HIT {hit_id} ended")
        emit("hit.expired", user_id=locked.requester_id, now=now, hit_id=hit_id, title=locked.title,
             refund_cents=refund, early=requester_id is not None)
        return refund
