"""Finding work: filtered, sorted, keyset-paginated lists of open HITs, a HIT's preview, and the
worker's browse session (the remembered filter and the page cursors of the list they are paging
through, kept in the user's prefs so any bot replica, or the same one after a restart, continues
where the worker was)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from peewee import JOIN, fn

from core.config import get_settings
from core.db import is_sqlite, tx
from core.errors import NotFound, StaleAction, ValidationFailed
from core.hits.search import few_matches, hit_in, keyword_matches, like_pattern, pattern_matches
from core.messages.safety import RequesterBlockedByYou, hidden_requesters
from core.models import (
    WEB_KIND,
    Assignment,
    AssignmentStatus,
    Hit,
    HitGroup,
    HitStatus,
    Question,
    RequesterBlock,
    User,
    WorkerBlock,
)
from core.prepared import Prepared, param
from core.quals.requests import Offer, offers as qual_offers
from core.quals.rules import Check, evaluate, requirements_for, worker_values
from core.review.reputation import RequesterStats, requester_stats
from core.texts import N_
from core.users.commands import get_user, set_pref, write_prefs
from core.webtasks.tokens import preview_url
from core.work.queries import questions_of_hit

# Browse lists HIT groups (issue #17): what it sorts on is the group's (core.hits.groups).
SORTS = {
    "newest": HitGroup.newest_hit_id,
    "reward": HitGroup.reward_cents,
    "hourly": HitGroup.hourly_cents,
    "available": HitGroup.available,
    "rating": HitGroup.requester_score,
    "foryou": HitGroup.newest_hit_id,  # ranked by the worker's skills and interests first (for_you_score)
}
MAX_PAGE = 50
PREF = "browse"
PAGE_SIZE = 8
MAX_PAGES = 25  # deeper than this, a narrower filter serves better (and prefs stay small)
MAX_KEYWORD = 64
MAX_WORDS = 20  # an alert's words (a worker's skills and interests: 10 + 10)
_RANK_STEP = 10**12  # "For you" orders by matches, then newest: one number, matches * step + newest HIT id
_MAX_ROUNDS = 5  # bounded refills when requirements hide rows


@dataclass
class Filters:
    min_reward_cents: int = 0
    max_duration_s: int = 0  # 0: any
    min_hourly_cents: int = 0
    keyword: str = ""
    qualified_only: bool = False
    sort: str = "newest"
    words: list[str] = field(default_factory=list)  # any of them in the title or keywords (an alert's skills)

    def __post_init__(self) -> None:
        if not isinstance(self.words, list):
            raise ValidationFailed(N_("That filter value is too large."))
        self.words = list(dict.fromkeys(str(w).strip().lower() for w in self.words if str(w).strip()))
        if len(self.words) > MAX_WORDS or any(len(w) > MAX_KEYWORD for w in self.words):
            raise ValidationFailed(N_("That filter value is too large."))
        if self.sort not in SORTS:
            raise ValidationFailed(N_("Sort by one of: {sorts}."), sorts=", ".join(SORTS))
        if min(self.min_reward_cents, self.max_duration_s, self.min_hourly_cents) < 0:
            raise ValidationFailed(N_("Filter values can't be negative."))
        if max(self.min_reward_cents, self.min_hourly_cents) > 10**9 or self.max_duration_s > 10**7:
            raise ValidationFailed(N_("That filter value is too large."))
        self.keyword = (self.keyword or "").strip().lower()
        if len(self.keyword) > MAX_KEYWORD:
            raise ValidationFailed(N_("Keywords can have at most {max_keyword} characters."), max_keyword=MAX_KEYWORD)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Filters:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except (TypeError, ValidationFailed):
            return cls()


class _GroupFigures:
    """What a list entry and a preview show of pay and time: the group's figures, or the HIT's own when it
    has no group. Needs `hit` and `group` attributes."""

    hit: Hit
    group: HitGroup | None

    @property
    def hourly_cents(self) -> int:
        return self.group.hourly_cents if self.group is not None else self.hit.hourly_cents

    @property
    def hourly_is_estimate(self) -> bool:
        """True once the hourly rate comes from real work times (3 submissions in the group)."""
        return self.group.hourly_is_estimate if self.group is not None else self.hit.hourly_is_estimate

    @property
    def submissions(self) -> int:
        return self.group.work_n if self.group is not None else self.hit.work_n

    @property
    def estimated_s(self) -> int | None:
        """The requester's own estimate of the work time (shown as theirs until real times exist)."""
        return self.group.estimated_s if self.group is not None else None


