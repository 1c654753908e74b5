"""HIT groups (issue #17): HITs of one type are one entry in /browse, and a worker takes the
next one of a group with one tap.

What makes a group (group_key): the same requester, reward, duration and requirements, and
- a batch's HITs: the batch (one template, so one title template and one set of questions);
- the MTurk API's HITs made with one HITType: the HIT type;
- any other HIT: the same title, description, questions and attachment as well.
The key is computed once, at publish, and stored: Hit.group_id names the HitGroup row.
Other areas read a HIT's group as `hit.group_id`, or compute a spec's key with group_key()."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from peewee import fn

from core.db import db, is_sqlite
from core.hits.spec import HitSpec
from core.hits.tables import Hit, HitGroup, HitStatus

MIN_REAL_TIMES = 3  # submissions before the group's hourly rate comes from real work times


def group_key(requester_id: int, spec: HitSpec, *, batch_id: int | None = None, hit_type: str | None = None) -> str:
    """The key HITs of one group share (a sha256 hex digest)."""
    reqs = sorted(json.dumps(q.model_dump(mode="json"), sort_keys=True) for q in spec.qualifications)
    shared: list[object] = [requester_id, spec.reward, spec.duration_s, reqs]
    if spec.language:  # the same HIT in Spanish and in German is two groups (a key without one is unchanged)
        shared.append(["language", spec.language])
    if batch_id is not None:
        origin: list[object] = ["batch", batch_id]
    elif hit_type is not None:
        origin = ["type", hit_type]
    else:
        origin = ["hit", spec.title, spec.description, spec.attachment,
                  [q.model_dump(mode="json", exclude={"gold"}) for q in spec.questions]]
    raw = json.dumps([origin, shared], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def legacy_key(requester_id: int, origin: str, reward_cents: int, duration_s: int) -> str:
    """The key of a HIT published before groups existed (migration 17), from what its row keeps."""
    raw = json.dumps(["legacy", requester_id, origin, reward_cents, duration_s], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def first_hourly_cents(reward_cents: int, duration_s: int, estimated_s: int | None) -> int:
    """The hourly rate before real times exist: the requester's estimate, else the full time allotted."""
    return reward_cents * 3600 // max(1, estimated_s or duration_s)


def join(*, key: str, requester_id: int, reward_cents: int, duration_s: int, estimated_s: int | None,
         requester_score: int, now: datetime) -> HitGroup:
    """The group of this key, made if new (two publishes at once: the unique key keeps one)."""
    return join_many([{"key": key, "requester_id": requester_id, "reward_cents": reward_cents, "duration_s": duration_s,
                       "estimated_s": estimated_s, "requester_score": requester_score}], now)[key]


def join_many(wanted: list[dict], now: datetime) -> dict[str, HitGroup]:
    """The groups of these keys (each a dict of join's arguments), made where new: two statements."""
    rows = {w["key"]: {"key": w["key"], "requester": w["requester_id"], "reward_cents": w["reward_cents"],
                       "duration_s": w["duration_s"], "expires_at": now, "estimated_s": w["estimated_s"],
                       "requester_score": w["requester_score"], "created_at": now,
                       "hourly_cents": first_hourly_cents(w["reward_cents"], w["duration_s"], w["estimated_s"])}
            for w in wanted}
    HitGroup.insert_many(list(rows.values())).on_conflict_ignore().execute()
    return {g.key: g for g in HitGroup.select().where(HitGroup.key.in_(list(rows)))}


def refresh(group_ids: list[int]) -> None:
    """After HITs joined these groups: their newest HIT, open slots and latest expiry, from the HITs (one statement)."""
    if not group_ids:
        return
    mine = Hit.group == HitGroup.id
    newest = Hit.select(fn.MAX(Hit.id)).where(mine)
    slots = Hit.select(fn.COALESCE(fn.SUM(Hit.available), 0)).where(mine & (Hit.status == HitStatus.OPEN))
    latest = Hit.select(fn.MAX(Hit.expires_at)).where(mine)
    HitGroup.update(newest_hit_id=fn.COALESCE(newest, 0), available=slots,
                    expires_at=fn.COALESCE(latest, HitGroup.expires_at)).where(HitGroup.id.in_(group_ids)).execute()


# The group follows its HITs in the database, whoever changes them (accept, return, expiry, ending
# early, added assignments, submit): its open slots, and its real work times with the hourly rate they
# give once three exist. A trigger, so the worker's hot path runs no extra statement for it.
_OPEN_SLOTS = "(CASE WHEN {row}.status = 'open' THEN {row}.available ELSE 0 END)"
_FOLLOW = ("UPDATE hit_group SET available = available + " + _OPEN_SLOTS.format(row="{new}") + " - "
           + _OPEN_SLOTS.format(row="{old}") + ", "
           "work_n = work_n + {new}.work_n - {old}.work_n, "
           "work_s_total = work_s_total + {new}.work_s_total - {old}.work_s_total, "
           f"hourly_cents = CASE WHEN work_n + {{new}}.work_n - {{old}}.work_n >= {MIN_REAL_TIMES} "
           "THEN reward_cents * 3600 * (work_n + {new}.work_n - {old}.work_n) "
           "/ {greatest}(1, work_s_total + {new}.work_s_total - {old}.work_s_total) ELSE hourly_cents END "
           "WHERE id = {new}.group_id")
_CHANGED = ("{new}.group_id IS NOT NULL AND ({new}.available IS NOT {old}.available OR {new}.status IS NOT {old}.status "
            "OR {new}.work_n IS NOT {old}.work_n OR {new}.work_s_total IS NOT {old}.work_s_total)")


def install_triggers() -> None:
    """Migration 17: the trigger that keeps each group's counts in step with its HITs (safe to run again)."""
    if is_sqlite():
        db.execute_sql("CREATE TRIGGER IF NOT EXISTS hit_group_follow AFTER UPDATE OF available, status, work_n, "
                       "work_s_total ON hit WHEN " + _CHANGED.format(new="new", old="old") + " BEGIN "
                       + _FOLLOW.format(new="new", old="old", greatest="max") + "; END")
        return
    db.execute_sql("CREATE OR REPLACE FUNCTION hit_group_follow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   + _FOLLOW.format(new="NEW", old="OLD", greatest="GREATEST") + "; RETURN NULL; END $$")
    db.execute_sql("DROP TRIGGER IF EXISTS hit_group_follow ON hit")
    changed = _CHANGED.format(new="NEW", old="OLD").replace(" IS NOT ", " IS DISTINCT FROM ")
    db.execute_sql("CREATE TRIGGER hit_group_follow AFTER UPDATE OF available, status, work_n, work_s_total ON hit "
                   f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION hit_group_follow()")


def open_hits(group_id: int, now: datetime):
    """The group's HITs that have a free slot now, oldest first (the order Accept takes them in)."""
    return (Hit.select().where((Hit.group == group_id) & (Hit.status == HitStatus.OPEN) & (Hit.available > 0)
                               & (Hit.expires_at > now)).order_by(Hit.id))
