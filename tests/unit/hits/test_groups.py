"""HIT groups (issue #17): what joins a group and what doesn't, /browse shows one entry per group,
Accept and Next take the group's next HIT the worker has not done, Skip returns one and takes the
next, a returned or expired HIT goes back to the pool, and the group's counts follow its HITs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import SpecInvalid
from core.hits import groups, publishing
from core.hits.spec import parse_spec
from core.models import Answer, Assignment, Hit, HitGroup
from core.quals import commands as quals
from core.work import browse, commands as work, groups as work_groups
from tests import factories as f

pytestmark = pytest.mark.usefixtures("database")


def batch(requester_id: int, rows: int, now, **template):
    spec = f.spec(title="Photo ${n}", assignments=1, **template)
    return publishing.publish_batch(requester_id=requester_id, title="photos", template=spec,
                                    rows=[{"n": str(i)} for i in range(rows)], now=now)


def hits_of(b) -> list[Hit]:
    return list(Hit.select().where(Hit.batch == b.id).order_by(Hit.id))


def entries(worker_id: int, now, **filters) -> list[browse.Card]:
    return browse.list_open_hits(worker_id=worker_id, filters=browse.Filters(**filters), now=now, limit=50).cards


def answer_all(worker_id: int, state, now) -> None:
    for q in state.questions:
        if q.kind == "choice":
            work.save_answer(worker_id=worker_id, assignment_id=state.assignment.id, question_id=q.id,
                             value=q.options[0], now=now)


def test_a_batch_is_one_group_and_what_keeps_hits_apart(now):
    r = f.requester(1_000_00)
    b = batch(r.id, 5, now)
    assert len({h.group_id for h in hits_of(b)}) == 1
    # Identical HITs published one by one join one group; a change of reward, time, questions or
    # requirements, another requester, or another batch makes another.
    one, two = f.hit(r.id, now=now), f.hit(r.id, now=now)
    assert one.group_id == two.group_id
    assert f.hit(r.id, now=now, reward="0.60").group_id != one.group_id
    assert f.hit(r.id, now=now, duration="20m").group_id != one.group_id
    assert f.hit(r.id, now=now, title="Another title").group_id != one.group_id
    other_questions = [{"id": "animal", "kind": "choice", "prompt": "Which animal?", "options": ["cat", "dog"]}]
    assert f.hit(r.id, now=now, questions=other_questions).group_id != one.group_id
    quals.create_type(owner_id=r.id, name="birders", description="Knows birds", now=now)
    gated = f.hit(r.id, now=now, qualifications=[{"name": "birders", "comparator": "exists"}])
    assert gated.group_id != one.group_id
    assert f.hit(f.requester(1_000_00).id, now=now).group_id != one.group_id
    assert batch(r.id, 2, now).id != b.id and hits_of(batch(r.id, 2, now))[0].group_id != hits_of(b)[0].group_id
    # API HITs of one HITType are one group even when their questions differ (each row's own data).
    spec_a, spec_b = parse_spec(f.spec()), parse_spec(f.spec(questions=other_questions))
    assert groups.group_key(r.id, spec_a, hit_type="T1") == groups.group_key(r.id, spec_b, hit_type="T1")
    assert groups.group_key(r.id, spec_a, hit_type="T1") != groups.group_key(r.id, spec_a, hit_type="T2")
    assert groups.group_key(r.id, spec_a) != groups.group_key(r.id, spec_b)


def test_browse_shows_one_entry_per_group_with_how_many_are_left(now):
    r, w = f.requester(1_000_00), f.user()
    b = batch(r.id, 20, now)
    single = f.hit(r.id, now=now, title="A single one", reward="0.20")
    cards = entries(w.id, now)
    assert [(c.hit.id, c.available) for c in cards] == [(single.id, 3), (hits_of(b)[0].id, 20)]
    # Sorted and filtered on groups; keyset pages over groups, never the same group twice.
    assert [c.hit.id for c in entries(w.id, now, sort="reward")] == [hits_of(b)[0].id, single.id]
    assert [c.hit.id for c in entries(w.id, now, min_reward_cents=30)] == [hits_of(b)[0].id]
    many = [f.hit(r.id, now=now, title=f"Task {i}") for i in range(5)]
    seen, after = [], None
    for _ in range(10):
        page = browse.list_open_hits(worker_id=w.id, filters=browse.Filters(), now=now, after=after, limit=2)
        seen += [c.group.id for c in page.cards]
        after = page.next_cursor
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 7 and {h.group_id for h in many} <= set(seen)


def test_accept_and_next_take_the_groups_next_hit_the_worker_has_not_done(now):
    r, w = f.requester(1_000_00), f.user()
    b = batch(r.id, 3, now)
    first, second, third = hits_of(b)
    state = work_groups.accept(worker_id=w.id, hit_id=first.id, now=now)
    assert state.hit.id == first.id
    answer_all(w.id, state, now)
    done = work_groups.submit_and_next(worker_id=w.id, assignment_id=state.assignment.id, now=now)
    assert done.next is None and done.left == 2  # auto-next is off: the Next button offers the rest
    nxt = work_groups.accept_next(worker_id=w.id, group_id=first.group_id, now=now)
    assert nxt.hit.id == second.id and nxt.answers == {}  # nothing carried over from the last HIT
    # Accept on a preview of a HIT someone else took: the group's next one instead.
    other = f.user()
    got = work_groups.accept(worker_id=other.id, hit_id=second.id, now=now)
    assert got.hit.id == third.id
    assert [c.available for c in entries(f.user().id, now)] == []  # all taken: the group is not listed
    with pytest.raises(work_groups.GroupEmpty):
        work_groups.accept_next(worker_id=f.user().id, group_id=first.group_id, now=now)


def test_auto_next_submits_and_takes_the_next_in_one_step_and_answers_never_leak(now):
    r, w = f.requester(1_000_00), f.user()
    b = batch(r.id, 2, now)
    work_groups.set_auto_next(worker_id=w.id, on=True)
    state = work_groups.accept(worker_id=w.id, hit_id=hits_of(b)[0].id, now=now)
    answer_all(w.id, state, now)
    result = work_groups.submit_and_next(worker_id=w.id, assignment_id=state.assignment.id, now=now)
    assert Assignment.get_by_id(state.assignment.id).status == "submitted"
    assert result.next is not None and result.next.hit.id == hits_of(b)[1].id
    assert Answer.select().where(Answer.assignment == result.next.assignment.id).count() == 0
    answer_all(w.id, result.next, now)
    last = work_groups.submit_and_next(worker_id=w.id, assignment_id=result.next.assignment.id, now=now)
    assert last.next is None and isinstance(last.why_not, work_groups.GroupEmpty)  # the submit stands
    assert Assignment.get_by_id(result.next.assignment.id).status == "submitted"


def test_skip_returns_the_hit_to_the_pool_and_takes_the_next(now):
    r, w, other = f.requester(1_000_00), f.user(), f.user()
    b = batch(r.id, 2, now)
    first, second = hits_of(b)
    state = work_groups.accept(worker_id=w.id, hit_id=first.id, now=now)
    answer_all(w.id, state, now)
    skipped = work_groups.skip_to_next(worker_id=w.id, assignment_id=state.assignment.id, now=now)
    assert Assignment.get_by_id(state.assignment.id).status == "returned"
    assert skipped.next.hit.id == second.id and skipped.next.answers == {}
    assert Hit.get_by_id(first.id).available == 1  # back in the pool: another worker takes it
    assert work_groups.accept_next(worker_id=other.id, group_id=first.group_id, now=now).hit.id == first.id
    # Nothing left to skip to: the HIT is returned all the same, and the reason handed back.
    again = work_groups.skip_to_next(worker_id=w.id, assignment_id=skipped.next.assignment.id, now=now)
    assert again.next is None and Hit.get_by_id(second.id).available == 1


def test_an_expired_assignment_gives_its_slot_back_to_the_group(now):
    r, w = f.requester(1_000_00), f.user()
    b = batch(r.id, 1, now)
    (hit,) = hits_of(b)
    state = work_groups.accept(worker_id=w.id, hit_id=hit.id, now=now)
    assert HitGroup.get_by_id(hit.group_id).available == 0 and entries(f.user().id, now) == []
    assert work.expire_assignment(assignment_id=state.assignment.id, now=now + timedelta(hours=2))
    assert HitGroup.get_by_id(hit.group_id).available == 1
    assert [c.hit.id for c in entries(f.user().id, now)] == [hit.id]


def test_the_hourly_estimate_is_the_groups_new_then_the_requesters_then_real_times(now):
    r = f.requester(1_000_00)
    b = batch(r.id, 4, now, reward="0.30", estimated_time="2m", duration="30m")
    group = HitGroup.get_by_id(hits_of(b)[0].group_id)
    assert group.estimated_s == 120 and group.hourly_cents == 30 * 30 and not group.hourly_is_estimate
    for hit in hits_of(b)[:3]:  # three workers, 60 s each
        w = f.user()
        state = work_groups.accept(worker_id=w.id, hit_id=hit.id, now=now)
        answer_all(w.id, state, now)
        work.submit(worker_id=w.id, assignment_id=state.assignment.id, now=now + timedelta(seconds=60))
    group = HitGroup.get_by_id(group.id)
    assert group.work_n == 3 and group.hourly_is_estimate and group.hourly_cents == 30 * 60
    (card,) = entries(f.user().id, now)
    assert card.hourly_is_estimate and card.hourly_cents == 30 * 60


@pytest.mark.parametrize("bad", ["0s", "1h", "soon", True])
def test_estimated_time_is_bounded_by_the_duration(bad):
    with pytest.raises(SpecInvalid):
        parse_spec(f.spec(duration="30m", estimated_time=bad))
    assert parse_spec(f.spec(duration="30m", estimated_time="30m")).estimated_s == 1800
    assert parse_spec(f.spec()).estimated_s is None


def test_a_rating_moves_the_requesters_groups_in_the_rating_sort(now):
    from core.review import commands as review

    good, plain = f.requester(1_000_00), f.requester(1_000_00)
    batch(plain.id, 2, now)
    rated = batch(good.id, 2, now)
    w = f.user()
    state = work_groups.accept(worker_id=w.id, hit_id=hits_of(rated)[0].id, now=now)
    answer_all(w.id, state, now)
    work.submit(worker_id=w.id, assignment_id=state.assignment.id, now=now)
    review.approve(requester_id=good.id, assignment_id=state.assignment.id, now=now)
    review.rate_requester(worker_id=w.id, assignment_id=state.assignment.id, stars=5, now=now)
    assert HitGroup.get_by_id(hits_of(rated)[0].group_id).requester_score == 500
    assert [c.group.requester_id for c in entries(f.user().id, now, sort="rating")] == [good.id, plain.id]
