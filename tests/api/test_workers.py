"""Issue 15: worker blocks, NotifyWorkers and ListBonusPayments over boto3. A WorkerId is the
opaque id one requester sees; refusals change nothing."""
from __future__ import annotations

import pytest

from core.errors import HitbotError
from core.models import OutboxEvent, WorkerBlock
from core.work import commands as work
from tests import factories as f
from tests.api.conftest import create_args, utcnow
from tests.api.test_hit_life import ANSWERS, number
from tests.api.test_lifecycle import answer_in_chat
from tests.api.test_refusals import error_of
from tests.dbstate import unchanged
from tests.invariants import check_invariants

NOBODY = "A" + "Z" * 13


def worked(requester, *names: str, assignments: int | None = None) -> tuple[str, list]:
    """A HIT of `requester` answered by new workers; (HITId, [(user, assignment shape)])."""
    hit = requester.client.create_hit(**create_args(MaxAssignments=assignments or len(names)))["HIT"]
    people = [f.user(name) for name in names]
    for person in people:
        answer_in_chat(number(hit["HITId"]), person.id, ANSWERS)
    listed = requester.client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    return hit["HITId"], list(zip(people, listed))


def test_block_list_and_unblock_a_worker_by_worker_id(rita, otto):
    _, [(wes, a)] = worked(rita, "Wes")
    rita.client.create_worker_block(WorkerId=a["WorkerId"], Reason="Copied the same answer everywhere")
    rita.client.create_worker_block(WorkerId=a["WorkerId"], Reason="again")  # already blocked: one block
    assert [(b.requester_id, b.worker_id, b.reason) for b in WorkerBlock.select()] == [
        (rita.id, wes.id, "Copied the same answer everywhere")]
    blocks = rita.client.list_worker_blocks()
    assert (blocks["NumResults"], blocks["WorkerBlocks"]) == (
        1, [{"WorkerId": a["WorkerId"], "Reason": "Copied the same answer everywhere"}])
    assert "NextToken" not in blocks
    assert otto.client.list_worker_blocks()["NumResults"] == 0
    more = rita.client.create_hit(**create_args())["HIT"]
    with pytest.raises(HitbotError):  # the chat's block: Wes can't take Rita's HITs
        work.accept(worker_id=wes.id, hit_id=number(more["HITId"]), now=utcnow())

    with unchanged():  # Otto can't name Rita's worker: WorkerIds differ per requester
        _, _, response = error_of(otto.client.create_worker_block, WorkerId=a["WorkerId"], Reason="x")
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.WorkerDoesNotExist"
    with unchanged():
        _, _, response = error_of(rita.client.create_worker_block, WorkerId=NOBODY, Reason="x")
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.WorkerDoesNotExist"
    with unchanged():
        code, message, _ = error_of(rita.client.create_worker_block, WorkerId=a["WorkerId"], Reason="x" * 501)
    assert code == "RequestError" and "Reason" in message

    rita.client.delete_worker_block(WorkerId=a["WorkerId"], Reason="Sorted out in chat")
    assert WorkerBlock.select().count() == 0 and rita.client.list_worker_blocks()["NumResults"] == 0
    rita.client.delete_worker_block(WorkerId=a["WorkerId"])  # not blocked: nothing to do


def test_list_worker_blocks_pages_with_the_paginator(rita):
    _, done = worked(rita, "Wes", "Willa", "Walt")
    for _, a in done:
        rita.client.create_worker_block(WorkerId=a["WorkerId"], Reason="r")
    pages = list(rita.client.get_paginator("list_worker_blocks").paginate(PaginationConfig={"PageSize": 2}))
    assert [p["NumResults"] for p in pages] == [2, 1]
    assert [b["WorkerId"] for p in pages for b in p["WorkerBlocks"]] == [a["WorkerId"] for _, a in done]


