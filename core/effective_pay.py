"""What a requester's HITs really pay an hour (issue 17), and the operator's floor.

Effective hourly pay of a group (core.hits.groups): its reward over the median work time (accepted to submitted) of its
submitted assignments, once it has MIN_SUBMISSIONS of them; the median, so one worker who left the
HIT open for an hour does not sink the figure. With HITBOT_MIN_HOURLY_CENTS set, a group paying less
is flagged, and publishing a HIT whose own estimate (`estimated_time` in the spec) pays less needs
the requester's confirmation, bound to the rate they saw."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from core.config import get_settings
from core.db import tx
from core.errors import BelowPayFloor, NotAllowed, StaleAction, ValidationFailed
from core.hits import drafts, queries as hit_queries
from core.hits.queries import Item
from core.hits.spec import HitSpec, parse_spec, reward_cents
from core.models import Assignment, AssignmentStatus as S, Hit
from core.payments import accounts
from core.payments.accounts import Balances
from core.texts import Amount

MIN_SUBMISSIONS = 3
_SCAN = 5_000  # the latest submissions looked at per /myhits page


@dataclass(frozen=True)
class GroupPay:
    submissions: int
    median_s: float | None  # None: fewer than MIN_SUBMISSIONS
    hourly_cents: int | None
    below_floor: bool = False


def floor_cents() -> int:
    """The operator's floor in cents an hour (0: off)."""
    return get_settings().min_hourly_cents


