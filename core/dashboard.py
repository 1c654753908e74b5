"""The home screen's figures (/start for someone who has been here before): one read per update.

A worker sees what they earned today, this week and this month (from the ledger: credited approvals
and bonuses), what waits for review and when it is approved at the latest, their approval rate,
the assignments they hold with their deadlines, how many open HITs each saved alert matches now,
and the groups they worked on lately that still have HITs. A requester sees open HITs, submissions
waiting, escrow, balance and this week's spend. Periods start at midnight in the person's time zone.

A bounded number of statements whatever the data: each figure is a SUM(CASE ...) over one query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from peewee import JOIN, Case, fn

from core.errors import NotFound
from core.hits.search import keyword_matches
from core.messages.safety import hidden_requesters
from core.models import (
    Account,
    AccountKind,
    AlertSub,
    Assignment,
    AssignmentStatus as S,
    Entry,
    Hit,
    HitStatus,
    LedgerTxn,
    User,
    WorkerBlock,
)
from core.review import ratings
from core.work.browse import Filters, contains

CHART_DAYS = 7
LIST_MAX = 5  # waiting, active and recent groups: the soonest few (the totals count them all)
RECENT = timedelta(days=7)
_RECENT_SCAN = 200  # the worker's latest assignments looked at for recent groups


@dataclass(frozen=True)
class Period:
    earned_cents: int = 0
    approved: int = 0
    rejected: int = 0

    @property
    def approval_rate(self) -> float | None:
        """Approved of decided, 0..1 (None: nothing decided in the period)."""
        decided = self.approved + self.rejected
        return self.approved / decided if decided else None


@dataclass(frozen=True)
class Waiting:
    hit_id: int
    title: str
    reward_cents: int
    auto_approve_at: datetime | None  # approved by then at the latest, unless the requester decides first


@dataclass(frozen=True)
class Active:
    assignment_id: int
    title: str
    deadline: datetime


@dataclass(frozen=True)
class AlertLine:
    alert_id: int
    filters: Filters
    muted: bool
    open_now: int  # open HITs the worker could take that match the filter (qualifications not checked)


@dataclass(frozen=True)
class RecentGroup:
    hit_id: int  # the group's next HIT for this worker (what Continue previews)
    title: str
    reward_cents: int
    available: int  # HITs of the group the worker has not done, still open


@dataclass(frozen=True)
class WorkerDashboard:
    today: Period
    week: Period
    month: Period
    waiting_n: int
    waiting_cents: int
    waiting: list[Waiting]
    active_n: int
    active: list[Active]
    alerts: list[AlertLine]
    recent: list[RecentGroup]
    days: list[tuple[date, int]]  # the last CHART_DAYS local days' earnings, oldest first


@dataclass(frozen=True)
class RequesterDashboard:
    open_hits: int  # still taking workers
    waiting_review: int
    escrow_cents: int
    balance_cents: int
    spent_week_cents: int  # rewards and fees of approvals this week, and bonuses with their fees
    submissions: list[tuple[date, int]]  # submissions received per local day, oldest first
    ratings: tuple | None = None  # workers' stars and dimensions for them (core.review.ratings.requester_summary)


@dataclass(frozen=True)
class Dashboard:
    timezone: str
    worker: WorkerDashboard | None = None
    requester: RequesterDashboard | None = None
    boundaries: dict[str, datetime] = field(default_factory=dict)  # today / week / month starts, UTC

    @property
    def is_new(self) -> bool:
        """Nothing to show yet: the welcome serves them better."""
        return self.worker is None and self.requester is None


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _boundaries(now: datetime, zone: ZoneInfo, week_starts: int) -> tuple[dict[str, datetime], list[date],
                                                                            list[datetime]]:
    today = now.astimezone(zone).date()
    week = today - timedelta(days=(today.weekday() - week_starts) % 7)
    starts = {"today": _midnight(today, zone), "week": _midnight(week, zone),
              "month": _midnight(today.replace(day=1), zone)}
    days = [today - timedelta(days=CHART_DAYS - 1 - i) for i in range(CHART_DAYS)]
    edges = [_midnight(d, zone) for d in days] + [_midnight(today + timedelta(days=1), zone)]
    return starts, days, edges


def _sum_if(condition, value=1):
    return fn.COALESCE(fn.SUM(Case(None, [(condition, value)], 0)), 0)


def overview(*, user_id: int, now: datetime, week_starts: int = 0) -> Dashboard:
    """Everything the home screen shows. `week_starts`: the reader's first weekday (0 Monday .. 6 Sunday)."""
    has_work = fn.EXISTS(Assignment.select(Assignment.id).where(Assignment.worker == user_id))
    has_hits = fn.EXISTS(Hit.select(Hit.id).where(Hit.requester == user_id))
    has_alerts = fn.EXISTS(AlertSub.select(AlertSub.id).where(AlertSub.user == user_id))
    row = (User.select(User.timezone, has_work.alias("w"), has_hits.alias("h"), has_alerts.alias("a"))
           .where(User.id == user_id).tuples().first())
    if row is None:
        raise NotFound()
    tz_name, worked, posted, alerted = row
    zone = _zone(tz_name)
    starts, days, edges = _boundaries(now, zone, week_starts % 7)
    worker = _worker(user_id, now, starts, days, edges) if worked or alerted else None
    requester = _requester(user_id, now, starts, days, edges) if posted else None
    return Dashboard(timezone=tz_name or "UTC", worker=worker, requester=requester, boundaries=starts)


