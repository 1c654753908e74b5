"""CreateWorkerBlock, DeleteWorkerBlock, ListWorkerBlocks, NotifyWorkers, ListBonusPayments.

A WorkerId is the opaque id this requester sees (core.mturk.commands.worker_ref); one that
never worked for them names nobody, as on MTurk."""
from __future__ import annotations

from api import ids
from api.errors import request_error
from api.ops import Ctx
from api.ops.paging import Page
from api.params import Params
from api.shapes import money, ts
from core.errors import NotAllowed
from core.mturk import workers
from core.mturk.commands import worker_ref

MAX_REASON = 500  # core's bound on a block's reason (MTurk's own is longer)


def _worker(ctx: Ctx, p: Params) -> int:
    ref = p.string("WorkerId", required=True, max_len=64)
    found = workers.workers_of(requester_id=ctx.requester_id, refs=[ref]).get(ref)
    if found is None:
        raise request_error(f"Worker {ref} has not worked for you, so there is nobody to block or unblock "
                            "by that WorkerId.", "AWS.MechanicalTurk.WorkerDoesNotExist")
    return found


def create_worker_block(ctx: Ctx, p: Params) -> dict:
    reason = p.string("Reason", required=True, max_len=MAX_REASON)
    workers.block(requester_id=ctx.requester_id, worker_id=_worker(ctx, p), reason=reason, now=ctx.now)
    return {}


def delete_worker_block(ctx: Ctx, p: Params) -> dict:
    p.string("Reason", max_len=MAX_REASON)  # MTurk takes one; hitbot keeps the block's own reason only
    workers.unblock(requester_id=ctx.requester_id, worker_id=_worker(ctx, p))
    return {}


def list_worker_blocks(ctx: Ctx, p: Params) -> dict:
    page = Page.of(ctx, p, "blocks")
    rows, more = workers.blocks_page(requester_id=ctx.requester_id, after_id=page.cursor, limit=page.limit)
    return page.answer("WorkerBlocks", [
        {"WorkerId": worker_ref(ctx.requester_id, b.worker_id), "Reason": b.reason} for b in rows],
        rows[-1].id if more else None)


def notify_workers(ctx: Ctx, p: Params) -> dict:
    subject = p.string("Subject", required=True, max_len=workers.MAX_SUBJECT)
    text = p.string("MessageText", required=True, max_len=workers.MAX_MESSAGE)
    refs = p.strings("WorkerIds", required=True, max_items=workers.MAX_NOTIFY)
    missed = workers.notify(requester_id=ctx.requester_id, refs=refs, subject=subject, text=text, now=ctx.now)
    return {"NotifyWorkersFailureStatuses": [
        {"NotifyWorkersFailureCode": "HardFailure", "WorkerId": ref,
         "NotifyWorkersFailureMessage": "This worker has not worked for you, so hitbot does not pass your "
                                        "message on."} for ref in missed]}


def list_bonus_payments(ctx: Ctx, p: Params) -> dict:
    hit_text = p.string("HITId", max_len=64)
    assignment_text = p.string("AssignmentId", max_len=64)
    if (hit_text is None) == (assignment_text is None):
        raise request_error("Give either a HITId or an AssignmentId.", "AWS.MechanicalTurk.MissingParameter")
    try:
        if assignment_text is not None:
            scope = {"assignment_id": ids.parse_assignment_id(assignment_text)}
            kind, shown = f"bon-a{scope['assignment_id']}", f"Assignment {assignment_text}"
            code = "AWS.MechanicalTurk.AssignmentDoesNotExist"
        else:
            scope = {"hit_id": ids.parse_hit_id(hit_text)}
            kind, shown, code = f"bon-h{scope['hit_id']}", f"HIT {hit_text}", "AWS.MechanicalTurk.HitDoesNotExist"
        page = Page.of(ctx, p, kind)
        rows, more = workers.bonuses_page(requester_id=ctx.requester_id, after_id=page.cursor, limit=page.limit,
                                          **scope)
    except NotAllowed:
        raise request_error(f"{shown} does not exist.", code) from None
    return page.answer("BonusPayments", [
        {"WorkerId": worker_ref(ctx.requester_id, a.worker_id), "BonusAmount": money(b.amount_cents),
         "AssignmentId": ids.assignment_id(a.id), "Reason": b.reason, "GrantTime": ts(b.created_at)}
        for b, a in rows], rows[-1][0].id if more else None)