@dataclass
class Card(_GroupFigures):
    """One entry of the list: a HIT group, shown by the HIT Accept would take next."""

    hit: Hit  # the group's next HIT for this worker
    requester: User
    web: bool = False  # a web task (HTMLQuestion, ExternalQuestion): done on its page
    group: HitGroup | None = None
    available: int = 0  # the group's open slots (the group is listed only if the worker could take one)


@dataclass
class Page:
    cards: list[Card] = field(default_factory=list)
    next_cursor: str | None = None


def _eligible(worker_id, now):
    """A HIT of the group being looked at that this worker could take now: open, a free slot, not one they did."""
    done = Assignment.select(Assignment.hit).where((Assignment.worker == worker_id)
                                                   & (Assignment.status != AssignmentStatus.RETURNED))
    return ((Hit.group == HitGroup.id) & (Hit.status == HitStatus.OPEN) & (Hit.available > 0)
            & (Hit.expires_at > now) & Hit.id.not_in(done))


def next_hit(worker_id, now, keyword: str = "", match=None):
    """The id of the HIT of the group being looked at that Accept would take for this worker: one with
    a free slot they have not done (matching the keyword, if any), found in the order of the group's
    index (fewest free slots, then oldest), so it stops at the first, however big the group."""
    live = _eligible(worker_id, now)
    if keyword:
        live &= keyword_matches(keyword)
    if match is not None:  # a keyword's condition already built (a prepared query's)
        live &= match
    return Hit.select(Hit.id).where(live).order_by(Hit.available, Hit.id).limit(1)


_NEXT = Hit.alias("next_hit")  # a listed group's HIT that Accept would take


def _groups_for(worker_id, now, keyword: str = "", match=None):
    blocked_by = WorkerBlock.select(WorkerBlock.requester).where(WorkerBlock.worker == worker_id)
    few = few_matches(keyword) if keyword and match is None else None
    if few is not None:  # SQLite's trigram index named the few HITs with the word: only their groups, no scan
        nxt = next_hit(worker_id, now, match=hit_in(few))
        mine = HitGroup.id.in_(Hit.select(Hit.group).where(hit_in(few)))
    else:
        nxt = next_hit(worker_id, now, keyword, match)
        mine = True
    # The group's next HIT joined by the subquery that finds it (a group without one drops out), and
    # whether it is a web task: the page's groups, their HITs and web flags in one statement.
    web = fn.EXISTS(Question.select(Question.id).where((Question.hit == _NEXT.id) & (Question.kind == WEB_KIND)))
    return (HitGroup.select(HitGroup, User, _NEXT, web.alias("web")).join(User, on=(HitGroup.requester == User.id))
            .switch(HitGroup).join(_NEXT, on=(_NEXT.id == nxt), attr="next_hit")
            .where((HitGroup.expires_at > now) & (HitGroup.requester != worker_id)
                   & HitGroup.requester.not_in(blocked_by) & HitGroup.requester.not_in(hidden_requesters(worker_id))
                   & mine))


def interest_terms(worker: User) -> list[str]:
    """The worker's profile skills and interests (core.review.quality.set_profile), lower-case, once each."""
    profile = (worker.prefs or {}).get("profile") or {}
    items = [*(profile.get("skills") or []), *(profile.get("interests") or [])]
    return list(dict.fromkeys(str(i).strip().lower() for i in items if str(i).strip()))[:MAX_WORDS]


def contains(column, word: str):
    """`column` holds `word` (lower-case), case-insensitively, '%' and '_' as text."""
    if is_sqlite():
        return fn.hitbot_contains(column, word) if not word.isascii() else fn.instr(fn.lower(column), word) > 0
    return column ** like_pattern(word)


_LEAD = Hit.alias("lead")  # the group's newest HIT: its title and keywords speak for the group


