"""The MTurk API's HIT life cycle beyond publishing: HIT types, a new expiry (a past one ends
the HIT as /myhits' End does), more assignments (escrowed as the chat's Add), MTurk's review
status (Reviewable <-> Reviewing) and DeleteHIT's disposal.

Money moves only through core.hits.manage (close_hit's refund, add_assignments' escrow)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from core.db import db, for_update, tx
from core.errors import DuplicateRequest, NotAllowed, StaleAction, ValidationFailed
from core.hits import manage, publishing
from core.hits.manage import owned_hit
from core.hits.spec import MAX_DESCRIPTION, MAX_LIFETIME_S, RequirementSpec
from core.models import (
    Assignment,
    AssignmentStatus as S,
    Hit,
    HitRequirement,
    HitStatus,
    LedgerTxn,
    MturkHit,
    MturkHitState,
    MturkHitType,
)
from core.mturk import notifications

MAX_PAGE = 100
SCAN_CHUNK = 500


# --- HIT types --------------------------------------------------------------------------------

def save_hit_type(*, requester_id: int, type_id: str, title: str, description: str, keywords: str, reward: str,
                  duration_s: int, auto_approve_s: int | None, now: datetime,
                  requirements: list[dict] | None = None) -> MturkHitType:
    """Remember a HIT type (the same properties twice are one row, as its id is their digest).
    Every CreateHIT names its type here, so the common case is a row that exists: one statement."""
    with tx():
        (MturkHitType.insert(type_id=type_id, requester=requester_id, title=title, description=description,
                             keywords=keywords, reward=reward, duration_s=duration_s, auto_approve_s=auto_approve_s,
                             requirements=requirements or [], created_at=now)
         .on_conflict_ignore().execute())
        return hit_type(requester_id=requester_id, type_id=type_id)


def hit_type(*, requester_id: int, type_id: str) -> MturkHitType:
    """One of the requester's HIT types; NotAllowed for anyone else's or none."""
    row = MturkHitType.get_or_none(MturkHitType.type_id == type_id)
    if row is None or row.requester_id != requester_id:
        raise NotAllowed()
    return row


# --- the HIT's state as MTurk names it -----------------------------------------------------------

def assignable(hit: Hit, now: datetime) -> bool:
    return hit.status == HitStatus.OPEN and hit.expires_at > now and hit.available > 0


def _in_progress(hit_id: int) -> bool:
    return Assignment.select().where((Assignment.hit == hit_id) & (Assignment.status == S.ACCEPTED)).exists()


def states(hit_ids: list[int]) -> dict[int, MturkHitState]:
    if not hit_ids:
        return {}
    return {row.hit_id: row for row in MturkHitState.select().where(MturkHitState.hit.in_(hit_ids))}


def _state(hit: Hit) -> MturkHitState:
    row = MturkHitState.get_or_none(MturkHitState.hit == hit.id)
    if row is None:
        with db.atomic():
            MturkHitState.insert(hit=hit.id, requester=hit.requester_id).on_conflict_ignore().execute()
        row = MturkHitState.get(MturkHitState.hit == hit.id)
    return row


def live_hit(*, requester_id: int, hit_id: int) -> Hit:
    """One of the requester's HITs that DeleteHIT has not disposed of; NotAllowed otherwise."""
    hit = owned_hit(requester_id, hit_id)
    if MturkHitState.select().where((MturkHitState.hit == hit_id) & MturkHitState.disposed_at.is_null(False)).exists():
        raise NotAllowed()
    return hit


