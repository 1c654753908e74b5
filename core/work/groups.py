"""Working through a HIT group (issue #17): Accept takes the group's next HIT the worker has not
done, "Next in this group" after a Submit, "Skip" (return this one, take the next), and the
worker's auto-next setting (submit, and the next HIT's first question follows).

Each taking is atomic as Accept is: a conditional UPDATE takes a free slot of one HIT, so of two
workers reaching for a group's last slot one gets it and the other the next HIT, or GroupEmpty."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError, fn

from core.db import tx
from core.errors import AlreadyAccepted, HitbotError, HitUnavailable, NotAllowed, NotFound, NotQualified, WorkerBlocked
from core.messages.safety import RequesterBlockedByYou
from core.models import Assignment, AssignmentStatus as S, Hit, HitGroup, HitStatus, RequesterBlock, User, WorkerBlock
from core.mturk import notifications
from core.quals.rules import evaluate, requirements_for
from core.texts import N_, Joined
from core.users.commands import get_user, set_pref
from core.work import commands as work
from core.work.queries import WorkState, owned_assignment, questions_of

AUTO_NEXT = "auto_next"  # the worker's setting, in their prefs
_CANDIDATES = 5  # HITs tried per round when others take slots at the same moment
_ROUNDS = 3


class GroupEmpty(HitUnavailable):
    """Raised when a group has no HIT left that the worker could take (all taken, expired, or done by them)."""

    default = N_("No more HITs in this group for you right now: they are all taken or done. Find more with /browse.")


def auto_next(worker: User | None) -> bool:
    return bool(((worker.prefs if worker is not None else None) or {}).get(AUTO_NEXT))


def set_auto_next(*, worker_id: int, on: bool) -> bool:
    """The worker's auto-next setting: after a Submit, the group's next HIT is taken at once."""
    set_pref(user_id=worker_id, key=AUTO_NEXT, value=bool(on))
    return bool(on)


def _candidates(worker_id: int, group_id: int, now: datetime, skip: set[int], *, returned: bool):
    """The group's HITs the worker could take, in the group index's order (fewest free slots, then oldest),
    so a big group costs no more; one they returned (Skip) only in the second pass (`returned`). Each
    with whether either side blocked the other, so the usual take reads nothing else."""
    mine = Assignment.select(Assignment.hit).where(Assignment.worker == worker_id)
    if returned:
        mine = mine.where(Assignment.status != S.RETURNED)
    returned_before = fn.EXISTS(Assignment.select(Assignment.id).where((Assignment.hit == Hit.id)
                                                                       & (Assignment.worker == worker_id)))
    blocked_worker = fn.EXISTS(WorkerBlock.select(WorkerBlock.id).where((WorkerBlock.requester == Hit.requester)
                                                                        & (WorkerBlock.worker == worker_id)))
    blocked_requester = fn.EXISTS(RequesterBlock.select(RequesterBlock.id).where(
        (RequesterBlock.worker == worker_id) & (RequesterBlock.requester == Hit.requester)))
    query = (Hit.select(Hit, notifications.listening(Hit.requester).alias("api_listening"),
                        returned_before.alias("returned_before"), blocked_worker.alias("blocked_worker"),
                        blocked_requester.alias("blocked_requester"))
             .where((Hit.group == group_id) & (Hit.status == HitStatus.OPEN) & (Hit.available > 0)
                    & (Hit.expires_at > now) & Hit.id.not_in(mine)))
    if skip:
        query = query.where(Hit.id.not_in(list(skip)))
    return list(query.order_by(Hit.available, Hit.id).limit(_CANDIDATES))


def _refuse(worker: User, hit: Hit) -> None:
    """Who may not take this group's HITs at all: its requester, a banned or blocked worker, a blocked requester."""
    if hit.requester_id == worker.id:
        raise NotAllowed(N_("You can't work on your own HIT."))
    if worker.banned or hit.blocked_worker:
        raise WorkerBlocked()
    if hit.blocked_requester:
        raise RequesterBlockedByYou()