FOR_YOU_POOL = 300  # the newest groups "For you" ranks; older ones follow, newest first


class _ForYou:
    """The "For you" order: the FOR_YOU_POOL newest live groups by how many of the worker's terms their
    newest HIT's title or keywords hold, then by newest; after them every older group, newest first.
    One number orders and keyset-pages it all: matches * _RANK_STEP + newest HIT id in the pool, the
    newest HIT id after it (so a cursor below the pool's floor is in the tail). The pool is read in one
    indexed statement and ranked here (a case fold that knows every script); the worker's checks then
    run on a window of it at a time, and the tail walks the newest index: a page's cost stays flat
    however many groups are open."""

    def __init__(self, base, terms: list[str], now: datetime) -> None:
        newest = HitGroup.newest_hit_id
        self.base = base
        self.floor: int | None = None  # no terms: the newest order, all of it the tail
        self.scored: list[tuple[int, int]] = []  # (score, group id), best first
        self.tail = base.select_extend(newest.alias("sort_value"))
        if terms:
            lead = list(HitGroup.select(HitGroup.id, newest, _LEAD.title, _LEAD.keywords)
                        .join(_LEAD, on=(_LEAD.id == newest)).where(HitGroup.expires_at > now)
                        .order_by(newest.desc(), HitGroup.id.desc()).limit(FOR_YOU_POOL).tuples())
            self.floor = lead[-1][1] if len(lead) == FOR_YOU_POOL else 0
            self.scored = sorted(((_matches(terms, title, keywords) * _RANK_STEP + newest_id, group_id)
                                  for group_id, newest_id, title, keywords in lead), reverse=True)
            self.tail = self.tail.where(newest < self.floor)
        self.tail = self.tail.order_by(newest.desc(), HitGroup.id.desc())

    def rows(self, position: tuple | None, want: int) -> list[HitGroup]:
        rows: list[HitGroup] = []
        if self.floor is not None and (position is None or position[0] >= self.floor):
            left = [sg for sg in self.scored if position is None or sg < tuple(position)]
            window = max(2 * want, 20)
            for i in range(0, len(left), window):
                score_of = {group_id: score for score, group_id in left[i:i + window]}
                found = list(self.base.where(HitGroup.id.in_(list(score_of))))
                for group in found:
                    group.sort_value = score_of[group.id]
                rows += sorted(found, key=lambda g: (g.sort_value, g.id), reverse=True)
                if len(rows) >= want:
                    return rows[:want]
            position = None  # the tail follows the pool
        return rows + list(_after(self.tail, HitGroup.newest_hit_id, position).limit(want - len(rows)))


def _matches(terms: list[str], title: str, keywords: str) -> int:
    text = f"{title}\n{keywords}".casefold()
    return sum(1 for term in terms if term.casefold() in text)


def _parse_cursor(cursor: str) -> tuple[int, int]:
    try:
        value, group_id = cursor.split(":")
        return int(value), int(group_id)
    except ValueError:
        raise ValidationFailed(N_("That page link is no longer valid.")) from None


