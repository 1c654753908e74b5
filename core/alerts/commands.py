"""Alerts: workers save filters; new HITs that match are pushed to them (as `alert.hit`
outbox events, delivered by the jobs worker), at most `alerts_per_hour` per worker."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError, fn

from core.config import get_settings
from core.db import db, tx
from core.errors import NotAllowed, ValidationFailed
from core.hits.spec import parse_duration
from core.models import (
    AlertCursor,
    AlertSent,
    AlertSub,
    Assignment,
    Hit,
    HitStatus,
    RequesterBlock,
    User,
    WorkerBlock,
)
from core.money import parse_amount
from core.outbox import emit_many
from core.quals.rules import evaluate, requirements_for, worker_values
from core.texts import N_
from core.users.commands import get_user
from core.work.browse import Filters, interest_terms

MAX_ALERTS = 5  # saved filters per worker
MAX_FILTER_TEXT = 200
CURSOR = "hits"
KEEP_SENT = timedelta(days=7)  # long after the cursor has passed those HITs
FOLD = timedelta(days=1)  # a HIT group announced to a worker is not announced again for its next HITs within this
_WORDS = {
    "reward": "min_reward_cents", "min": "min_reward_cents", "pay": "min_reward_cents",
    "time": "max_duration_s", "max": "max_duration_s",
    "hourly": "min_hourly_cents", "rate": "min_hourly_cents",
    "word": "keyword", "keyword": "keyword",
}
FILTER_HELP = ("Write the filter in one message, parts separated by commas, e.g.\n"
               "<code>reward 0.50, time 10m, hourly 6, word photo</code>\n"
               "reward = minimum reward, time = longest time allowed, hourly = minimum hourly rate, "
               "word = a word in the title or keywords. Send <code>any</code> for every new HIT. "
               "You only hear of HITs you qualify for.")


def parse_filter(text: str) -> Filters:
    """'reward 0.50, time 10m, hourly 6, word photo, qualified' -> Filters. 'any' -> no limits."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(N_("The filter is empty. Example: {example}"), example=_EXAMPLE)
    if len(text) > MAX_FILTER_TEXT:
        raise ValidationFailed(N_("A filter can have at most {max} characters."), max=MAX_FILTER_TEXT)
    if text.lower() in ("any", "all", "everything"):
        return Filters()
    currency = get_settings().currency
    values: dict[str, object] = {}
    for part in (p.strip() for p in re.split(r"[,;\n]", text)):
        if not part:
            continue
        word, _, rest = part.partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in ("qualified", "qualify"):
            values["qualified_only"] = True
            continue
        field = _WORDS.get(word)
        if field is None or not rest:
            raise ValidationFailed(N_("I don't understand “{part}”. Example: {example}"), part=part[:40],
                                   example=_EXAMPLE)
        if field in values:
            raise ValidationFailed(N_("“{word}” appears twice."), word=word)
        if field == "keyword":
            values[field] = rest
        elif field == "max_duration_s":
            values[field] = parse_duration(rest, field="time")
        else:
            values[field] = parse_amount(rest, currency, field=word)
    return Filters(**values)  # bounds checked by Filters itself


_EXAMPLE = "reward 0.50, time 10m, hourly 6, word photo, qualified"  # the filter's own words


def subscribe(*, user_id: int, filters: Filters, now: datetime) -> AlertSub:
    """Save a filter; new matching HITs will be pushed. Refuses duplicates and more than MAX_ALERTS."""
    data = filters.as_dict()
    data.pop("sort", None)  # order means nothing for a push
    if not data.get("words"):
        data.pop("words", None)  # as alerts saved before words existed: duplicates still compare equal
    with tx():
        get_user(user_id)
        mine = list(AlertSub.select().where(AlertSub.user == user_id))
        if any(sub.filters == data for sub in mine):
            raise ValidationFailed(N_("You already have an alert with this filter."))
        if len(mine) >= MAX_ALERTS:
            raise ValidationFailed(N_("You can have at most {max_alerts} alerts; delete one first."),
                                   max_alerts=MAX_ALERTS)
        return AlertSub.create(user=user_id, filters=data, created_at=now)


def subscribe_interests(*, user_id: int, now: datetime) -> AlertSub:
    """An alert for new HITs whose title or keywords hold any of the worker's profile skills or interests."""
    terms = interest_terms(get_user(user_id))
    if not terms:
        raise ValidationFailed(N_("Add skills or interests first: /profile skills photo tagging, translation"))
    return subscribe(user_id=user_id, filters=Filters(words=terms), now=now)