def _take(worker: User, group_id: int, now: datetime, prefs: work.PrefsFor | None,
          skip: frozenset[int] = frozenset()) -> WorkState:
    tried: set[int] = set(skip)
    checked = False
    returned = False  # first the HITs they never took; then the ones they returned
    first_failed: list | None = None
    verdicts: dict[tuple, list] = {}  # the same requirements checked once (a group's HITs mostly share them)
    for _ in range(2 * _ROUNDS):
        hits = _candidates(worker.id, group_id, now, tried, returned=returned)
        if not hits:
            if returned:
                break
            returned = True
            continue
        if not checked:  # one group: one requester
            _refuse(worker, hits[0])
            checked = True
        # Each candidate's own requirements: a HIT may have moved to other ones (UpdateHITTypeOfHIT), and a
        # lost race for one HIT must not pass the next unchecked.
        reqs = requirements_for([h.id for h in hits if h.has_requirements])
        for hit in hits:
            tried.add(hit.id)
            if hit.has_requirements:
                mine_reqs = reqs.get(hit.id, [])
                shape = tuple((r.qtype_id, r.comparator, repr(r.values), r.guard) for r, _ in mine_reqs)
                if shape not in verdicts:
                    verdicts[shape] = [c for c in evaluate(worker, mine_reqs, now) if not c.passed]
                if verdicts[shape]:
                    first_failed = first_failed or verdicts[shape]
                    continue
            if hit.returned_before:  # taking back one they returned: Accept's own way (it reuses the row)
                try:
                    return work.accept_hit(worker_id=worker.id, hit_id=hit.id, now=now, prefs=prefs)
                except HitUnavailable:
                    continue
            if work._TAKE_SLOT.rowcount(hit_id=hit.id, now=now) != 1:
                continue  # another worker took its last slot a moment ago: the next one
            deadline = now + timedelta(seconds=hit.duration_s)
            try:  # the same worker's concurrent take: the unique index refuses, the whole transaction rolls back
                new_id = work._NEW_ASSIGNMENT.insert(hit_id=hit.id, worker_id=worker.id, now=now, deadline=deadline)
            except IntegrityError:
                raise AlreadyAccepted() from None
            assignment = Assignment(id=new_id, hit=hit.id, worker=worker.id, status=S.ACCEPTED, accepted_at=now,
                                    deadline=deadline, submitted_at=None, auto_approve_at=None, decided_at=None,
                                    feedback=None, current_q=0, reminded=False)
            hit.available -= 1
            notifications.hit_event(hit, "AssignmentAccepted", now, assignment_id=new_id,
                                    heard=bool(hit.api_listening))
            state = WorkState(assignment, hit, questions_of(assignment), {}, worker=worker, created=True)
            work._store_prefs(state, prefs)
            return state
    if not checked and not HitGroup.select().where(HitGroup.id == group_id).exists():
        raise NotFound(N_("This HIT doesn't exist or is no longer available."))  # a forged button
    if first_failed:
        raise NotQualified(N_("You don't meet this HIT's requirements: {requirements}."),
                           requirements=Joined(tuple(first_failed), "; "))
    raise GroupEmpty()


def accept(*, worker_id: int, hit_id: int, now: datetime, prefs: work.PrefsFor | None = None) -> WorkState:
    """Accept on a preview: this HIT, or, when it just filled up or the worker did it already, the next
    HIT of its group they have not done. With none in the group, this HIT's own refusal stands."""
    try:  # its own transaction: the usual case runs as Accept always did
        return work.accept_hit(worker_id=worker_id, hit_id=hit_id, now=now, prefs=prefs)
    except (HitUnavailable, AlreadyAccepted) as refused:
        with tx():
            # A concurrent accept of the same worker (a unique index refused it): no second try.
            if isinstance(refused.__context__, IntegrityError):
                raise
            row = Hit.select(Hit.group).where(Hit.id == hit_id).first()
            if row is None or row.group_id is None:
                raise
            if isinstance(refused, AlreadyAccepted) and Assignment.select().where(
                    (Assignment.hit == hit_id) & (Assignment.worker == worker_id)
                    & (Assignment.status == S.ACCEPTED)).exists():
                raise  # they are working on it: Continue, not another one
            try:
                return _take(get_user(worker_id), row.group_id, now, prefs, frozenset({hit_id}))
            except GroupEmpty:
                raise refused from None


def accept_next(*, worker_id: int, group_id: int, now: datetime, prefs: work.PrefsFor | None = None) -> WorkState:
    """Take the group's next HIT the worker has not done (the oldest with a free slot); GroupEmpty if none."""
    with tx():
        return _take(get_user(worker_id), group_id, now, prefs)


