"""Every operation this server answers, by its X-Amz-Target name (one explicit table)."""
from __future__ import annotations

from collections.abc import Callable

from api.ops import Ctx, account, assignments, hits, notifications, quals, workers
from api.params import Params

TARGET_PREFIX = "MTurkRequesterServiceV20170117"

OPERATIONS: dict[str, Callable[[Ctx, Params], dict]] = {
    "GetAccountBalance": account.get_account_balance,
    "CreateHIT": hits.create_hit,
    "CreateHITType": hits.create_hit_type,
    "CreateHITWithHITType": hits.create_hit_with_hit_type,
    "GetHIT": hits.get_hit,
    "ListHITs": hits.list_hits,
    "ListReviewableHITs": hits.list_reviewable_hits,
    "UpdateExpirationForHIT": hits.update_expiration_for_hit,
    "CreateAdditionalAssignmentsForHIT": hits.create_additional_assignments_for_hit,
    "UpdateHITReviewStatus": hits.update_hit_review_status,
    "DeleteHIT": hits.delete_hit,
    "UpdateHITTypeOfHIT": hits.update_hit_type_of_hit,
    "ListAssignmentsForHIT": assignments.list_assignments_for_hit,
    "GetAssignment": assignments.get_assignment,
    "ApproveAssignment": assignments.approve_assignment,
    "RejectAssignment": assignments.reject_assignment,
    "SendBonus": assignments.send_bonus,
    "ListBonusPayments": workers.list_bonus_payments,
    "CreateWorkerBlock": workers.create_worker_block,
    "DeleteWorkerBlock": workers.delete_worker_block,
    "ListWorkerBlocks": workers.list_worker_blocks,
    "NotifyWorkers": workers.notify_workers,
    "CreateQualificationType": quals.create_qualification_type,
    "GetQualificationType": quals.get_qualification_type,
    "ListQualificationTypes": quals.list_qualification_types,
    "UpdateQualificationType": quals.update_qualification_type,
    "DeleteQualificationType": quals.delete_qualification_type,
    "AssociateQualificationWithWorker": quals.associate_qualification_with_worker,
    "DisassociateQualificationFromWorker": quals.disassociate_qualification_from_worker,
    "GetQualificationScore": quals.get_qualification_score,
    "ListWorkersWithQualificationType": quals.list_workers_with_qualification_type,
    "ListHITsForQualificationType": quals.list_hits_for_qualification_type,
    "ListQualificationRequests": quals.list_qualification_requests,
    "AcceptQualificationRequest": quals.accept_qualification_request,
    "RejectQualificationRequest": quals.reject_qualification_request,
    "UpdateNotificationSettings": notifications.update_notification_settings,
    "SendTestEventNotification": notifications.send_test_event_notification,
}
