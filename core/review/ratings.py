"""Ratings both ways (issue 18).

A requester rates the worker of a submission 1-5 stars (once per assignment; changeable for
CHANGE_WINDOW, then final); the worker's average over every requester is their `worker_rating`
qualification and shows on their review cards. A worker's stars for a requester
(core.review.commands.rate_requester) can be followed by Turkopticon's dimensions (pay, fairness,
communication, speed of review), one optional tap each; requester cards show their averages only
from MIN_SHOWN ratings on, so that one rating can't point at a worker."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from peewee import IntegrityError, fn

from core import cards
from core.db import db, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.models import Assignment, AssignmentStatus as S, Hit, Rating
from core.mturk.ids import worker_alias
from core.prepared import Prepared, param
from core.texts import N_

CHANGE_WINDOW = timedelta(days=7)
DIMENSIONS = ("pay", "fairness", "communication", "speed")  # in the order the worker is asked
MIN_SHOWN = 3
R2W, W2R = "r2w", "w2r"
# Work a requester can rate: decided (the card offers stars with the decision, as the worker's notice does).
RATEABLE = (S.APPROVED, S.REJECTED)


@dataclass(frozen=True)
class Average:
    avg: float | None  # None: nobody rated yet (or, for a dimension, fewer than MIN_SHOWN did)
    n: int


@dataclass(frozen=True)
class WorkerRated:
    """What the review card's stars row shows after a press (and the card itself, to redraw)."""

    assignment_id: int
    stars: int | None  # the requester's current stars for this assignment
    final_at: datetime | None  # when they stop being changeable
    worker: Average  # the worker's average from all requesters, with this rating
    worker_alias: str  # who the requester sees
    submission: object = None  # core.review.queries.Submission, for the card


@dataclass(frozen=True)
class CardRating:
    """What a submission card shows of ratings: the worker's average, the requester's own stars."""

    worker: Average
    stars: int | None
    rated_at: datetime | None  # the stars can change until CHANGE_WINDOW after this
    rateable: bool  # the work was submitted, so the requester may rate it


@dataclass(frozen=True)
class DimensionStep:
    """Where the worker is in the optional taps after their stars."""

    assignment_id: int
    stars: int
    given: dict[str, int]  # dimension -> 1-5, what they tapped so far
    next: int | None  # the index in DIMENSIONS to ask next, None when done


def _stars(stars: int) -> int:
    if stars not in (1, 2, 3, 4, 5):
        raise ValidationFailed(N_("Rate from 1 to 5 stars."))
    return stars


def worker_average(*, worker_id: int) -> Average:
    avg, n = (Rating.select(fn.AVG(Rating.stars), fn.COUNT(Rating.id))
              .where((Rating.ratee == worker_id) & (Rating.direction == R2W)).tuples().get())
    return Average(float(avg) if n else None, int(n))


def requester_dimensions(*, requester_id: int) -> dict[str, Average]:
    """Each rated dimension's average and count; the average stays hidden below MIN_SHOWN ratings."""
    return requester_summary(requester_id=requester_id)[1]


def summary_columns() -> list:
    """The averages and counts requester_summary reads (for a statement that reads them with more)."""
    columns = [Rating.stars, *(getattr(Rating, d) for d in DIMENSIONS)]
    return [x for c in columns for x in (fn.AVG(c), fn.COUNT(c))]


def requester_ratings():
    """Workers' ratings of the requester `param("id")`: the query summary_columns aggregate over."""
    return Rating.select(*summary_columns()).where((Rating.ratee == param("id")) & (Rating.direction == W2R))


_SUMMARY = Prepared(requester_ratings, planned=True)


def requester_summary(*, requester_id: int) -> tuple[Average, dict[str, Average]]:
    """Workers' stars for the requester, and requester_dimensions, in one statement."""
    return summary_of(_SUMMARY.execute(id=requester_id).fetchone())


def summary_of(row: tuple) -> tuple[Average, dict[str, Average]]:
    """requester_summary from the values of summary_columns, in their order."""
    stars_n = int(row[1] or 0)
    out = {}
    for i, name in enumerate(DIMENSIONS, start=1):
        avg, n = row[2 * i], int(row[2 * i + 1] or 0)
        if n:
            out[name] = Average(float(avg) if n >= MIN_SHOWN else None, n)
    return Average(float(row[0]) if stars_n else None, stars_n), out