def _available_account(user_id: int):
    return Account.select(Account.id).where(Account.code == f"available:{user_id}")


def _worker(user_id: int, now: datetime, starts: dict[str, datetime], days: list[date],
            edges: list[datetime]) -> WorkerDashboard:
    earliest = min(starts["month"], starts["week"], edges[0])
    at = LedgerTxn.created_at
    earned = (Entry.select(*[_sum_if(at >= starts[p], Entry.amount_cents) for p in ("today", "week", "month")],
                           *[_sum_if((at >= lo) & (at < hi), Entry.amount_cents) for lo, hi in pairwise(edges)])
              .join(LedgerTxn)
              .where(Entry.account.in_(_available_account(user_id)) & (Entry.amount_cents > 0)
                     & LedgerTxn.kind.in_(("approve", "bonus")) & (at >= earliest))
              .tuples().first())
    decided = Assignment.decided_at
    holding = (Assignment.status == S.ACCEPTED) & (Assignment.deadline > now)
    counts = (Assignment.select(
        *[_sum_if((Assignment.status == status) & (decided >= starts[p]))
          for p in ("today", "week", "month") for status in (S.APPROVED, S.REJECTED)],
        _sum_if(Assignment.status == S.SUBMITTED), _sum_if(Assignment.status == S.SUBMITTED, Hit.reward_cents),
        _sum_if(holding))
        .join(Hit)
        .where((Assignment.worker == user_id)
               & ((Assignment.status.in_((S.APPROVED, S.REJECTED)) & (decided >= min(starts.values())))
                  | (Assignment.status == S.SUBMITTED) | holding))
        .tuples().first())
    periods = [Period(int(earned[i]), int(counts[2 * i]), int(counts[2 * i + 1])) for i in range(3)]
    waiting = [Waiting(a.hit_id, a.hit.title, a.hit.reward_cents, a.auto_approve_at)
               for a in (Assignment.select(Assignment, Hit).join(Hit)
                         .where((Assignment.worker == user_id) & (Assignment.status == S.SUBMITTED))
                         .order_by(Assignment.auto_approve_at, Assignment.id).limit(LIST_MAX))]
    active = [Active(a.id, a.hit.title, a.deadline)
              for a in (Assignment.select(Assignment, Hit).join(Hit).where((Assignment.worker == user_id) & holding)
                        .order_by(Assignment.deadline, Assignment.id).limit(LIST_MAX))]
    return WorkerDashboard(
        today=periods[0], week=periods[1], month=periods[2],
        waiting_n=int(counts[6]), waiting_cents=int(counts[7]), waiting=waiting,
        active_n=int(counts[8]), active=active,
        alerts=_alert_lines(user_id, now), recent=recent_groups(user_id=user_id, now=now),
        days=[(d, int(c)) for d, c in zip(days, earned[3:])],
    )


def _open_for(worker_id: int, now: datetime):
    """Open HITs this worker could take (qualifications aside): the pool alerts and Continue draw from."""
    blocked_by = WorkerBlock.select(WorkerBlock.requester).where(WorkerBlock.worker == worker_id)
    done = Assignment.select(Assignment.hit).where(Assignment.worker == worker_id)
    return ((Hit.status == HitStatus.OPEN) & (Hit.expires_at > now) & (Hit.available > 0)
            & (Hit.requester != worker_id) & Hit.requester.not_in(blocked_by)
            & Hit.requester.not_in(hidden_requesters(worker_id)) & Hit.id.not_in(done))


def _matching(filters: Filters):
    condition = Hit.id > 0
    if filters.min_reward_cents:
        condition &= Hit.reward_cents >= filters.min_reward_cents
    if filters.max_duration_s:
        condition &= Hit.duration_s <= filters.max_duration_s
    if filters.min_hourly_cents:
        condition &= Hit.hourly_cents >= filters.min_hourly_cents
    if filters.keyword:
        condition &= keyword_matches(filters.keyword)
    if filters.words:  # an alert for the worker's skills: any of them
        any_word = None
        for w in filters.words:
            found = contains(Hit.title, w) | contains(Hit.keywords, w)
            any_word = found if any_word is None else any_word | found
        condition &= any_word
    return condition