def update_expiration(*, requester_id: int, hit_id: int, expire_at: datetime, now: datetime) -> int | None:
    """A new expiry. At or before `now` the HIT ends now, as /myhits' End: unused slots' escrow
    back to the requester (returns the refund; None if it had already ended). A later time
    moves the expiry of an open HIT there (sooner or later, at most 30 days from now); an
    ended HIT is not reopened (its unused escrow went back)."""
    hit = live_hit(requester_id=requester_id, hit_id=hit_id)
    if expire_at <= now:
        return manage.close_hit(hit_id=hit.id, now=now, requester_id=requester_id)
    if expire_at > now + timedelta(seconds=MAX_LIFETIME_S):
        raise ValidationFailed(f"ExpireAt can be at most {MAX_LIFETIME_S // 86_400} days from now (hitbot's "
                               "longest HIT lifetime).")
    with tx():
        if Hit.update(expires_at=expire_at).where((Hit.id == hit.id) & (Hit.status == HitStatus.OPEN)
                                                  & (Hit.expires_at > now)).execute() != 1:
            raise StaleAction("This HIT has ended, and hitbot does not reopen an ended HIT (its unused escrow "
                              "went back to you): make a new HIT instead.")
        if expire_at > hit.expires_at:
            notifications.hit_event(hit, "HITExtended", now)
    return None


def add_assignments(*, requester_id: int, hit_id: int, count: int, now: datetime, token: str | None) -> Hit:
    """manage.add_assignments (the chat's Add: the same bounds, the same escrow). The same
    token twice on one HIT adds once: the repeat is DuplicateRequest."""
    live_hit(requester_id=requester_id, hit_id=hit_id)
    key = f"mturk:{requester_id}:{hit_id}:{token}" if token is not None else f"mturk:{secrets.token_hex(16)}"
    try:
        return manage.add_assignments(requester_id=requester_id, hit_id=hit_id, count=count, now=now, key=key)
    except StaleAction:
        if token is not None and LedgerTxn.select().where(LedgerTxn.key == f"add:{key}").exists():
            raise DuplicateRequest("Assignments were already added with this UniqueRequestToken; none were "
                                   "added again.") from None
        raise


def set_reviewing(*, requester_id: int, hit_id: int, reviewing: bool, now: datetime) -> None:
    """MTurk's UpdateHITReviewStatus: a Reviewable HIT to Reviewing, or (revert) back."""
    with tx():
        hit = live_hit(requester_id=requester_id, hit_id=hit_id)
        for_update(Hit.select(Hit.id).where(Hit.id == hit.id)).scalar()
        hit = Hit.get_by_id(hit.id)
        state = _state(hit)
        if assignable(hit, now) or _in_progress(hit.id):
            raise StaleAction("This HIT is not Reviewable yet: it can still be taken or has work in progress.")
        if state.reviewing == reviewing:
            raise StaleAction("This HIT is already Reviewing." if reviewing else "This HIT is not Reviewing.")
        MturkHitState.update(reviewing=reviewing).where(MturkHitState.hit == hit.id).execute()


def delete_hit(*, requester_id: int, hit_id: int, now: datetime) -> None:
    """MTurk's DeleteHIT: only a HIT nobody can take any more (expired, ended, or every slot
    handed in), with no work in progress and every submission approved or rejected. An open
    HIT is ended first (close_hit: unused escrow back). It then leaves the API's listings;
    its assignments, answers and ledger stay. A second delete changes nothing."""
    with tx():
        hit = owned_hit(requester_id, hit_id)
        for_update(Hit.select(Hit.id).where(Hit.id == hit.id)).scalar()
        hit = Hit.get_by_id(hit.id)
        state = _state(hit)
        if state.disposed_at is not None:
            return
        if assignable(hit, now):
            raise StaleAction("This HIT can still be taken by workers: expire it first (UpdateExpirationForHIT "
                              "with an ExpireAt in the past), then delete it.")
        if _in_progress(hit.id):
            raise StaleAction("This HIT has work in progress: wait until it is submitted (or returned) and "
                              "reviewed.")
        if Assignment.select().where((Assignment.hit == hit.id)
                                     & Assignment.status.in_((S.SUBMITTED, S.REVISING))).exists():
            raise StaleAction("This HIT has submitted assignments that are not approved or rejected yet.")
        if hit.status == HitStatus.OPEN:
            manage.close_hit(hit_id=hit.id, now=now, requester_id=requester_id)
        MturkHitState.update(disposed_at=now).where(MturkHitState.hit == hit.id).execute()
        notifications.hit_event(hit, "HITDisposed", now)


# --- listings ------------------------------------------------------------------------------------

def _not_disposed():
    return Hit.id.not_in(MturkHitState.select(MturkHitState.hit).where(MturkHitState.disposed_at.is_null(False)))