def list_open_hits(*, worker_id: int, filters: Filters, now: datetime, after: str | None = None,
                   limit: int = 10, worker: User | None = None) -> Page:
    """Open HIT groups this worker could take a HIT of, best first by `filters.sort`, `limit` at a time;
    each card is the HIT Accept would take next, with how many the worker could take.

    Keyset pagination over groups: `after` is the previous page's next_cursor, so a page costs the
    same however deep the worker scrolls. `worker`: the worker's row when the caller already read it."""
    limit = max(1, min(limit, MAX_PAGE))
    worker = worker if worker is not None and worker.id == worker_id else get_user(worker_id)
    column = SORTS[filters.sort]
    value_of = column.name
    stage = "accept" if filters.qualified_only else "discover"
    cards: list[Card] = []
    position = _parse_cursor(after) if after else None
    exhausted = False
    # SQLite finds a keyword's HITs in its FTS table first (their ids go into the query): built each time.
    built_each_time = (filters.keyword and is_sqlite()) or filters.sort == "foryou"  # For you: the worker's words
    plain = _plain_list(filters, column, position is not None) if not built_each_time else None
    query = for_you = None
    if plain is None:
        query = _groups_for(worker_id, now, filters.keyword)
        if filters.min_reward_cents:
            query = query.where(HitGroup.reward_cents >= filters.min_reward_cents)
        if filters.max_duration_s:
            query = query.where(HitGroup.duration_s <= filters.max_duration_s)
        if filters.min_hourly_cents:
            query = query.where(HitGroup.hourly_cents >= filters.min_hourly_cents)
        for_you = _ForYou(query, interest_terms(worker), now) if filters.sort == "foryou" else None
        if for_you is not None:
            value_of = "sort_value"
        query = query.order_by(column.desc(), HitGroup.id.desc())
    pattern = like_pattern(filters.keyword) if filters.keyword else None
    for _ in range(_MAX_ROUNDS):
        want = limit + 1 - len(cards)
        if for_you is not None:
            rows = for_you.rows(position, want)
        elif plain is not None:  # the same query, built once
            rows = plain.rows(worker_id=worker_id, now=now, min_reward=filters.min_reward_cents,
                              max_duration=filters.max_duration_s, min_hourly=filters.min_hourly_cents, limit=want,
                              value=position[0] if position else None, after_id=position[1] if position else None,
                              pattern=pattern)
        else:
            rows = list(_after(query, column, position).limit(want))
        cards.extend(_visible(worker, _with_next_hits(rows), now, stage))
        if len(rows) < want:
            exhausted = True
            break
        position = (getattr(rows[-1], value_of), rows[-1].id)
        if len(cards) > limit:
            break
    if len(cards) > limit:
        cards = cards[:limit]
        return Page(cards, f"{getattr(cards[-1].group, value_of)}:{cards[-1].group.id}")
    # Requirements hid many rows: hand back what we have and where scanning stopped.
    return Page(cards, None if exhausted else f"{position[0]}:{position[1]}")


# Without a keyword, one query per filter shape (which filters are set, the sort, the first page or
# a later one), built once (core.prepared), the filter's values as parameters.
_LISTS: dict[tuple, Prepared] = {}


def _plain_list(filters: Filters, column, paging: bool) -> Prepared:
    shape = (filters.sort, bool(filters.min_reward_cents), bool(filters.max_duration_s),
             bool(filters.min_hourly_cents), paging, bool(filters.keyword))
    found = _LISTS.get(shape)
    if found is None:
        # Planned once per connection, but not with a keyword: its plan depends on the word (trigram index or not).
        found = _LISTS[shape] = Prepared(lambda: _build_plain_list(shape, column), planned=not filters.keyword)
    return found


def _build_plain_list(shape: tuple, column):
    _, reward, duration, hourly, paging, keyword = shape
    match = pattern_matches(param("pattern")) if keyword else None  # PostgreSQL's ILIKE (pg_trgm)
    query = _groups_for(param("worker_id"), param("now", HitGroup.expires_at), match=match)
    if reward:
        query = query.where(HitGroup.reward_cents >= param("min_reward"))
    if duration:
        query = query.where(HitGroup.duration_s <= param("max_duration"))
    if hourly:
        query = query.where(HitGroup.hourly_cents >= param("min_hourly"))
    query = query.order_by(column.desc(), HitGroup.id.desc())
    if paging:
        query = _after(query, column, (param("value"), param("after_id")))
    return query.limit(param("limit"))


def _with_next_hits(rows: list[HitGroup]) -> list[tuple[HitGroup, Hit, int]]:
    """Each group with the HIT the worker would take next (read with the group) and its open slots."""
    return [(g, g.next_hit, max(0, g.available)) for g in rows]


def _after(query, column, position: tuple | None):
    if position is None:
        return query
    value, group_id = position
    return query.where((column < value) | ((column == value) & (HitGroup.id < group_id)))


def _visible(worker: User, rows: list[tuple[HitGroup, Hit, int]], now: datetime, stage: str) -> list[Card]:
    gated = [h.id for _, h, _ in rows if h.has_requirements]
    reqs = requirements_for(gated)
    values = None
    if gated:
        custom = {qt.id for pairs in reqs.values() for _, qt in pairs if qt.system is None}
        values = worker_values(worker, now, custom)
    visible = []
    for group, hit, slots in rows:
        if hit.has_requirements and not all(c.passed for c in evaluate(worker, reqs.get(hit.id, []), now, stage, values)):
            continue
        visible.append(Card(hit, group.requester, bool(group.web), group, slots))
    return visible