def _alert_lines(user_id: int, now: datetime) -> list[AlertLine]:
    subs = list(AlertSub.select().where(AlertSub.user == user_id).order_by(AlertSub.id))
    if not subs:
        return []
    filters = [Filters.from_dict(s.filters) for s in subs]
    counts = Hit.select(*[_sum_if(_matching(f)) for f in filters]).where(_open_for(user_id, now)).tuples().first()
    return [AlertLine(s.id, f, s.muted, int(n)) for s, f, n in zip(subs, filters, counts)]


def recent_groups(*, user_id: int, now: datetime, limit: int = LIST_MAX) -> list[RecentGroup]:
    """Groups (core.hits.groups) the worker took HITs of in the last 7 days that still have HITs for them,
    latest first; each with the HIT Continue previews, the one Accept would take next."""
    worked = (Hit.select(Hit.group).join(Assignment, on=(Assignment.hit == Hit.id))
              .where((Assignment.worker == user_id) & (Assignment.accepted_at >= now - RECENT) & Hit.group.is_null(False))
              .order_by(Assignment.accepted_at.desc(), Assignment.id.desc()).limit(_RECENT_SCAN).tuples())
    groups = list(dict.fromkeys(group_id for (group_id,) in worked))
    if not groups:
        return []
    found = {group_id: (first_id, count) for group_id, first_id, count in
             Hit.select(Hit.group, fn.MIN(Hit.id), fn.COUNT(Hit.id))
             .where(_open_for(user_id, now) & Hit.group.in_(groups)).group_by(Hit.group).tuples()}
    chosen = [found[g] for g in groups if g in found][:limit]
    if not chosen:
        return []
    heads = {h.id: h for h in Hit.select(Hit.id, Hit.title, Hit.reward_cents)
             .where(Hit.id.in_([first for first, _ in chosen]))}
    return [RecentGroup(first, heads[first].title, heads[first].reward_cents, count)
            for first, count in chosen if first in heads]


def _requester(user_id: int, now: datetime, starts: dict[str, datetime], days: list[date],
               edges: list[datetime]) -> RequesterDashboard:
    mine = Hit.select(Hit.id).where(Hit.requester == user_id)
    open_hits = (Hit.select(fn.COUNT(Hit.id)).where((Hit.requester == user_id) & (Hit.status == HitStatus.OPEN)
                                                    & (Hit.expires_at > now) & (Hit.available > 0)).scalar() or 0)
    submitted = Assignment.submitted_at
    subs = (Assignment.select(_sum_if(Assignment.status == S.SUBMITTED),
                              *[_sum_if((submitted >= lo) & (submitted < hi)) for lo, hi in pairwise(edges)])
            .where(Assignment.hit.in_(mine) & ((Assignment.status == S.SUBMITTED) | (submitted >= edges[0])))
            .tuples().first())
    code = f"available:{user_id}"
    money = (Account.select(_sum_if(Account.code == code, Account.balance_cents),
                            _sum_if(Account.kind == AccountKind.ESCROW, Account.balance_cents))
             .where((Account.code == code) | ((Account.kind == AccountKind.ESCROW) & Account.hit_id.in_(mine)))
             .tuples().first())
    # What left the requester's hands this week: approvals out of their HITs' escrow, or out of their
    # balance when a rejection was reversed (its escrow was refunded), and bonuses (each with its fee).
    spent = (Entry.select(fn.COALESCE(fn.SUM(Entry.amount_cents), 0)).join(LedgerTxn)
             .switch(Entry).join(Account, JOIN.INNER, on=(Entry.account == Account.id))
             .where((Entry.amount_cents < 0) & (LedgerTxn.created_at >= starts["week"])
                    & (((LedgerTxn.kind == "approve") & (((Account.kind == AccountKind.ESCROW)
                                                           & Account.hit_id.in_(mine)) | (Account.code == code)))
                       | ((LedgerTxn.kind == "bonus") & (Account.code == code))))
             .scalar() or 0)
    return RequesterDashboard(
        open_hits=int(open_hits), waiting_review=int(subs[0]), escrow_cents=int(money[1]),
        balance_cents=int(money[0]), spent_week_cents=-int(spent),
        submissions=[(d, int(c)) for d, c in zip(days, subs[1:])],
        ratings=ratings.requester_summary(requester_id=user_id),
    )