def card_rating(*, requester_id: int, assignment: Assignment) -> CardRating:
    rating = Rating.get_or_none((Rating.assignment == assignment.id) & (Rating.direction == R2W)
                                & (Rating.rater == requester_id))
    return CardRating(worker_average(worker_id=assignment.worker_id), rating.stars if rating else None,
                      rating.created_at if rating else None, assignment.status in RATEABLE)


def my_worker_rating(*, requester_id: int, assignment_id: int, now: datetime) -> WorkerRated:
    """The stars row of a review card: what this requester gave, until when it can change."""
    assignment = Assignment.get_or_none(Assignment.id == assignment_id)
    if assignment is None:
        raise NotAllowed()
    rating = Rating.get_or_none((Rating.assignment == assignment_id) & (Rating.direction == R2W)
                                & (Rating.rater == requester_id))
    return WorkerRated(assignment_id, rating.stars if rating else None,
                       rating.created_at + CHANGE_WINDOW if rating else None,
                       worker_average(worker_id=assignment.worker_id), worker_alias(requester_id, assignment.worker_id))


def rate_worker(*, requester_id: int, assignment_id: int, stars: int, now: datetime) -> WorkerRated:
    """A requester's 1-5 stars for the worker of one of their submissions: the first press records
    them, later ones change them until CHANGE_WINDOW has passed; then they are final."""
    _stars(stars)
    with tx():
        assignment = Assignment.get_or_none(Assignment.id == assignment_id)
        if assignment is None:
            raise NotAllowed()
        hit = Hit.get_by_id(assignment.hit_id)
        if hit.requester_id != requester_id or assignment.worker_id == requester_id:
            raise NotAllowed()  # not their work: they never worked for this requester
        if assignment.status not in RATEABLE:
            raise StaleAction(N_("You can rate the worker once you have approved or rejected their work."))
        try:
            with db.atomic():
                Rating.create(assignment=assignment.id, rater=requester_id, ratee=assignment.worker_id,
                              direction=R2W, stars=stars, created_at=now)
        except IntegrityError:
            # Already rated: a change, settled by the database (the window is in the WHERE).
            changed = Rating.update(stars=stars).where(
                (Rating.assignment == assignment.id) & (Rating.direction == R2W) & (Rating.rater == requester_id)
                & (Rating.created_at > now - CHANGE_WINDOW)).execute()
            if not changed:
                raise StaleAction(N_("Your rating of this worker is final: it could be changed for 7 days.")) \
                    from None
        cards.changed("assignment", assignment.id, now=now)  # every card of it shows the new average
        from core.review import queries  # it reads ratings for its cards

        rated = my_worker_rating(requester_id=requester_id, assignment_id=assignment.id, now=now)
        return replace(rated, submission=queries.submission(assignment_id=assignment.id, requester_id=requester_id))


def rate_dimension(*, worker_id: int, assignment_id: int, dimension: int, value: int,
                   now: datetime) -> DimensionStep:
    """One optional tap after the worker's stars for the requester: `value` 1-5 for DIMENSIONS[dimension],
    or 0 to skip it. Each dimension once, within CHANGE_WINDOW of the stars; returns the next step."""
    if not 0 <= dimension < len(DIMENSIONS):
        raise NotAllowed()
    if value != 0:
        _stars(value)
    name = DIMENSIONS[dimension]
    column = getattr(Rating, name)
    with tx():
        mine = ((Rating.assignment == assignment_id) & (Rating.direction == W2R) & (Rating.rater == worker_id))
        rating = Rating.get_or_none(mine)
        if rating is None or now - rating.created_at > CHANGE_WINDOW:
            raise NotAllowed()  # no stars given by this worker, or long ago: the button is stale
        if getattr(rating, name) is not None:
            raise StaleAction()  # tapped already (another device, a repeated press)
        if value:
            if not Rating.update({column: value}).where(mine & column.is_null()).execute():
                raise StaleAction()
            setattr(rating, name, value)
        given = {d: getattr(rating, d) for d in DIMENSIONS if getattr(rating, d) is not None}
        following = next((i for i in range(dimension + 1, len(DIMENSIONS))
                          if getattr(rating, DIMENSIONS[i]) is None), None)
        return DimensionStep(assignment_id, rating.stars, given, following)