@dataclass
class Preview(_GroupFigures):
    hit: Hit
    requester: User
    questions: list[Question]
    checks: list[Check]
    done_before: bool
    stats: RequesterStats | None = None  # the requester's reputation, shown with the HIT
    worker: User | None = None  # the worker's row (their timezone)
    holding_id: int | None = None  # the worker's assignment of this HIT they are still answering
    group: HitGroup | None = None  # the HIT's group (issue #17): Accept takes its next HIT
    group_available: int = 0  # the group's open slots, 0 if this worker could take none of them
    qual_offers: list[Offer] = field(default_factory=list)  # failed requirements the worker may request (issue 18)
    pay_floor_cents: int = 0  # the operator's minimum hourly pay (HITBOT_MIN_HOURLY_CENTS), 0: none

    @property
    def below_floor(self) -> bool:
        return bool(self.pay_floor_cents) and self.hourly_cents < self.pay_floor_cents

    @property
    def can_accept(self) -> bool:
        """Whether Accept would find a HIT: this one, or another of its group the worker has not done."""
        return self.group_available > 0 if self.group is not None else self.open and not self.done_before

    @property
    def qualified(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def open(self) -> bool:
        return self.hit.status == HitStatus.OPEN and self.hit.available > 0

    @property
    def page_url(self) -> str | None:
        """A web task's page before Accept (MTurk's preview: assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE)."""
        if not any(q.kind == WEB_KIND for q in self.questions):
            return None
        return preview_url(self.hit.id)


_VIEWER = User.alias("viewer")  # the worker looking at a preview


def _preview():
    """The HIT with its requester, the worker's own row, whether either side blocked the other, the worker's
    assignment of it, and its group with whether the worker could take one of the group's HITs now: one read."""
    blocked = WorkerBlock.select(WorkerBlock.id).where((WorkerBlock.requester == Hit.requester)
                                                       & (WorkerBlock.worker == param("worker_id")))
    theirs = RequesterBlock.select(RequesterBlock.id).where((RequesterBlock.worker == param("worker_id"))
                                                            & (RequesterBlock.requester == Hit.requester))
    mine = (Assignment.hit == Hit.id) & (Assignment.worker == param("worker_id"))
    takeable = fn.EXISTS(next_hit(param("worker_id"), param("now", Hit.expires_at)))
    return (Hit.select(Hit, User, _VIEWER, fn.EXISTS(blocked).alias("blocked_worker"),
                       fn.EXISTS(theirs).alias("blocked_requester"), Assignment.id, Assignment.status, HitGroup,
                       takeable.alias("group_takeable"))
            .join(User, on=(Hit.requester == User.id)).switch(Hit)
            .join(_VIEWER, JOIN.LEFT_OUTER, on=(_VIEWER.id == param("worker_id")), attr="viewer").switch(Hit)
            .join(Assignment, JOIN.LEFT_OUTER, on=mine, attr="mine").switch(Hit)
            .join(HitGroup, JOIN.LEFT_OUTER, on=(Hit.group == HitGroup.id), attr="in_group")
            .where(Hit.id == param("hit_id")).limit(1))


_PREVIEW = Prepared(_preview, planned=True)  # built once, planned once (core.prepared)


def preview(*, worker_id: int, hit_id: int, now: datetime) -> Preview:
    """What a worker sees before accepting. Hidden HITs look the same as missing ones."""
    hit = _PREVIEW.first(worker_id=worker_id, hit_id=hit_id, now=now)
    worker = getattr(hit, "viewer", None) or get_user(worker_id)  # (not registered: "send /start first")
    if hit is None or (hit.requester_id != worker_id and hit.blocked_worker):
        raise NotFound(N_("This HIT doesn't exist or is no longer available."))
    if hit.blocked_requester:  # the worker blocked this requester: say so
        raise RequesterBlockedByYou()
    reqs = requirements_for([hit.id]).get(hit.id, []) if hit.has_requirements else []
    if not all(c.passed for c in evaluate(worker, reqs, now, "preview")):
        raise NotFound(N_("This HIT doesn't exist or is no longer available."))
    checks = evaluate(worker, reqs, now, "accept")
    questions = questions_of_hit(hit.id)
    assignment = getattr(hit, "mine", None)
    holding = assignment.id if assignment is not None and assignment.status == AssignmentStatus.ACCEPTED else None
    if hit.expires_at <= now and hit.status == HitStatus.OPEN:
        hit.status = HitStatus.CLOSED  # the sweep will close it; show it as closed now
    stats = requester_stats(user_id=hit.requester_id, user=hit.requester)
    group = getattr(hit, "in_group", None) if hit.group_id is not None else None
    slots = max(0, group.available) if group is not None and hit.group_takeable else 0
    asks = qual_offers(worker_id=worker_id, requester_id=hit.requester_id, checks=checks, now=now)
    return Preview(hit, hit.requester, questions, checks, assignment is not None, stats, worker, holding, group, slots,
                   asks, get_settings().min_hourly_cents)


def group_slots(*, worker_id: int, group_id: int | None, now: datetime) -> tuple[HitGroup | None, int]:
    """A group, and its open slots if this worker could take one of them now, else 0 (one statement)."""
    if group_id is None:
        return None, 0
    group = (HitGroup.select(HitGroup, fn.EXISTS(next_hit(worker_id, now)).alias("takeable"))
             .where(HitGroup.id == group_id).first())
    if group is None:
        return None, 0
    return group, max(0, group.available) if group.takeable else 0


# The worker's browse session ---------------------------------------------------------------

@dataclass
class BrowsePage:
    filters: Filters
    page: Page
    number: int  # 0-based
    interests: list[str] = field(default_factory=list)  # the worker's skills and interests ("For you" ranks by them)

    @property
    def has_prev(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.page.next_cursor is not None and self.number + 1 < MAX_PAGES


def _session(user_id: int, user: User | None = None) -> tuple[Filters, list[str]]:
    data = ((user or get_user(user_id)).prefs or {}).get(PREF) or {}
    cursors = data.get("c") if isinstance(data.get("c"), list) else []
    return Filters.from_dict(data.get("f")), [c for c in cursors if isinstance(c, str)][:MAX_PAGES]


def current_filters(*, worker_id: int) -> Filters:
    return _session(worker_id)[0]


def set_filters(*, worker_id: int, filters: Filters) -> Filters:
    """Remember a new filter; paging starts again from the first page."""
    set_pref(user_id=worker_id, key=PREF, value={"f": filters.as_dict(), "c": []})
    return filters


def browse_page(*, worker_id: int, number: int, now: datetime, limit: int = PAGE_SIZE,
                prefs_for: Callable[[dict], dict] | None = None) -> BrowsePage:
    """Page `number` of the open HITs under the worker's remembered filter.

    Pages are reached one step at a time (Next records where the next page starts),
    so a page never seen, or one from a filter since changed, is a stale button.
    `prefs_for`: further preference changes, computed from the worker's prefs as read, stored in the
    same write (the bot ends a pending prompt this way)."""
    # The worker's row read once: the filter, the requirements, the cursors written back; only their
    # own paging and prompt change, so the commit does not wait for the disk (core.db.tx).
    with tx(durable=False):
        worker = get_user(worker_id)
        changes = prefs_for(worker.prefs or {}) if prefs_for is not None else {}
        filters, cursors = _session(worker_id, worker)
        if not 0 <= number < MAX_PAGES or number > len(cursors):
            raise StaleAction()
        after = cursors[number - 1] if number else None
        page = list_open_hits(worker_id=worker_id, filters=filters, now=now, after=after, limit=limit, worker=worker)
        kept = cursors[:number] + ([page.next_cursor] if page.next_cursor else [])
        if kept != cursors:
            changes[PREF] = {"f": filters.as_dict(), "c": kept}
        if changes:
            write_prefs(worker, changes, force=PREF in changes)
    return BrowsePage(filters, page, number, interest_terms(worker))
