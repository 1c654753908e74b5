"""ListAssignmentsForHIT, GetAssignment, ApproveAssignment, RejectAssignment, SendBonus."""
from __future__ import annotations

from api import ids
from api.errors import request_error
from api.ops import Ctx
from api.ops.hits import _hit_out, _owned
from api.ops.paging import Page
from api.params import Params
from api.shapes import ASSIGNMENT_STATUS, STATUS_OF_NAME, assignment_shape, cents
from core.errors import NotAllowed
from core.models import Assignment, Hit
from core.mturk import commands as mturk

MAX_FEEDBACK = 1024  # MTurk's; core's own bound (1000) applies too
MAX_REASON = 1024


def _assignment(ctx: Ctx, p: Params) -> tuple[Assignment, Hit]:
    text = p.string("AssignmentId", required=True, max_len=64)
    number = ids.parse_assignment_id(text)
    try:
        return mturk.assignment_of(requester_id=ctx.requester_id, assignment_id=number)
    except NotAllowed:
        raise request_error(f"Assignment {text} does not exist.", "AWS.MechanicalTurk.AssignmentDoesNotExist") from None


def _shapes(ctx: Ctx, rows: list[Assignment]) -> list[dict]:
    answers = mturk.answers(rows)
    extra = mturk.extras(sorted({a.hit_id for a in rows}))
    return [assignment_shape(a, answers[a.id], extra.get(a.hit_id), ctx.requester_id) for a in rows]


def list_assignments_for_hit(ctx: Ctx, p: Params) -> dict:
    hit = _owned(ctx, p.string("HITId", required=True, max_len=64))
    statuses = [STATUS_OF_NAME[s] for s in p.choices("AssignmentStatuses", list(ASSIGNMENT_STATUS.values()))]
    page = Page.of(ctx, p, f"asg{hit.id}")
    rows, more = mturk.assignments_page(requester_id=ctx.requester_id, hit_id=hit.id, after_id=page.cursor,
                                        limit=page.limit, statuses=statuses or mturk.LISTED)
    return page.answer("Assignments", _shapes(ctx, rows), rows[-1].id if more else None)


def get_assignment(ctx: Ctx, p: Params) -> dict:
    assignment, hit = _assignment(ctx, p)
    return {"Assignment": _shapes(ctx, [assignment])[0], "HIT": _hit_out(ctx, hit)}


def approve_assignment(ctx: Ctx, p: Params) -> dict:
    assignment, _ = _assignment(ctx, p)
    feedback = p.string("RequesterFeedback", max_len=MAX_FEEDBACK, min_len=0)
    mturk.approve(requester_id=ctx.requester_id, assignment_id=assignment.id, now=ctx.now, feedback=feedback,
                  override_rejection=p.boolean("OverrideRejection"))
    return {}


def reject_assignment(ctx: Ctx, p: Params) -> dict:
    assignment, _ = _assignment(ctx, p)
    feedback = p.string("RequesterFeedback", required=True, max_len=MAX_FEEDBACK)
    mturk.reject(requester_id=ctx.requester_id, assignment_id=assignment.id, feedback=feedback, now=ctx.now)
    return {}


def send_bonus(ctx: Ctx, p: Params) -> dict:
    worker = p.string("WorkerId", required=True, max_len=64)
    amount = cents(p.string("BonusAmount", required=True, max_len=20), "BonusAmount")
    assignment, _ = _assignment(ctx, p)
    reason = p.string("Reason", required=True, max_len=MAX_REASON)
    mturk.send_bonus(requester_id=ctx.requester_id, assignment_id=assignment.id, worker=worker, amount_cents=amount,
                     reason=reason, now=ctx.now, token=p.string("UniqueRequestToken", max_len=mturk.MAX_TOKEN))
    return {}