def list_alerts(*, user_id: int) -> list[AlertSub]:
    return list(AlertSub.select().where(AlertSub.user == user_id).order_by(AlertSub.id))


def owned_alert(user_id: int, alert_id: int) -> AlertSub:
    sub = AlertSub.get_or_none(AlertSub.id == alert_id)
    if sub is None or sub.user_id != user_id:
        raise NotAllowed()
    return sub


def set_muted(*, user_id: int, alert_id: int, muted: bool) -> AlertSub:
    with tx():
        owned_alert(user_id, alert_id)
        AlertSub.update(muted=muted).where(AlertSub.id == alert_id).execute()
        return AlertSub.get_by_id(alert_id)


def delete(*, user_id: int, alert_id: int) -> None:
    with tx():
        owned_alert(user_id, alert_id)
        AlertSub.delete().where(AlertSub.id == alert_id).execute()


def sent_last_hour(*, user_id: int, now: datetime) -> int:
    return AlertSent.select().where((AlertSent.user == user_id) & (AlertSent.sent_at > now - timedelta(hours=1))).count()


def matches(filters: Filters, hit: Hit) -> bool:
    """The filter's own conditions (qualification is checked separately)."""
    if filters.min_reward_cents and hit.reward_cents < filters.min_reward_cents:
        return False
    if filters.max_duration_s and hit.duration_s > filters.max_duration_s:
        return False
    if filters.min_hourly_cents and hit.hourly_cents < filters.min_hourly_cents:
        return False
    text = f"{hit.title} {hit.keywords}".lower()
    if filters.keyword and filters.keyword not in text:
        return False
    if filters.words and not any(w in text for w in filters.words):
        return False
    return True


def match_new_hits(*, now: datetime, limit: int | None = None) -> int:
    """Push HITs published since the last run to the workers whose unmuted alerts match.

    Safe to run twice or concurrently: each (worker, HIT) is pushed at most once (unique
    AlertSent row in the same transaction as its outbox event), and the cursor only moves
    forward. Bounded: at most `limit` HITs (default HITBOT_SWEEP_BATCH) per call, one short
    transaction per HIT so a big run never holds the write lock for long. A worker over
    HITBOT_ALERTS_PER_HOUR misses the rest of that hour's HITs. Returns alerts emitted."""
    settings = get_settings()
    limit = max(1, min(limit or settings.sweep_batch, 10_000))
    with tx():
        cursor, _ = AlertCursor.get_or_create(name=CURSOR, defaults={"last_hit_id": 0})
        hits = list(Hit.select().where((Hit.id > cursor.last_hit_id) & (Hit.created_at <= now))
                    .order_by(Hit.id).limit(limit))
        if not hits:
            return 0
        audience = _Audience.load(hits, now)
    emitted = 0
    for hit in hits:
        with tx():
            if audience.subs and hit.id in audience.open_ids:
                emitted += _push(hit, audience, now, settings.alerts_per_hour)
            AlertCursor.update(last_hit_id=hit.id).where(
                (AlertCursor.name == CURSOR) & (AlertCursor.last_hit_id < hit.id)).execute()
    with tx():
        AlertSent.delete().where(AlertSent.sent_at < now - KEEP_SENT).execute()
    return emitted


