"""Qualification requests (issue 18): who may ask for what, one waiting request per type, the retry
delay, automatic grants, the requester's decision (once: a stale press changes nothing), the
worker's history the requester sees, and a Grant racing a Refuse settling to one outcome."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from core.errors import NotAllowed, StaleAction, ValidationFailed
from core.models import OutboxEvent, QualificationGrant, QualificationRequest as Req
from core.mturk.ids import worker_alias
from core.quals import commands as quals, requests
from core.review import commands as review
from core.work import browse
from tests import factories as f
from tests.integration.racing import run_threads

pytestmark = pytest.mark.usefixtures("database")


def setup(now, comparator=">=", value=80, **hit):
    r = f.requester(10_00)
    qtype = quals.create_type(owner_id=r.id, name="Bird expert", now=now)
    req = {"name": "Bird expert", "comparator": comparator}
    if value is not None:
        req["value"] = value
    h = f.hit(r.id, qualifications=[req], **hit)
    return r, qtype, h


def events(kind):
    return list(OutboxEvent.select().where(OutboxEvent.kind == kind).order_by(OutboxEvent.id))


def test_a_worker_failing_a_requesters_own_qualification_is_offered_the_request(now):
    r, qtype, h = setup(now)
    wes = f.user("Wes")
    p = browse.preview(worker_id=wes.id, hit_id=h.id, now=now)
    assert [(o.qtype_id, o.state) for o in p.qual_offers] == [(qtype.id, "ask")]
    quals.grant(owner_id=r.id, qtype_id=qtype.id, worker_id=wes.id, value=90, now=now)
    assert browse.preview(worker_id=wes.id, hit_id=h.id, now=now).qual_offers == []  # meets it


def test_built_in_tests_and_computed_types_are_not_offered(now):
    r = f.requester(10_00)
    quals.create_test(owner_id=r.id, name="Bird quiz", now=now,
                      questions=[{"prompt": "Owl?", "options": ["bird", "fish"], "answer": "bird"}])
    h = f.hit(r.id, qualifications=[{"name": "Bird quiz", "comparator": ">=", "value": 80},
                                     {"name": "approval_rate", "comparator": ">=", "value": 101 - 2}])
    wes = f.user()
    wes.approved_n, wes.rejected_n = 1, 9
    wes.save()
    p = browse.preview(worker_id=wes.id, hit_id=h.id, now=now)
    assert not p.qualified and p.qual_offers == []
    with pytest.raises(NotAllowed):
        requests.begin(worker_id=wes.id, hit_id=h.id, qtype_id=p.checks[0].qtype.id, now=now)


def test_the_requester_gets_the_request_with_the_workers_history_and_never_their_identity(now):
    r, qtype, h = setup(now)
    old = f.hit(r.id, title="Earlier work", assignments=3)
    (a, b), wes = f.submitted(r.id, 2, now), None
    wes = a.worker_id
    review.approve(requester_id=r.id, assignment_id=a.id, now=now)
    asked = requests.ask(worker_id=wes, hit_id=h.id, qtype_id=qtype.id, message="  I know birds  ", now=now)
    assert asked.request.status == Req.PENDING and not asked.granted
    (e,) = events("qualification.requested")
    assert e.user_id == r.id
    assert e.payload == {"request_id": asked.request.id, "name": "Bird expert", "worker": worker_alias(r.id, wes),
                         "title": h.title, "message": "I know birds", "integer": True, "value": 80,
                         "approved": 1, "rejected": 0, "accuracy": None}
    assert old.id  # another HIT of the requester's does not change what was asked


def test_one_waiting_request_per_type_and_the_retry_delay(now):
    r, qtype, h = setup(now)
    wes = f.user()
    requests.ask(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, message="", now=now)
    with pytest.raises(StaleAction, match="already asked"):
        requests.ask(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, message="again", now=now)
    assert browse.preview(worker_id=wes.id, hit_id=h.id, now=now).qual_offers[0].state == "waiting"
    (row,) = Req.select()
    requests.decide(requester_id=r.id, request_id=row.id, grant=False, reason="Not yet", now=now)
    later = browse.preview(worker_id=wes.id, hit_id=h.id, now=now + timedelta(hours=1)).qual_offers[0]
    assert (later.state, later.ready_at) == ("later", now + timedelta(days=1))  # the default delay
    with pytest.raises(StaleAction, match="again from"):
        requests.begin(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, now=now + timedelta(hours=23))
    requests.set_retry_delay(owner_id=r.id, qtype_id=qtype.id, retry_delay_s=3600)
    assert requests.begin(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, now=now + timedelta(hours=2)).request is None
    with pytest.raises(ValidationFailed):
        requests.set_retry_delay(owner_id=r.id, qtype_id=qtype.id, retry_delay_s=366 * 86_400)


def test_grant_gives_the_value_tells_the_worker_and_a_stale_refuse_changes_nothing(now):
    r, qtype, h = setup(now)
    wes = f.user()
    row = requests.ask(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, message="", now=now).request
    done = requests.decide(requester_id=r.id, request_id=row.id, grant=True, value=85, now=now)
    assert (done.request.status, done.request.value, done.worker) == (Req.GRANTED, 85, worker_alias(r.id, wes.id))
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 85
    (told,) = events("qualification.request_decided")
    assert (told.user_id, told.payload["granted"], told.payload["value"], told.payload["hit_id"]) == (
        wes.id, True, 85, h.id)
    with pytest.raises(StaleAction) as stale:
        requests.decide(requester_id=r.id, request_id=row.id, grant=False, reason="no", now=now)
    assert stale.value.message == "This button is no longer valid."
    assert Req.get_by_id(row.id).status == Req.GRANTED and QualificationGrant.select().count() == 1
    assert len(events("qualification.request_decided")) == 1
    assert browse.preview(worker_id=wes.id, hit_id=h.id, now=now).qualified


def test_someone_elses_request_and_bad_values_are_refused(now):
    r, qtype, h = setup(now)
    other = f.requester(10_00, name="Otto")
    wes = f.user()
    row = requests.ask(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, message="", now=now).request
    with pytest.raises(NotAllowed):
        requests.decide(requester_id=other.id, request_id=row.id, grant=True, now=now)
    with pytest.raises(NotAllowed):
        requests.decide(requester_id=r.id, request_id=row.id + 99, grant=True, now=now)
    for bad in (-1, 1_000_001, True):
        with pytest.raises(ValidationFailed):
            requests.decide(requester_id=r.id, request_id=row.id, grant=True, value=bad, now=now)
    with pytest.raises(ValidationFailed):
        requests.decide(requester_id=r.id, request_id=row.id, grant=False, reason="x" * 1001, now=now)
    with pytest.raises(ValidationFailed):
        requests.ask(worker_id=f.user().id, hit_id=h.id, qtype_id=qtype.id, message="x" * 501, now=now)
    with pytest.raises(NotAllowed):  # the requester asking for their own
        requests.begin(worker_id=r.id, hit_id=h.id, qtype_id=qtype.id, now=now)
    other_hit = f.hit(other.id)
    with pytest.raises(NotAllowed):  # a HIT that does not require it
        requests.begin(worker_id=wes.id, hit_id=other_hit.id, qtype_id=qtype.id, now=now)
    assert Req.get_by_id(row.id).status == Req.PENDING and QualificationGrant.select().count() == 0


def test_a_type_set_to_grant_automatically_grants_at_once(now):
    r, qtype, h = setup(now, comparator="exists", value=None)
    requests.set_auto_grant(owner_id=r.id, qtype_id=qtype.id, value=5)
    wes = f.user()
    asked = requests.begin(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, now=now)
    assert asked.granted and asked.request.decided_by == "auto"
    assert QualificationGrant.get(QualificationGrant.worker == wes.id).value == 5
    assert events("qualification.requested") == []
    assert browse.preview(worker_id=wes.id, hit_id=h.id, now=now).qualified


def test_the_suggested_value_meets_the_requirement(now):
    assert requests._suggested(">=", [80]) == 80 and requests._suggested(">", [80]) == 81
    assert requests._suggested("exists", []) == 1 and requests._suggested("in", [3, 7]) == 3
    assert requests._suggested("<", [5]) == 0 and requests._suggested("!=", [0]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("rounds", range(3))
def test_a_grant_and_a_refuse_at_once_settle_to_one_outcome(rounds, now):
    r, qtype, h = setup(now)
    wes = f.user()
    row = requests.ask(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, message="", now=now).request
    calls = [(requests.decide, {"requester_id": r.id, "request_id": row.id, "grant": True, "value": 80, "via": "api",
                                "now": now}),
             (requests.decide, {"requester_id": r.id, "request_id": row.id, "grant": False, "reason": "no",
                                "now": now})] * 3
    outcomes = run_threads(calls, threads=6)
    assert Counter(kind for kind, _ in outcomes) == {"ok": 1, "StaleAction": 5}, outcomes
    final = Req.get_by_id(row.id)
    held = QualificationGrant.select().where(QualificationGrant.worker == wes.id).count()
    assert held == (1 if final.status == Req.GRANTED else 0)
    assert len(events("qualification.request_decided")) == 1


def test_the_workers_requests_are_in_their_export_and_their_words_go_with_the_account(now):
    from core.users import privacy

    r, qtype, h = setup(now)
    wes = f.user()
    row = requests.ask(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, message="I ring birds", now=now).request
    requests.decide(requester_id=r.id, request_id=row.id, grant=False, reason="Quiz first", now=now)
    (mine,) = privacy.export(user_id=wes.id, now=now)["qualification_requests"]
    assert (mine["qualification"], mine["message"], mine["status"], mine["reason"]) == (
        "Bird expert", "I ring birds", "refused", "Quiz first")
    privacy.delete_account(user_id=wes.id, now=now)
    assert Req.get_by_id(row.id).message == "" and Req.get_by_id(row.id).status == Req.REFUSED


def test_an_inactive_type_takes_no_requests(now):
    from core.mturk import quals as mturk_quals

    r, qtype, h = setup(now)
    wes = f.user()
    mturk_quals.update_type(requester_id=r.id, qtype_id=qtype.id, active=False)
    assert browse.preview(worker_id=wes.id, hit_id=h.id, now=now).qual_offers == []
    with pytest.raises(NotAllowed):
        requests.begin(worker_id=wes.id, hit_id=h.id, qtype_id=qtype.id, now=now)
    mturk_quals.update_type(requester_id=r.id, qtype_id=qtype.id, active=True)
    assert [o.state for o in browse.preview(worker_id=wes.id, hit_id=h.id, now=now).qual_offers] == ["ask"]
