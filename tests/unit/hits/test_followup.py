"""Follow-up work (issue 18): a private HIT from one of the requester's HITs, only the chosen workers
see and accept it (an automatic private qualification), escrow as any publish, forged and stale
presses refused, each chosen worker told with Preview."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core import ledger
from core.errors import HitbotError, InsufficientFunds, NotAllowed, NotFound, StaleAction, ValidationFailed
from core.hits import followup
from core.messages import commands as msgs, safety
from core.models import FollowupOffer, Hit, OutboxEvent, QualificationType
from core.mturk.ids import worker_alias, worker_ref
from core.work import browse, commands as work
from tests import factories as f
from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("database")


def offered() -> list[OutboxEvent]:
    return list(OutboxEvent.select().where(OutboxEvent.kind == "followup.offered").order_by(OutboxEvent.id))


def visible(worker_id: int) -> list[int]:
    page = browse.list_open_hits(worker_id=worker_id, filters=browse.Filters(), now=NOW + timedelta(hours=1))
    return [c.hit.id for c in page.cards]


def test_a_follow_up_reaches_only_the_chosen_workers():
    r = f.requester()
    a1, a2 = f.submitted(r.id, 2, NOW)
    outsider = f.user("Otto")
    view = followup.start(requester_id=r.id, assignment_id=a1.id, now=NOW)
    assert view.template_id == a1.hit_id and view.workers == [worker_alias(r.id, a1.worker_id)]
    view = followup.give(requester_id=r.id, offer_id=view.offer_id, text=f"1.25 {worker_ref(r.id, a2.worker_id)}")
    assert view.reward_cents == 125 and len(view.workers) == 2
    before = f.available(r.id)
    view = followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW + timedelta(hours=1))
    hit = Hit.get_by_id(view.hit_id)
    assert (hit.reward_cents, hit.max_assignments, hit.title) == (125, 2, "Label the photo")
    assert before - f.available(r.id) == view.total_cents == ledger.balance(ledger.escrow(hit.id))
    assert [e.user_id for e in offered()] == [a1.worker_id, a2.worker_id]
    assert offered()[0].payload["hit_id"] == hit.id and str(r.id) not in str(offered()[0].payload["sender"])

    assert hit.id in visible(a1.worker_id) and hit.id not in visible(outsider.id)
    with pytest.raises(NotFound):
        browse.preview(worker_id=outsider.id, hit_id=hit.id, now=NOW + timedelta(hours=1))
    with pytest.raises(HitbotError):
        work.accept(worker_id=outsider.id, hit_id=hit.id, now=NOW + timedelta(hours=1))
    assert Hit.get_by_id(hit.id).available == 2
    browse.preview(worker_id=a2.worker_id, hit_id=hit.id, now=NOW + timedelta(hours=1))
    assert work.accept(worker_id=a2.worker_id, hit_id=hit.id, now=NOW + timedelta(hours=1)).hit_id == hit.id


def test_forged_and_stale_presses_change_nothing():
    r, other = f.requester(), f.requester(name="Olga")
    (a,) = f.submitted(r.id, 1, NOW)
    mine = f.hit(r.id, title="Another task")
    theirs = f.hit(other.id)
    with pytest.raises(NotAllowed):
        followup.start(requester_id=other.id, assignment_id=a.id, now=NOW)  # not their card
    view = followup.start(requester_id=r.id, assignment_id=a.id, now=NOW)
    assert [t for t, _ in view.templates][:2] == [a.hit_id, mine.id]
    with pytest.raises(NotAllowed):
        followup.give(requester_id=other.id, offer_id=view.offer_id, text="0.50")
    with pytest.raises(NotAllowed):
        followup.choose_template(requester_id=r.id, offer_id=view.offer_id, hit_id=theirs.id)
    with pytest.raises(StaleAction):
        followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)  # no reward yet
    for bad in ("", "abc", "0", "0.001", "9999999", "0.50 AAAAAAAAAAAAAA", "0.50 " + "x" * 3000):
        with pytest.raises(ValidationFailed):
            followup.give(requester_id=r.id, offer_id=view.offer_id, text=bad)
    assert FollowupOffer.get_by_id(view.offer_id).reward_cents is None
    assert followup.choose_template(requester_id=r.id, offer_id=view.offer_id, hit_id=mine.id).template_id == mine.id
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="0.40")
    with pytest.raises(NotAllowed):
        followup.publish(requester_id=other.id, offer_id=view.offer_id, now=NOW)
    done = followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)
    balance = f.available(r.id)
    with pytest.raises(StaleAction):
        followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)  # a double tap
    with pytest.raises(StaleAction):
        followup.give(requester_id=r.id, offer_id=view.offer_id, text="0.90")
    assert f.available(r.id) == balance and len(offered()) == 1
    assert Hit.get_by_id(done.hit_id).title == "Another task"
    assert QualificationType.select().where(QualificationType.owner == r.id).count() == 1


def test_from_a_conversation_and_not_to_a_worker_who_blocked_the_requester():
    r = f.requester()
    (a,) = f.submitted(r.id, 1, NOW)
    msgs.write_to_worker(requester_id=r.id, worker_id=a.worker_id, text="Hi", now=NOW)
    from core.messages import queries

    (row,) = queries.threads(user_id=r.id)
    with pytest.raises(NotAllowed):
        followup.start(requester_id=a.worker_id, thread_id=row.thread_id, now=NOW)  # the worker's side
    view = followup.start(requester_id=r.id, thread_id=row.thread_id, now=NOW)
    assert view.template_id == a.hit_id
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="0.30")
    safety.block_requester(worker_id=a.worker_id, thread_id=row.thread_id, now=NOW)
    before = f.available(r.id)
    with pytest.raises(NotAllowed):
        followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)
    assert f.available(r.id) == before and not offered()


def test_short_of_money_publishes_nothing():
    r = f.requester(cents=0)
    f.requester()  # funds the admin
    from core.payments import accounts
    from tests.conftest import ADMIN_ID

    accounts.credit(admin_id=ADMIN_ID, user_id=r.id, amount_cents=200, reason="t", now=NOW, key="fu-short")
    h = f.hit(r.id, reward="0.10", assignments=1)
    w = f.user()
    work.accept(worker_id=w.id, hit_id=h.id, now=NOW)
    from core.models import Assignment

    a = Assignment.get(Assignment.worker == w.id)
    view = followup.start(requester_id=r.id, assignment_id=a.id, now=NOW)
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="5.00")
    with pytest.raises(InsufficientFunds):
        followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)
    assert FollowupOffer.get_by_id(view.offer_id).status == FollowupOffer.DRAFT
    assert not offered() and Hit.select().count() == 1


def test_a_requesters_own_type_of_the_same_name_does_not_stop_the_publish():
    from core.quals import commands as quals

    r = f.requester()
    (a,) = f.submitted(r.id, 1, NOW)
    view = followup.start(requester_id=r.id, assignment_id=a.id, now=NOW)
    quals.create_type(owner_id=r.id, name=f"Follow-up #{view.offer_id}", now=NOW)
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="0.60")
    done = followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)
    offer = FollowupOffer.get_by_id(view.offer_id)
    assert QualificationType.get_by_id(offer.qtype_id).name == f"Follow-up #{view.offer_id} (2)"
    assert done.hit_id in visible(a.worker_id)


def test_a_new_offer_makes_the_earlier_draft_stale():
    r = f.requester()
    a1, a2 = f.submitted(r.id, 2, NOW)
    first = followup.start(requester_id=r.id, assignment_id=a1.id, now=NOW)
    followup.give(requester_id=r.id, offer_id=first.offer_id, text="0.60")
    second = followup.start(requester_id=r.id, assignment_id=a2.id, now=NOW)
    with pytest.raises(NotAllowed):
        followup.publish(requester_id=r.id, offer_id=first.offer_id, now=NOW)
    assert FollowupOffer.select().count() == 1 and not offered()
    followup.give(requester_id=r.id, offer_id=second.offer_id, text="0.60")
    followup.publish(requester_id=r.id, offer_id=second.offer_id, now=NOW)
    followup.start(requester_id=r.id, assignment_id=a1.id, now=NOW)  # a published offer stays
    assert FollowupOffer.select().count() == 2


def test_a_task_page_template_keeps_its_page():
    from core.models import WEB_KIND, MturkHit, Question

    r = f.requester()
    (a,) = f.submitted(r.id, 1, NOW)
    Question.update(kind=WEB_KIND).where((Question.hit == a.hit_id) & (Question.key == "notes")).execute()
    MturkHit.create(hit=a.hit_id, requester=r.id, question="<HTMLQuestion>page</HTMLQuestion>",
                    identifiers={"notes": {"id": "notes"}}, created_at=NOW)
    view = followup.start(requester_id=r.id, assignment_id=a.id, now=NOW)
    followup.give(requester_id=r.id, offer_id=view.offer_id, text="0.60")
    done = followup.publish(requester_id=r.id, offer_id=view.offer_id, now=NOW)
    copied = MturkHit.get_by_id(done.hit_id)
    assert copied.question == "<HTMLQuestion>page</HTMLQuestion>" and copied.identifiers == {"notes": {"id": "notes"}}
    assert [q.kind for q in Question.select().where(Question.hit == done.hit_id).order_by(Question.position)] == \
        ["choice", WEB_KIND]