def test_notify_workers_sends_a_chat_notice_to_workers_who_worked_for_you(rita, otto):
    _, [(wes, a), (willa, b)] = worked(rita, "Wes", "Willa")
    _, [(walt, c)] = worked(otto, "Walt")
    before = OutboxEvent.select().count()
    got = rita.client.notify_workers(Subject="More work <soon>", MessageText="Thanks! A new batch is coming & "
                                     "it pays more.", WorkerIds=[a["WorkerId"], a["WorkerId"], NOBODY, c["WorkerId"]])
    failed = got["NotifyWorkersFailureStatuses"]
    assert [(s["WorkerId"], s["NotifyWorkersFailureCode"]) for s in failed] == [
        (NOBODY, "HardFailure"), (c["WorkerId"], "HardFailure")]  # Walt worked for Otto, not Rita
    events = list(OutboxEvent.select().where(OutboxEvent.id > 0).order_by(OutboxEvent.id))[before:]
    sent = [e for e in events if e.kind == "requester.message"]
    assert [e.user_id for e in sent] == [wes.id]  # once, though named twice; Willa wasn't named
    assert sent[0].payload["subject"] == "More work <soon>" and sent[0].payload["requester_name"] == "Rita"

    from bot.views.notify import RENDERERS
    from core.notices import NoticeContext

    text, _ = RENDERERS["requester.message"](sent[0], NoticeContext())  # all it needs is in the payload
    assert "More work &lt;soon&gt;" in text and "A new batch is coming &amp; it pays more." in text and "Rita" in text


def test_notify_workers_bounds_change_nothing(rita):
    _, [(_, a)] = worked(rita, "Wes")
    with unchanged():
        code, message, _ = error_of(rita.client.notify_workers, Subject="s", MessageText="m",
                                    WorkerIds=[f"A{i:013d}" for i in range(101)])
    assert code == "RequestError" and "WorkerIds" in message and "100" in message
    with unchanged():
        code, message, _ = error_of(rita.client.notify_workers, Subject="s" * 201, MessageText="m",
                                    WorkerIds=[a["WorkerId"]])
    assert code == "RequestError" and "Subject" in message
    with unchanged():
        code, message, _ = error_of(rita.client.notify_workers, Subject="s", MessageText="m" * 4097,
                                    WorkerIds=[a["WorkerId"]])
    assert code == "RequestError" and "MessageText" in message


def test_list_bonus_payments_by_hit_and_by_assignment(rita, otto):
    hit_id, [(wes, a), (willa, b)] = worked(rita, "Wes", "Willa")
    rita.client.send_bonus(WorkerId=a["WorkerId"], AssignmentId=a["AssignmentId"], BonusAmount="0.25",
                           Reason="Great", UniqueRequestToken="b1")
    rita.client.send_bonus(WorkerId=b["WorkerId"], AssignmentId=b["AssignmentId"], BonusAmount="1.05",
                           Reason="Careful work", UniqueRequestToken="b2")
    rita.client.send_bonus(WorkerId=a["WorkerId"], AssignmentId=a["AssignmentId"], BonusAmount="0.10",
                           Reason="And more", UniqueRequestToken="b3")
    listed = rita.client.list_bonus_payments(HITId=hit_id)
    assert listed["NumResults"] == 3
    assert [(p["WorkerId"], p["AssignmentId"], p["BonusAmount"], p["Reason"]) for p in listed["BonusPayments"]] == [
        (a["WorkerId"], a["AssignmentId"], "0.25", "Great"), (b["WorkerId"], b["AssignmentId"], "1.05", "Careful work"),
        (a["WorkerId"], a["AssignmentId"], "0.10", "And more")]
    assert all(p["GrantTime"] for p in listed["BonusPayments"])
    only_a = rita.client.list_bonus_payments(AssignmentId=a["AssignmentId"])["BonusPayments"]
    assert [p["BonusAmount"] for p in only_a] == ["0.25", "0.10"]
    pages = list(rita.client.get_paginator("list_bonus_payments").paginate(
        HITId=hit_id, PaginationConfig={"PageSize": 2}))
    assert [p["NumResults"] for p in pages] == [2, 1]
    check_invariants()

    with unchanged():
        _, _, response = error_of(otto.client.list_bonus_payments, HITId=hit_id)
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.HitDoesNotExist"
    with unchanged():
        _, _, response = error_of(otto.client.list_bonus_payments, AssignmentId=a["AssignmentId"])
    assert response["TurkErrorCode"] == "AWS.MechanicalTurk.AssignmentDoesNotExist"
    with unchanged():
        code, _, _ = error_of(rita.client.list_bonus_payments)
    assert code == "RequestError"
    with unchanged():  # a NextToken of one HIT's listing is refused for another's
        code, _, _ = error_of(rita.client.list_bonus_payments, AssignmentId=a["AssignmentId"],
                              NextToken=pages[0]["NextToken"])
    assert code == "RequestError"
