"""Issue 17: a requester's effective hourly pay per group (reward over the median work time), "—" under
three submissions, the operator's floor flagging groups below it, and publishing below it only once
the requester confirms that very rate."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import effective_pay
from core.config import get_settings
from core.errors import BelowPayFloor, NotAllowed, StaleAction
from core.hits import publishing
from core.models import Hit, HitDraft, Question
from core.work import commands as work
from tests import factories as f
from tests.conftest import NOW
from tests.settings_env import settings_env


@pytest.fixture
def floor_600(monkeypatch):
    yield from settings_env(monkeypatch, HITBOT_MIN_HOURLY_CENTS="600")


def _submit(hit, minutes: float, at=NOW):
    w = f.user()
    q = Question.get((Question.hit == hit.id) & (Question.key == "animal"))
    a = work.accept(worker_id=w.id, hit_id=hit.id, now=at)
    work.save_answer(worker_id=w.id, assignment_id=a.id, question_id=q.id, value="cat", now=at)
    return work.submit(worker_id=w.id, assignment_id=a.id, now=at + timedelta(minutes=minutes))


def _pay(requester_id: int):
    mine = effective_pay.my_hits(requester_id=requester_id)
    return {i.title: p for i, p in zip(mine.items, mine.pay)}


def test_the_median_of_work_times_not_the_mean(database):
    r = f.requester(100_00)
    hit = f.hit(r.id, title="Count", reward="0.50", assignments=5, duration="2h")
    for minutes in (1, 2, 2, 4, 60):  # one worker left it open for an hour
        _submit(hit, minutes)
    pay = _pay(r.id)["Count"]
    assert (pay.submissions, pay.median_s, pay.hourly_cents) == (5, 120, 50 * 30)  # $0.50 every 2 minutes
    assert pay.below_floor is False  # no floor set


def test_fewer_than_three_submissions_show_no_figure(database):
    r = f.requester(100_00)
    hit = f.hit(r.id, title="Few", assignments=5)
    _submit(hit, 1)
    _submit(hit, 3)
    work.accept(worker_id=f.user().id, hit_id=hit.id, now=NOW)  # held, not submitted: not a work time
    pay = _pay(r.id)["Few"]
    assert (pay.submissions, pay.median_s, pay.hourly_cents) == (2, None, None)


def test_identical_hits_published_one_by_one_are_one_group_a_batch_is_another(database):
    r = f.requester(100_00)
    twins = [f.hit(r.id, title="Same", reward="0.20", assignments=1) for _ in range(3)]
    for hit, minutes in zip(twins, (1, 2, 3)):
        _submit(hit, minutes)
    other = f.hit(r.id, title="Same", reward="0.25", assignments=1)  # another reward: another group
    _submit(other, 1)
    mine = effective_pay.my_hits(requester_id=r.id)
    by_id = {i.hit.id: p for i, p in zip(mine.items, mine.pay)}
    assert by_id[twins[0].id] == by_id[twins[2].id]
    assert by_id[twins[0].id].hourly_cents == 20 * 30 and by_id[twins[0].id].submissions == 3
    assert by_id[other.id].submissions == 1 and by_id[other.id].hourly_cents is None


def test_a_group_below_the_floor_is_flagged(database, floor_600):
    r = f.requester(100_00)
    slow = f.hit(r.id, title="Slow", reward="0.10", assignments=3)  # $0.10 in 2 min: $3.00/hour
    fast = f.hit(r.id, title="Fast", reward="0.50", assignments=3)  # $0.50 in 2 min: $15.00/hour
    for _ in range(3):
        _submit(slow, 2)
        _submit(fast, 2)
    pay = _pay(r.id)
    assert (pay["Slow"].hourly_cents, pay["Slow"].below_floor) == (300, True)
    assert (pay["Fast"].hourly_cents, pay["Fast"].below_floor) == (1500, False)
    assert effective_pay.hit_card(requester_id=r.id, hit_id=slow.id).pay.below_floor
    assert effective_pay.my_hits(requester_id=r.id).floor_cents == 600


def _draft(requester_id: int, **spec) -> HitDraft:
    return HitDraft.create(user=requester_id, step="preview", data=f.spec(**spec), created_at=NOW, updated_at=NOW)


def test_publishing_below_the_floor_needs_the_rate_confirmed(database, floor_600):
    r = f.requester(100_00)
    draft = _draft(r.id, reward="0.10", estimated_time="2m")  # $3.00/hour by its own estimate
    with pytest.raises(BelowPayFloor) as refused:
        effective_pay.publish_draft(user_id=r.id, draft_id=draft.id, now=NOW)
    assert refused.value.params["hourly_cents"] == 300 and refused.value.params["draft_id"] == draft.id
    assert "$3.00 an hour" in refused.value.message and "$6.00 an hour" in refused.value.message
    assert Hit.select().count() == 0
    with pytest.raises(NotAllowed):  # a confirmation of another rate (the draft changed since): stale
        effective_pay.publish_draft(user_id=r.id, draft_id=draft.id, now=NOW, confirmed_hourly_cents=299)
    assert Hit.select().count() == 0
    hit = effective_pay.publish_draft(user_id=r.id, draft_id=draft.id, now=NOW, confirmed_hourly_cents=300)
    assert Hit.select().count() == 1 and hit.reward_cents == 10
    with pytest.raises(NotAllowed) as again:  # pressed twice: one HIT, and the button is stale
        effective_pay.publish_draft(user_id=r.id, draft_id=draft.id, now=NOW, confirmed_hourly_cents=300)
    assert not isinstance(again.value, StaleAction) and Hit.select().count() == 1


def test_no_confirmation_when_the_estimate_pays_enough_or_there_is_no_floor(database, floor_600, monkeypatch):
    r = f.requester(100_00)
    effective_pay.publish_draft(user_id=r.id, draft_id=_draft(r.id, reward="0.50", estimated_time="2m").id, now=NOW)
    effective_pay.publish_draft(user_id=r.id, draft_id=_draft(r.id, reward="0.10").id, now=NOW)  # no estimate
    monkeypatch.setenv("HITBOT_MIN_HOURLY_CENTS", "0")
    get_settings.cache_clear()
    effective_pay.publish_draft(user_id=r.id, draft_id=_draft(r.id, reward="0.10", estimated_time="2m").id, now=NOW)
    assert Hit.select().count() == 3


def test_the_floor_setting_is_bounded(monkeypatch):
    from pydantic import ValidationError

    from core.config import Settings

    monkeypatch.setenv("HITBOT_MIN_HOURLY_CENTS", "-1")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("HITBOT_MIN_HOURLY_CENTS", "100001")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("HITBOT_MIN_HOURLY_CENTS")
    assert Settings().min_hourly_cents == 0  # off by default


def test_statements_for_a_page_do_not_grow_with_submissions(database):
    from tests.unit.hits.test_batch_bulk import count_statements

    r = f.requester(100_00)
    hit = f.hit(r.id, title="Grow", assignments=20)
    _submit(hit, 1)
    _, few = count_statements(effective_pay.my_hits, requester_id=r.id)
    for _ in range(10):
        _submit(hit, 2)
    _, many = count_statements(effective_pay.my_hits, requester_id=r.id)
    assert many == few, (few, many)


def test_a_batch_line_counts_every_row_of_the_batch(database):
    r = f.requester(100_00)
    template = f.spec(title="Is ${name} a bird?", reward="0.30", assignments=1)
    publishing.publish_batch(requester_id=r.id, title="Birds", template=template,
                             rows=[{"name": n} for n in ("owl", "cat", "emu", "yak")], now=NOW)
    for name, minutes in (("owl", 1), ("cat", 3), ("emu", 3)):
        _submit(Hit.get(Hit.title == f"Is {name} a bird?"), minutes)
    (pay,) = effective_pay.my_hits(requester_id=r.id).pay
    assert (pay.submissions, pay.median_s, pay.hourly_cents) == (3, 180, 30 * 20)  # $0.30 every 3 minutes


def test_an_unfinished_draft_is_refused_as_before_with_the_floor_on(database, floor_600):
    r = f.requester(100_00)
    draft = HitDraft.create(user=r.id, step="reward", data={"title": "Half done"}, created_at=NOW, updated_at=NOW)
    with pytest.raises(StaleAction) as refused:
        effective_pay.publish_draft(user_id=r.id, draft_id=draft.id, now=NOW)
    assert refused.value.message == "Finish the draft first; Publish is on its preview."
    with pytest.raises(NotAllowed):  # someone else's draft
        effective_pay.publish_draft(user_id=f.user().id, draft_id=draft.id, now=NOW)
    assert Hit.select().count() == 0