def hits_page(*, requester_id: int, before_id: int | None, limit: int) -> tuple[list[Hit], bool]:
    """The requester's HITs (made in chat or through the API, not deleted), newest first; (page, more?)."""
    limit = max(1, min(limit, MAX_PAGE))
    query = Hit.select().where((Hit.requester == requester_id) & _not_disposed())
    if before_id is not None:
        query = query.where(Hit.id < before_id)
    rows = list(query.order_by(Hit.id.desc()).limit(limit + 1))
    return rows[:limit], len(rows) > limit


def reviewable_page(*, requester_id: int, reviewing: bool, now: datetime, before_id: int | None, limit: int,
                    keep: Callable[[list[Hit]], list[Hit]] | None = None) -> tuple[list[Hit], bool]:
    """The requester's HITs that MTurk calls Reviewable (nobody can take them and no work is in
    progress) or, with `reviewing`, Reviewing; newest first; `keep` filters each chunk further
    (a HIT type). (page, more?)"""
    limit = max(1, min(limit, MAX_PAGE))
    marked = MturkHitState.select(MturkHitState.hit).where(MturkHitState.reviewing == True)
    in_progress = Assignment.select(Assignment.hit).where(Assignment.status == S.ACCEPTED)
    query = Hit.select().where(
        (Hit.requester == requester_id) & _not_disposed() & Hit.id.not_in(in_progress)
        & ((Hit.status != HitStatus.OPEN) | (Hit.expires_at <= now) | (Hit.available <= 0))
        & (Hit.id.in_(marked) if reviewing else Hit.id.not_in(marked)))
    out: list[Hit] = []
    cursor = before_id
    while len(out) <= limit:
        chunk = list((query.where(Hit.id < cursor) if cursor is not None else query)
                     .order_by(Hit.id.desc()).limit(SCAN_CHUNK))
        out += keep(chunk) if keep is not None else chunk
        if len(chunk) < SCAN_CHUNK:
            break
        cursor = chunk[-1].id
    return out[:limit], len(out) > limit


# --- UpdateHITTypeOfHIT ----------------------------------------------------------------------------

def change_type(*, requester_id: int, hit_id: int, title: str, description: str, keywords: list[str],
                reward_cents: int, duration_s: int, auto_approve_s: int, requirements: list[RequirementSpec],
                type_id: str, now: datetime) -> Hit:
    """A HIT takes on another HIT type's properties. The reward is in escrow, so a type with
    another reward is refused; work already taken keeps its deadline, later work gets the new
    time allotted, auto-approval delay and requirements."""
    with tx():
        live_hit(requester_id=requester_id, hit_id=hit_id)
        hit = for_update(Hit.select().where(Hit.id == hit_id)).first()
        if reward_cents != hit.reward_cents:
            raise StaleAction("This HIT type has another reward, and the HIT's reward is already in escrow: make a "
                              "new HIT of that type instead (the other properties can change).")
        extra = MturkHit.get_or_none(MturkHit.hit == hit.id)
        sent = extra.description if extra is not None else hit.description
        overview = hit.description[len(sent):] if hit.description.startswith(sent) else ""
        if len(description) + len(overview) > MAX_DESCRIPTION:
            raise ValidationFailed(f"The new description with the form's overview would be over {MAX_DESCRIPTION} "
                                   "characters.")
        resolved = publishing._resolve_requirements(requester_id, requirements)
        Hit.update(title=title, description=description + overview, keywords=" ".join(keywords),
                   duration_s=duration_s, auto_approve_s=auto_approve_s, hourly_cents=reward_cents * 3600 // duration_s,
                   has_requirements=bool(resolved)).where(Hit.id == hit.id).execute()
        if extra is not None:
            MturkHit.update(description=description, type_id=type_id).where(MturkHit.hit == hit.id).execute()
        HitRequirement.delete().where(HitRequirement.hit == hit.id).execute()
        for qtype, req in resolved:
            HitRequirement.create(hit=hit.id, qtype=qtype.id, comparator=req.comparator, values=req.values,
                                  guard=req.guard)
        return Hit.get_by_id(hit.id)
