"""Ratings both ways (issue 18), core: a requester's stars for a worker (once per assignment,
changeable for 7 days under an injected clock, then final), the worker's average across
requesters, the worker_rating requirement at accept, and the worker's dimension taps."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import NotAllowed, NotQualified, StaleAction, ValidationFailed
from core.models import Question, Rating
from core.review import commands as review, ratings
from core.users import privacy
from core.work import commands as work
from tests import factories as f

pytestmark = pytest.mark.usefixtures("database")


def approved(requester_id: int, n: int, now) -> list:
    subs = f.submitted(requester_id, n, now)
    for a in subs:
        review.approve(requester_id=requester_id, assignment_id=a.id, now=now)
    return subs


def test_once_per_assignment_changeable_for_7_days_then_final(now):
    rita = f.requester()
    (a,) = approved(rita.id, 1, now)
    first = ratings.rate_worker(requester_id=rita.id, assignment_id=a.id, stars=3, now=now)
    assert (first.stars, first.worker) == (3, ratings.Average(3.0, 1))
    assert first.final_at == now + timedelta(days=7)
    assert first.worker_alias.startswith("Worker #")
    later = now + timedelta(days=6, hours=23)
    changed = ratings.rate_worker(requester_id=rita.id, assignment_id=a.id, stars=5, now=later)
    assert (changed.stars, changed.worker) == (5, ratings.Average(5.0, 1))  # changed, not a second rating
    assert Rating.select().where(Rating.direction == "r2w").count() == 1
    with pytest.raises(StaleAction) as final:
        ratings.rate_worker(requester_id=rita.id, assignment_id=a.id, stars=1, now=now + timedelta(days=7, seconds=1))
    assert "final" in str(final.value)
    assert Rating.get(Rating.direction == "r2w").stars == 5


def test_only_the_requester_of_submitted_work_can_rate(now):
    rita, other = f.requester(), f.requester(name="Otto")
    (a,) = approved(rita.id, 1, now)
    with pytest.raises(NotAllowed):  # never worked for Otto
        ratings.rate_worker(requester_id=other.id, assignment_id=a.id, stars=5, now=now)
    with pytest.raises(NotAllowed):
        ratings.rate_worker(requester_id=rita.id, assignment_id=999_999, stars=5, now=now)
    with pytest.raises(ValidationFailed):
        ratings.rate_worker(requester_id=rita.id, assignment_id=a.id, stars=6, now=now)
    h = f.hit(rita.id)
    wes = f.user("Wes")
    taken = work.accept(worker_id=wes.id, hit_id=h.id, now=now)  # accepted, nothing submitted yet
    with pytest.raises(StaleAction):
        ratings.rate_worker(requester_id=rita.id, assignment_id=taken.id, stars=5, now=now)
    (waiting,) = f.submitted(rita.id, 1, now)  # not decided yet
    with pytest.raises(StaleAction):
        ratings.rate_worker(requester_id=rita.id, assignment_id=waiting.id, stars=5, now=now)
    assert Rating.select().count() == 0


def test_the_average_counts_every_requester(now):
    rita, otto = f.requester(), f.requester(name="Otto")
    (a,) = approved(rita.id, 1, now)
    wes = a.worker_id
    h = f.hit(otto.id)
    q = Question.get((Question.hit == h.id) & (Question.key == "animal"))
    b = work.accept(worker_id=wes, hit_id=h.id, now=now)
    work.save_answer(worker_id=wes, assignment_id=b.id, question_id=q.id, value="cat", now=now)
    work.submit(worker_id=wes, assignment_id=b.id, now=now)
    review.reject(requester_id=otto.id, assignment_id=b.id, feedback="Too short", now=now)  # rejected work too
    ratings.rate_worker(requester_id=rita.id, assignment_id=a.id, stars=5, now=now)
    got = ratings.rate_worker(requester_id=otto.id, assignment_id=b.id, stars=4, now=now)
    assert got.worker == ratings.Average(4.5, 2)
    assert ratings.worker_average(worker_id=wes) == ratings.Average(4.5, 2)
    assert ratings.worker_average(worker_id=rita.id) == ratings.Average(None, 0)


def _requiring(requester_id: int, comparator: str = ">=", value: int = 4):
    return f.hit(requester_id, qualifications=[{"name": "worker_rating", "comparator": comparator, "value": value}])


def test_worker_rating_requirement_at_accept(now):
    rita = f.requester()
    (a, b) = approved(rita.id, 2, now)
    ratings.rate_worker(requester_id=rita.id, assignment_id=a.id, stars=5, now=now)
    ratings.rate_worker(requester_id=rita.id, assignment_id=b.id, stars=3, now=now)
    strict = _requiring(rita.id)
    assert work.accept(worker_id=a.worker_id, hit_id=strict.id, now=now).worker_id == a.worker_id
    with pytest.raises(NotQualified):  # rated 3
        work.accept(worker_id=b.worker_id, hit_id=strict.id, now=now)
    with pytest.raises(NotQualified):  # never rated
        work.accept(worker_id=f.user("New").id, hit_id=strict.id, now=now)
    low = _requiring(rita.id, "<", 4)
    assert work.accept(worker_id=b.worker_id, hit_id=low.id, now=now).worker_id == b.worker_id


def test_dimensions_after_the_stars_once_each(now):
    rita = f.requester()
    (a,) = f.submitted(rita.id, 1, now)
    wes = a.worker_id
    with pytest.raises(NotAllowed):  # no stars yet
        ratings.rate_dimension(worker_id=wes, assignment_id=a.id, dimension=0, value=4, now=now)
    review.approve(requester_id=rita.id, assignment_id=a.id, now=now)
    review.rate_requester(worker_id=wes, assignment_id=a.id, stars=4, now=now)
    with pytest.raises(NotAllowed):  # someone else's rating
        ratings.rate_dimension(worker_id=rita.id, assignment_id=a.id, dimension=0, value=4, now=now)
    with pytest.raises(NotAllowed):
        ratings.rate_dimension(worker_id=wes, assignment_id=a.id, dimension=4, value=4, now=now)
    step = ratings.rate_dimension(worker_id=wes, assignment_id=a.id, dimension=0, value=2, now=now)
    assert (step.given, step.next) == ({"pay": 2}, 1)
    with pytest.raises(StaleAction):  # pay is given
        ratings.rate_dimension(worker_id=wes, assignment_id=a.id, dimension=0, value=5, now=now)
    skipped = ratings.rate_dimension(worker_id=wes, assignment_id=a.id, dimension=1, value=0, now=now)
    assert (skipped.given, skipped.next) == ({"pay": 2}, 2)
    last = ratings.rate_dimension(worker_id=wes, assignment_id=a.id, dimension=3, value=5, now=now)
    assert (last.given, last.next) == ({"pay": 2, "speed": 5}, None)
    r = Rating.get(Rating.direction == "w2r")
    assert (r.pay, r.fairness, r.communication, r.speed) == (2, None, None, 5)
    (given,) = privacy.export(user_id=wes, now=now)["ratings"]["given"]  # a person's data holds their taps
    assert (given["stars"], given["pay"], given["speed"], "fairness" in given) == (4, 2, 5, False)


def test_requester_dimensions_hidden_below_three(now):
    rita = f.requester()
    subs = f.submitted(rita.id, 3, now)
    for i, a in enumerate(subs):
        review.approve(requester_id=rita.id, assignment_id=a.id, now=now)
        review.rate_requester(worker_id=a.worker_id, assignment_id=a.id, stars=4, now=now)
        ratings.rate_dimension(worker_id=a.worker_id, assignment_id=a.id, dimension=0, value=3 + i, now=now)
        if i < 2:
            ratings.rate_dimension(worker_id=a.worker_id, assignment_id=a.id, dimension=1, value=5, now=now)
    dims = ratings.requester_dimensions(requester_id=rita.id)
    assert dims["pay"] == ratings.Average(4.0, 3)
    assert dims["fairness"] == ratings.Average(None, 2)  # two ratings: hidden
    assert "speed" not in dims  # nobody rated it


def test_worker_rating_at_discover_and_preview(now):
    from core.errors import NotFound
    from core.work import browse

    rita = f.requester()
    (a,) = approved(rita.id, 1, now)
    ratings.rate_worker(requester_id=rita.id, assignment_id=a.id, stars=4, now=now)
    hidden = f.hit(rita.id, title="Only for rated workers",
                   qualifications=[{"name": "worker_rating", "comparator": ">=", "value": 4, "guard": "discover"}])
    new = f.user("New")

    def listed(worker_id: int) -> bool:
        page = browse.browse_page(worker_id=worker_id, number=0, now=now).page
        return any(c.hit.title == "Only for rated workers" for c in page.cards)

    assert listed(a.worker_id) and not listed(new.id)
    with pytest.raises(NotFound):  # hidden at discover: its preview looks like a missing HIT
        browse.preview(worker_id=new.id, hit_id=hidden.id, now=now)
    assert browse.preview(worker_id=a.worker_id, hit_id=hidden.id, now=now).hit.id == hidden.id


def test_dimension_taps_end_with_the_7_day_window(now):
    rita = f.requester()
    (a,) = approved(rita.id, 1, now)
    review.rate_requester(worker_id=a.worker_id, assignment_id=a.id, stars=2, now=now)
    late = now + timedelta(days=7, seconds=1)
    with pytest.raises(NotAllowed):  # an old thanks message's buttons
        ratings.rate_dimension(worker_id=a.worker_id, assignment_id=a.id, dimension=0, value=1, now=late)
    assert Rating.get(Rating.direction == "w2r").pay is None
