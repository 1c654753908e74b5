"""hitbot's tables, in one place. Each area keeps its own (core/<area>/tables.py, plus the
outbox's and the cards' beside their code); import them from here everywhere outside those files."""
from __future__ import annotations

from core.alerts.tables import AlertCursor, AlertSent, AlertSub
from core.cards import ChatCard
from core.db import BaseModel, JSONField, UTCDateTimeField
from core.hits.tables import (
    FILE_KINDS,
    QUESTION_KINDS,
    WEB_KIND,
    Batch,
    DraftStatus,
    Hit,
    HitDraft,
    HitGroup,
    HitStatus,
    Question,
)
from core.hits.followup_tables import FollowupOffer
from core.messages.group_tables import GroupRecipient, GroupSend
from core.messages.tables import Message, RequesterBlock, Thread, ThreadReport
from core.mturk.tables import ApiKey, MturkHit, MturkHitState, MturkHitType, MturkNotification, MturkQualType
from core.outbox import OutboxEvent
from core.payments.tables import (
    Account,
    AccountKind,
    AutoWithdraw,
    Entry,
    LedgerTxn,
    Payout,
    PayoutDestination,
    PayoutStatus,
    TaxDetails,
    TopUp,
    TopUpSource,
)
from core.quals.tables import (
    COMPARATORS,
    GUARDS,
    HitRequirement,
    QualificationGrant,
    QualificationRequest,
    QualificationType,
    QualTest,
    QualTestAttempt,
    SystemQual,
)
from core.review.tables import Appeal, Bonus, GoldStat, Rating, Revision, WorkerBlock
from core.users.tables import User
from core.work.tables import Answer, Assignment, AssignmentStatus

# Creation order (foreign keys first).
ALL_MODELS: list[type[BaseModel]] = [
    User,
    Batch,
    HitGroup,
    Hit,
    Question,
    Assignment,
    Answer,
    Bonus,
    WorkerBlock,
    Rating,
    Account,
    LedgerTxn,
    Entry,
    Payout,
    OutboxEvent,
    QualificationType,
    QualificationGrant,
    HitRequirement,
    QualTest,
    QualTestAttempt,
    QualificationRequest,
    GoldStat,
    Appeal,
    Revision,
    HitDraft,
    AutoWithdraw,
    AlertSub,
    AlertSent,
    AlertCursor,
    ChatCard,
    ApiKey,
    MturkHit,
    PayoutDestination,
    MturkHitType,
    MturkHitState,
    MturkQualType,
    MturkNotification,
    TaxDetails,
    TopUp,
    Thread,
    Message,
    ThreadReport,
    RequesterBlock,
    FollowupOffer,
    GroupSend,
    GroupRecipient,
]

__all__ = [
    "ALL_MODELS", "COMPARATORS", "FILE_KINDS", "GUARDS", "QUESTION_KINDS", "WEB_KIND",
    "Account", "AccountKind", "AlertCursor", "AlertSent", "AlertSub", "Answer", "ApiKey", "Appeal", "Assignment",
    "AssignmentStatus", "AutoWithdraw", "BaseModel", "Batch", "Bonus", "ChatCard", "DraftStatus", "Entry", "FollowupOffer", "GroupRecipient", "GroupSend",
    "GoldStat", "Hit", "HitDraft", "HitGroup", "HitRequirement", "HitStatus", "JSONField", "LedgerTxn", "Message", "MturkHit",
    "MturkHitState", "MturkHitType", "MturkNotification", "MturkQualType",
    "OutboxEvent", "Payout", "PayoutDestination", "PayoutStatus", "QualTest", "QualTestAttempt", "QualificationGrant", "QualificationRequest",
    "QualificationType", "Question", "Rating", "RequesterBlock", "Revision", "SystemQual", "TaxDetails", "Thread", "ThreadReport", "TopUp", "TopUpSource", "UTCDateTimeField",
    "User", "WorkerBlock",
]