@dataclass
class Next:
    """What follows a Submit or a Skip: the next HIT of the group, or why there is none."""

    done: WorkState  # the assignment just submitted (or returned)
    next: WorkState | None = None
    why_not: HitbotError | None = None  # GroupEmpty, NotQualified...
    left: int = 0  # with no next taken: slots of the group the worker could still take (the Next button)

    @property
    def auto(self) -> bool:
        return auto_next(self.done.worker)


def submit_and_next(*, worker_id: int, assignment_id: int, now: datetime, prefs: work.PrefsFor | None = None,
                    next_prefs: work.PrefsFor | None = None, shown: bool = False) -> Next:
    """Submit; with the worker's auto-next on, take the group's next HIT in the same transaction
    (if there is none, the submit stands and the reason is handed back). `shown`: the chat shows the
    submit, so the worker gets no separate confirmation."""
    with tx():
        done = work.submit_in_tx(worker_id=worker_id, assignment_id=assignment_id, now=now, prefs=prefs, shown=shown)
        result = Next(done)
        if result.auto and done.hit.group_id is not None:
            result.next, result.why_not = _next_of(done, now, next_prefs)
        if result.next is None:  # whether Next would find anything: the group's open slots but this HIT's
            mine = done.hit.available if done.hit.status == HitStatus.OPEN else 0  # (read with the assignment)
            result.left = max(0, int(getattr(done.assignment, "group_available", 0) or 0) - mine)
        return result


def skip_to_next(*, worker_id: int, assignment_id: int, now: datetime,
                 prefs: work.PrefsFor | None = None) -> Next:
    """Return this HIT (it goes back to the pool for others) and take the group's next one."""
    with tx():
        returned = work.return_in_tx(worker_id=worker_id, assignment_id=assignment_id, now=now)
        worker = get_user(worker_id)
        hit = Hit.get_by_id(returned.hit_id)
        done = WorkState(returned, hit, [], {}, worker=worker)
        result = Next(done)
        if hit.group_id is None:
            result.why_not = GroupEmpty()
        else:
            result.next, result.why_not = _next_of(done, now, prefs, skip=frozenset({hit.id}))
        return result


def _next_of(done: WorkState, now: datetime, prefs: work.PrefsFor | None,
             skip: frozenset[int] = frozenset()) -> tuple[WorkState | None, HitbotError | None]:
    """The group's next HIT after `done`, in the same transaction; a refusal (refused before anything is
    written) leaves the submit or the return standing and says why. The same worker's concurrent take
    (a unique index refuses it) fails the whole update instead: nothing is half done."""
    try:
        worker = done.worker or get_user(done.assignment.worker_id)
        return _take(worker, done.hit.group_id, now, prefs, skip), None
    except AlreadyAccepted:
        raise
    except (HitUnavailable, NotQualified, WorkerBlocked, NotAllowed, NotFound) as exc:
        return None, exc


@dataclass
class AutoNext:
    on: bool
    group_id: int | None
    left: int


def toggle_auto_next(*, worker_id: int, assignment_id: int, on: bool, now: datetime) -> AutoNext:
    """The auto-next toggle under a submitted HIT: the setting, and what that message offers next."""
    with tx():
        group_id = group_of(worker_id=worker_id, assignment_id=assignment_id)
        set_auto_next(worker_id=worker_id, on=on)
        return AutoNext(bool(on), group_id, group_left(worker_id=worker_id, group_id=group_id, now=now))


def group_of(*, worker_id: int, assignment_id: int) -> int | None:
    """The group of one of the worker's assignments (a forged id is NotAllowed)."""
    assignment = owned_assignment(worker_id, assignment_id)
    return Hit.select(Hit.group).where(Hit.id == assignment.hit_id).scalar()


def group_left(*, worker_id: int, group_id: int | None, now: datetime) -> int:
    """Slots of the group's HITs this worker could still take."""
    if group_id is None:
        return 0
    done = Assignment.select(Assignment.hit).where((Assignment.worker == worker_id) & (Assignment.status != S.RETURNED))
    return int(Hit.select(fn.COALESCE(fn.SUM(Hit.available), 0))
               .where((Hit.group == group_id) & (Hit.status == HitStatus.OPEN) & (Hit.available > 0)
                      & (Hit.expires_at > now) & Hit.id.not_in(done)).scalar() or 0)