def hourly_cents(reward: int, seconds: float) -> int:
    return int(reward * 3600 // max(1.0, seconds))


def pay_of(reward: int, work_s: list[float], floor: int) -> GroupPay:
    """A group's figure from its submissions' work times."""
    if len(work_s) < MIN_SUBMISSIONS:
        return GroupPay(len(work_s), None, None)
    mid = median(work_s)
    hourly = hourly_cents(reward, mid)
    return GroupPay(len(work_s), mid, hourly, bool(floor) and hourly < floor)


def _key(hit: Hit, *, batch_item: bool = False) -> tuple:
    """Which figure a submission counts towards: a batch item's (its HITs, whatever their groups), or a
    HIT's group (core.hits.groups: the requester's HITs of one type)."""
    if batch_item:
        return ("batch", hit.batch_id)
    return ("group", hit.group_id) if hit.group_id is not None else ("hit", hit.id)


def group_pay(*, requester_id: int, items: list[Item]) -> list[GroupPay]:
    """Each item's figure: a batch's over its HITs, a single HIT's over its group."""
    if not items:
        return []
    floor = floor_cents()
    batch_ids = [item.batch.id for item in items if item.batch is not None]
    group_ids = [item.hit.group_id for item in items if item.hit is not None and item.hit.group_id is not None]
    loose = [item.hit.id for item in items if item.hit is not None and item.hit.group_id is None]
    condition = Hit.batch.in_(batch_ids) | Hit.group.in_(group_ids) | Hit.id.in_(loose)
    times: dict[tuple, list[float]] = {}
    rewards: dict[tuple, int] = {}
    rows = (Assignment.select(Assignment.accepted_at, Assignment.submitted_at, Hit.id, Hit.batch, Hit.group,
                              Hit.reward_cents).join(Hit)
            .where((Hit.requester == requester_id) & Assignment.submitted_at.is_null(False)
                   & Assignment.status.in_((S.SUBMITTED, S.APPROVED, S.REJECTED)) & condition)
            .order_by(Assignment.id.desc()).limit(_SCAN))
    for a in rows:
        seconds = (a.submitted_at - a.accepted_at).total_seconds()
        keys = {_key(a.hit)} | ({_key(a.hit, batch_item=True)} if a.hit.batch_id in batch_ids else set())
        for key in keys:
            times.setdefault(key, []).append(seconds)
            rewards[key] = a.hit.reward_cents
    out = []
    for item in items:
        key = ("batch", item.batch.id) if item.batch is not None else _key(item.hit)
        out.append(pay_of(rewards.get(key, 0), times.get(key, []), floor))
    return out


@dataclass(frozen=True)
class MyHits:
    """What /myhits shows: a page of HITs and batches, each with its group's effective pay, and the balance."""

    items: list[Item]
    more: bool
    balances: Balances
    pay: list[GroupPay]
    floor_cents: int


def my_hits(*, requester_id: int, page: int = 0) -> MyHits:
    items, more = hit_queries.my_items(requester_id=requester_id, page=page)
    return MyHits(items, more, accounts.balances(user_id=requester_id),
                  group_pay(requester_id=requester_id, items=items), floor_cents())


def estimate_below_floor(spec: HitSpec) -> int | None:
    """The hourly pay a spec's own estimate (estimated_time) promises when it is below the floor; None if not."""
    floor, seconds = floor_cents(), spec.estimated_s
    if not floor or not seconds:
        return None
    hourly = hourly_cents(reward_cents(spec.reward), seconds)
    return hourly if hourly < floor else None


def batch_below_floor(template: dict, specs: Sequence[HitSpec] = ()) -> BelowPayFloor | None:
    """A /batch whose own estimates pay below the floor: the refusal its summary shows with "Publish
    anyway" at the lowest rate among its rows (hourly_cents: the rate confirmed); None if none does.
    `specs` are the rows' specs as checked (a ${column} reward or estimate is each row's own)."""
    if not floor_cents():
        return None
    if specs:
        rates = [rate for rate in (estimate_below_floor(spec) for spec in specs) if rate is not None]
    else:
        try:
            rates = [rate] if (rate := estimate_below_floor(parse_spec(template, web_tasks=True))) is not None else []
        except ValidationFailed:
            return None
    if not rates:
        return None
    hourly = min(rates)
    currency = get_settings().currency
    return BelowPayFloor(hourly=Amount(hourly, currency), floor=Amount(floor_cents(), currency), hourly_cents=hourly,
                         draft_id=0)


def publish_draft(*, user_id: int, draft_id: int, now: datetime, confirmed_hourly_cents: int | None = None) -> Hit:
    """Publish a /newhit draft, behind the floor: an estimate paying below it raises BelowPayFloor
    until the requester confirms that very rate (a confirmation of another rate, the draft since edited,
    is stale)."""
    with tx():
        try:
            draft = drafts.owned_draft(user_id, draft_id)
        except StaleAction:
            if confirmed_hourly_cents is None:
                raise
            raise NotAllowed() from None  # the confirmation of a draft published or cancelled since
        ready = floor_cents() and draft.step == "preview"  # else drafts.publish says what is missing
        hourly = estimate_below_floor(drafts.spec_of(draft)) if ready else None
        if hourly is not None and confirmed_hourly_cents != hourly:
            if confirmed_hourly_cents is not None:
                raise NotAllowed()
            currency = get_settings().currency
            raise BelowPayFloor(hourly=Amount(hourly, currency), floor=Amount(floor_cents(), currency),
                                hourly_cents=hourly, draft_id=draft.id)
        return drafts.publish(user_id=user_id, draft_id=draft_id, now=now)


@dataclass(frozen=True)
class ItemPay:
    """One HIT's or batch's card in /myhits, with its group's effective pay."""

    item: Item
    pay: GroupPay
    floor_cents: int


def hit_card(*, requester_id: int, hit_id: int) -> ItemPay:
    item = hit_queries.hit_item(requester_id=requester_id, hit_id=hit_id)
    return ItemPay(item, group_pay(requester_id=requester_id, items=[item])[0], floor_cents())


def batch_card(*, requester_id: int, batch_id: int) -> ItemPay:
    item = hit_queries.batch_item(requester_id=requester_id, batch_id=batch_id)
    return ItemPay(item, group_pay(requester_id=requester_id, items=[item])[0], floor_cents())
