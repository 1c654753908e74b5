"""The worker's read side in core: the browse session (remembered filter, page cursors)
and the assignment state / /mywork list the bot renders."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import DeadlinePassed, NotAllowed, StaleAction, ValidationFailed
from core.review import commands as review
from core.work import browse, commands as work, queries as work_queries
from core.work.browse import Filters
from tests import factories as f
from tests.conftest import NOW


def test_pages_are_reached_one_step_at_a_time_and_a_new_filter_starts_over(database):
    rita = f.requester(500_00)
    for i in range(5):
        f.hit(rita.id, title=f"T{i}", reward=f"0.{10 + i}", now=NOW - timedelta(minutes=5 - i))
    wes = f.user("Wes")
    first = browse.browse_page(worker_id=wes.id, number=0, now=NOW, limit=2)
    assert [c.hit.title for c in first.page.cards] == ["T4", "T3"] and first.has_next and not first.has_prev
    with pytest.raises(StaleAction):
        browse.browse_page(worker_id=wes.id, number=2, now=NOW, limit=2)  # never reached
    second = browse.browse_page(worker_id=wes.id, number=1, now=NOW, limit=2)
    third = browse.browse_page(worker_id=wes.id, number=2, now=NOW, limit=2)
    assert [c.hit.title for c in second.page.cards] == ["T2", "T1"]
    assert [c.hit.title for c in third.page.cards] == ["T0"] and not third.has_next
    assert [c.hit.title for c in browse.browse_page(worker_id=wes.id, number=1, now=NOW, limit=2).page.cards] \
        == ["T2", "T1"]  # going back uses the remembered cursor
    browse.set_filters(worker_id=wes.id, filters=Filters(sort="reward", min_reward_cents=12))
    with pytest.raises(StaleAction):
        browse.browse_page(worker_id=wes.id, number=1, now=NOW, limit=2)
    page = browse.browse_page(worker_id=wes.id, number=0, now=NOW, limit=2)
    assert [c.hit.title for c in page.page.cards] == ["T4", "T3"] and page.filters.sort == "reward"
    assert browse.current_filters(worker_id=wes.id).min_reward_cents == 12


def test_a_broken_remembered_filter_falls_back_to_defaults(database):
    from core.users.commands import set_pref

    wes = f.user("Wes")
    set_pref(user_id=wes.id, key="browse", value={"f": {"sort": "nonsense", "keyword": 5}, "c": "x"})
    assert browse.current_filters(worker_id=wes.id) == Filters()
    assert browse.browse_page(worker_id=wes.id, number=0, now=NOW).page.cards == []
    with pytest.raises(ValidationFailed):
        Filters(keyword="k" * 65)


def test_answer_current_refuses_other_questions_people_and_late_answers(database):
    rita = f.requester()
    hit = f.hit(rita.id)
    wes, mal = f.user("Wes"), f.user("Mal")
    a = work.accept(worker_id=wes.id, hit_id=hit.id, now=NOW)
    animal, notes = sorted(hit.questions, key=lambda q: q.position)
    with pytest.raises(StaleAction):
        work.answer_current(worker_id=wes.id, assignment_id=a.id, question_id=notes.id, value="hi", now=NOW)
    with pytest.raises(NotAllowed):
        work.answer_current(worker_id=mal.id, assignment_id=a.id, question_id=animal.id, value=0, now=NOW)
    state = work.answer_current(worker_id=wes.id, assignment_id=a.id, question_id=animal.id, value=1, now=NOW)
    assert state.position == 1 and state.current.id == notes.id and state.answers == {animal.id: "dog"}
    assert state.missing == []
    with pytest.raises(DeadlinePassed):
        work.skip_current(worker_id=wes.id, assignment_id=a.id, question_id=notes.id,
                            now=NOW + timedelta(minutes=11))
    state = work.skip_current(worker_id=wes.id, assignment_id=a.id, question_id=notes.id, now=NOW)
    assert state.current is None and state.position == 2


def test_my_work_orders_active_then_waiting_then_decided_and_leaves_returned_out(database):
    rita = f.requester(500_00)
    wes = f.user("Wes")
    hits = [f.hit(rita.id, title=t) for t in ("returned", "approved", "waiting", "active late", "active soon")]
    ids = {}
    for h in hits:
        ids[h.title] = work.accept(worker_id=wes.id, hit_id=h.id, now=NOW).id
    work.return_assignment(worker_id=wes.id, assignment_id=ids["returned"], now=NOW)
    for t in ("approved", "waiting"):
        q = min(hits[[h.title for h in hits].index(t)].questions, key=lambda q: q.position)
        work.save_answer(worker_id=wes.id, assignment_id=ids[t], question_id=q.id, value="cat", now=NOW)
        work.submit(worker_id=wes.id, assignment_id=ids[t], now=NOW)
    review.approve(requester_id=rita.id, assignment_id=ids["approved"], now=NOW)
    from core.models import Assignment

    Assignment.update(deadline=NOW + timedelta(minutes=3)).where(Assignment.id == ids["active soon"]).execute()
    mw = work_queries.my_work(worker_id=wes.id)
    assert [a.hit.title for a in mw.items] == ["active soon", "active late", "waiting", "approved"]
    assert mw.counts == {"accepted": 2, "submitted": 1, "approved": 1} and not mw.more
    assert [a.questions_n for a in mw.items] == [2, 2, 2, 2]
    page = work_queries.my_work(worker_id=wes.id, page=1, limit=3)
    assert [a.hit.title for a in page.items] == ["approved"] and not page.more