@dataclass
class _Audience:
    """Who could hear of this run's HITs, read once per run."""

    subs: dict[int, list[tuple[AlertSub, Filters]]]
    users: dict[int, User]
    open_ids: set[int]
    blocked: set[tuple[int, int]]
    done: set[tuple[int, int]]
    reqs: dict
    sent_last_hour: dict[int, int]
    values: dict[int, dict]

    @classmethod
    def load(cls, hits: list[Hit], now: datetime) -> "_Audience":
        subs: dict[int, list[tuple[AlertSub, Filters]]] = defaultdict(list)
        users: dict[int, User] = {}
        for sub in AlertSub.select(AlertSub, User).join(User).where(
                (AlertSub.muted == False) & (User.banned == False) & (User.unreachable == False)):  # noqa: E712
            subs[sub.user_id].append((sub, Filters.from_dict(sub.filters)))  # parsed once per run
            users[sub.user_id] = sub.user
        open_hits = [h for h in hits if h.status == HitStatus.OPEN and h.expires_at > now and h.available > 0]
        ids = [h.id for h in open_hits]
        requesters = list({h.requester_id for h in open_hits})
        blocked = set(WorkerBlock.select(WorkerBlock.requester, WorkerBlock.worker)
                      .where(WorkerBlock.requester.in_(requesters)).tuples()) if requesters else set()
        blocked |= set(RequesterBlock.select(RequesterBlock.requester, RequesterBlock.worker)  # workers' blocks too
                       .where(RequesterBlock.requester.in_(requesters)).tuples()) if requesters else set()
        done = set(Assignment.select(Assignment.worker, Assignment.hit)
                   .where(Assignment.hit.in_(ids)).tuples()) if ids else set()
        # Sent in the last hour, per worker (at most alerts_per_hour rows each: no id list needed).
        recent = defaultdict(int, AlertSent.select(AlertSent.user, fn.COUNT(AlertSent.id)).where(
            AlertSent.sent_at > now - timedelta(hours=1)).group_by(AlertSent.user).tuples())
        return cls(subs, users, set(ids), blocked, done,
                   requirements_for([h.id for h in open_hits if h.has_requirements]), recent, {})


def _push(hit: Hit, aud: _Audience, now: datetime, per_hour: int) -> int:
    """Announce this HIT's group (issue #17) to the workers whose alerts match it: once per group, so a
    batch of 250 is one notice with "250 available", not 250. Who heard of this HIT, or of its group in
    the last FOLD, is skipped (one statement, inside this HIT's transaction, so two sweeps agree)."""
    heard = AlertSent.hit_id == hit.id
    if hit.group_id is not None:  # the day's sent rows (sent_at's index), each HIT by its key: not the group's HITs
        heard |= (AlertSent.sent_at > now - FOLD) & (Hit.group == hit.group_id)
    already = set(AlertSent.select(AlertSent.user).join(Hit, on=(Hit.id == AlertSent.hit_id)).where(heard).tuples())
    rows = []
    for user_id, subs in aud.subs.items():
        if (user_id == hit.requester_id or (hit.requester_id, user_id) in aud.blocked
                or (user_id, hit.id) in aud.done or (user_id,) in already or aud.sent_last_hour[user_id] >= per_hour):
            continue
        sub = next((s for s, flt in subs if matches(flt, hit)), None)
        if sub is None or not _qualified(aud.users[user_id], hit, aud.reqs, now, aud.values):
            continue
        rows.append({"user": user_id, "hit_id": hit.id, "alert": sub.id, "sent_at": now})
    try:
        with db.atomic():
            for i in range(0, len(rows), 200):  # few statements, under every driver's parameter limit
                AlertSent.insert_many(rows[i:i + 200]).execute()
    except IntegrityError:  # another sweep got some of them first: keep only ours
        rows = [r for r in rows if _claim(r)]
    if not rows:
        return 0
    available = 1
    if hit.group_id is not None:  # the group's HITs open to take (a worker does each once): "N HITs available"
        available = Hit.select(fn.COUNT(Hit.id)).where((Hit.group == hit.group_id) & (Hit.status == HitStatus.OPEN)
                                                       & (Hit.available > 0) & (Hit.expires_at > now)).scalar() or 1
    about = {"hit_id": hit.id, "title": hit.title, "reward_cents": hit.reward_cents, "duration_s": hit.duration_s,
             "hourly_cents": hit.hourly_cents, "available": int(available)}
    emit_many("alert.hit", [(r["user"], {**about, "alert_id": r["alert"]}) for r in rows], now=now)
    for r in rows:
        aud.sent_last_hour[r["user"]] += 1
    return len(rows)


def _claim(row: dict) -> bool:
    try:
        with db.atomic():
            AlertSent.create(**row)
        return True
    except IntegrityError:
        return False


def _qualified(worker: User, hit: Hit, reqs: dict, now: datetime, cache: dict[int, dict]) -> bool:
    """Only HITs the worker could accept: an alert for work they can't take is noise."""
    if not hit.has_requirements:
        return True
    pairs = reqs.get(hit.id, [])
    if worker.id not in cache:
        custom = {qt.id for ps in reqs.values() for _, qt in ps if qt.system is None}
        cache[worker.id] = worker_values(worker, now, custom)
    return all(c.passed for c in evaluate(worker, pairs, now, "accept", cache[worker.id]))
