"""hitbot's tables. One module per area; import from here."""
from __future__ import annotations

from core.models.alerts import AlertCursor, AlertSent, AlertSub
from core.models.base import BaseModel, JSONField, UTCDateTimeField
from core.models.cards import ChatCard
from core.models.drafts import DraftStatus, HitDraft
from core.models.events import OutboxEvent
from core.models.hits import FILE_KINDS, QUESTION_KINDS, Batch, Hit, HitStatus, Question
from core.models.money import Account, AccountKind, Entry, LedgerTxn, Payout, PayoutStatus
from core.models.mturk import ApiKey, MturkHit
from core.models.payouts import AutoWithdraw
from core.models.quality import Appeal, GoldStat, QualTest, QualTestAttempt
from core.models.quals import (
    COMPARATORS,
    GUARDS,
    HitRequirement,
    QualificationGrant,
    QualificationType,
    SystemQual,
)
from core.models.users import User
from core.models.work import Answer, Assignment, AssignmentStatus, Bonus, Rating, WorkerBlock

# Creation order (foreign keys first).
ALL_MODELS: list[type[BaseModel]] = [
    User,
    Batch,
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
    GoldStat,
    Appeal,
    HitDraft,
    AutoWithdraw,
    AlertSub,
    AlertSent,
    AlertCursor,
    ChatCard,
    ApiKey,
    MturkHit,
]

__all__ = [
    "AutoWithdraw", "ChatCard", "ApiKey", "MturkHit",
    "AlertCursor", "AlertSent", "AlertSub",
    "ALL_MODELS", "DraftStatus", "HitDraft", "Appeal", "GoldStat", "QualTest", "QualTestAttempt", "COMPARATORS", "FILE_KINDS", "GUARDS", "QUESTION_KINDS",
    "Account", "AccountKind", "Answer", "Assignment", "AssignmentStatus", "BaseModel", "Batch",
    "Bonus", "Entry", "Hit", "HitRequirement", "HitStatus", "JSONField", "LedgerTxn",
    "OutboxEvent", "Payout", "PayoutStatus", "QualificationGrant", "QualificationType",
    "Question", "Rating", "SystemQual", "UTCDateTimeField", "User", "WorkerBlock",
]
