"""Issue 15: 20 CreateHIT calls with one UniqueRequestToken at once make one HIT and move its
escrow once (threads over real HTTP; SQLite, and PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

import threading

from botocore.exceptions import ClientError

from core.models import Hit, LedgerTxn, MturkHit
from tests import factories as f
from tests.api.conftest import create_args, mturk, utcnow
from tests.invariants import check_invariants

CALLS = 20


def test_twenty_racing_create_hits_with_one_token_make_one(rita, api):
    clients = [mturk(api, rita.key_id, rita.secret) for _ in range(CALLS)]  # one per thread, as boto3 advises
    start = threading.Barrier(CALLS)
    made, refused, other = [], [], []

    def create(client) -> None:
        start.wait()
        try:
            made.append(client.create_hit(**create_args(UniqueRequestToken="race-1"))["HIT"]["HITId"])
        except ClientError as exc:
            (refused if exc.response.get("TurkErrorCode") == "AWS.MechanicalTurk.DuplicateRequest"
             else other).append(exc.response["Error"]["Message"])

    threads = [threading.Thread(target=create, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert other == [] and len(made) == 1 and len(refused) == CALLS - 1
    assert all(made[0] in message for message in refused)  # each refusal names the one HIT
    assert Hit.select().count() == 1 and MturkHit.select().count() == 1
    assert LedgerTxn.select().where(LedgerTxn.kind == "publish").count() == 1
    assert f.available(rita.id) == 100_00 - 2 * 60
    check_invariants()


ROUNDS = 4


def test_approve_over_the_api_racing_the_chat_button_pays_once(rita, api):
    """ApproveAssignment over HTTP and the chat's Approve (core.review.commands.approve, what the
    r:apv button calls) at the same moment: one wins, the other is refused, the worker is paid
    once. Real row locks on PostgreSQL; SQLite's one writer serialises them."""
    from core.errors import StaleAction
    from core.review import commands as review
    from tests.api.test_hit_life import ANSWERS, number
    from tests.api.test_lifecycle import answer_in_chat

    hit = rita.client.create_hit(**create_args(MaxAssignments=ROUNDS))["HIT"]
    workers = [f.user(f"W{i}") for i in range(ROUNDS)]
    done = [answer_in_chat(number(hit["HITId"]), w.id, ANSWERS) for w in workers]
    listed = {a["AssignmentId"]: a for a in rita.client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]}
    client = mturk(api, rita.key_id, rita.secret)
    for assignment in done:
        aid = next(k for k in listed if number(k) == assignment.id)
        start = threading.Barrier(2)
        outcome: dict[str, str] = {}

        def over_api() -> None:
            start.wait()
            try:
                client.approve_assignment(AssignmentId=aid)
                outcome["api"] = "approved"
            except ClientError as exc:
                outcome["api"] = exc.response["Error"]["Code"]

        def in_chat() -> None:
            start.wait()
            try:
                review.approve(requester_id=rita.id, assignment_id=assignment.id, now=utcnow())
                outcome["chat"] = "approved"
            except StaleAction:
                outcome["chat"] = "refused"

        threads = [threading.Thread(target=over_api), threading.Thread(target=in_chat)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcome.values()) in (["RequestError", "approved"], ["approved", "refused"]), outcome
    assert [f.available(w.id) for w in workers] == [50] * ROUNDS  # each paid once
    assert LedgerTxn.select().where(LedgerTxn.kind == "approve").count() == ROUNDS
    assert f.available(rita.id) == 100_00 - ROUNDS * 60
    check_invariants()
