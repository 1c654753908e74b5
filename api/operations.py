"""Every operation this server answers, by its X-Amz-Target name (one explicit table)."""
from __future__ import annotations

from collections.abc import Callable

from api.ops import Ctx, account, assignments, hits
from api.params import Params

TARGET_PREFIX = "MTurkRequesterServiceV20170117"

OPERATIONS: dict[str, Callable[[Ctx, Params], dict]] = {
    "GetAccountBalance": account.get_account_balance,
    "CreateHIT": hits.create_hit,
    "GetHIT": hits.get_hit,
    "ListHITs": hits.list_hits,
    "ListAssignmentsForHIT": assignments.list_assignments_for_hit,
    "GetAssignment": assignments.get_assignment,
    "ApproveAssignment": assignments.approve_assignment,
    "RejectAssignment": assignments.reject_assignment,
    "SendBonus": assignments.send_bonus,
}
