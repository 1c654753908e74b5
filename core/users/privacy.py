"""People's data on request: what hitbot keeps about someone, an export of all of it, and
deleting an account (by the person, or by an admin for someone who asked by other means).

Deleting anonymises what identifies or was written by the person (names, username, language,
country, time zone, profile and settings, alerts, drafts, the personal content of their answers:
free text, files, locations; their appeal texts; API keys; payout destinations and tax details) and keeps what money law and the other
party's records need: the ledger and its entries, payouts, assignments with their status and
amounts, choices and numbers given as answers, ratings. The user row stays (under the Telegram
id) because the money records point at it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from core.config import get_settings
from core.db import tx
from core.errors import NotAllowed
from core.messages import commands as messages
from core.models import (
    Account,
    AccountKind,
    AlertSub,
    Answer,
    ApiKey,
    Appeal,
    Assignment,
    AutoWithdraw,
    ChatCard,
    Hit,
    HitDraft,
    Payout,
    PayoutDestination,
    PayoutStatus,
    QualificationGrant,
    QualificationType,
    Question,
    Rating,
    Revision,
    TaxDetails,
    User,
)
from core.payments import accounts
from core.quals import requests as qual_requests
from core.review.ratings import DIMENSIONS
from core.texts import N_
from core.users.commands import get_user

PERSONAL_ANSWER_KINDS = ("text", "photo", "document", "voice", "location", "web")
ERASED_FILE = {"erased": True}  # what a file or location answer holds once its owner deleted the account


@dataclass(frozen=True)
class PrivacySummary:
    """What hitbot keeps about one person, counted, and whether they may delete now."""

    user: User
    assignments_n: int
    answers_n: int
    hits_n: int
    payouts_n: int
    ratings_n: int
    appeals_n: int
    alerts_n: int
    available_cents: int
    escrow_cents: int
    open_hits_n: int
    deleted: bool

    @property
    def must_wait(self) -> bool:
        return self.escrow_cents > 0


@dataclass(frozen=True)
class Deleted:
    user_id: int
    answers_erased: int
    available_cents: int  # still theirs: the ledger keeps it under the same id


def _escrow(user_id: int) -> tuple[int, int]:
    """(cents in escrow for this requester's HITs, HITs holding some)."""
    row = (Account.select(fn.COALESCE(fn.SUM(Account.balance_cents), 0), fn.COUNT(Account.id))
           .join(Hit, on=(Account.hit_id == Hit.id))
           .where((Account.kind == AccountKind.ESCROW) & (Hit.requester == user_id) & (Account.balance_cents != 0))
           .tuples().first())
    return int(row[0] or 0), int(row[1] or 0)


def summary(*, user_id: int) -> PrivacySummary:
    user = get_user(user_id)
    mine = Assignment.select(Assignment.id).where(Assignment.worker == user_id)
    escrow, open_hits = _escrow(user_id)
    return PrivacySummary(
        user=user,
        assignments_n=mine.count(),
        answers_n=Answer.select().where(Answer.assignment.in_(mine)).count(),
        hits_n=Hit.select().where(Hit.requester == user_id).count(),
        payouts_n=Payout.select().where(Payout.worker == user_id).count(),
        ratings_n=Rating.select().where((Rating.rater == user_id) | (Rating.ratee == user_id)).count(),
        appeals_n=Appeal.select().where(Appeal.assignment.in_(mine)).count(),
        alerts_n=AlertSub.select().where(AlertSub.user == user_id).count(),
        available_cents=accounts.balances(user_id=user_id).available_cents,
        escrow_cents=escrow, open_hits_n=open_hits,
        deleted=bool((user.prefs or {}).get("deleted_at")))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export(*, user_id: int, now: datetime) -> dict:
    """Everything hitbot keeps about the person, as JSON-ready data."""
    user = get_user(user_id)
    balances = accounts.balances(user_id=user_id)
    work = []
    rows = (Assignment.select(Assignment, Hit).join(Hit).where(Assignment.worker == user_id)
            .order_by(Assignment.id))
    for a in rows:
        answers = (Answer.select(Answer, Question).join(Question).where(Answer.assignment == a.id)
                   .order_by(Question.position))
        appeal = Appeal.get_or_none(Appeal.assignment == a.id)
        work.append({
            "assignment_id": a.id, "hit_id": a.hit.id, "hit_title": a.hit.title, "status": a.status,
            "reward_cents": a.hit.reward_cents, "accepted_at": _iso(a.accepted_at),
            "submitted_at": _iso(a.submitted_at), "decided_at": _iso(a.decided_at), "feedback": a.feedback,
            "answers": [{"question": ans.question.key, "kind": ans.question.kind, "value": ans.value,
                         "answered_at": _iso(ans.answered_at)} for ans in answers],
            "appeal": {"message": appeal.message, "outcome": appeal.outcome, "created_at": _iso(appeal.created_at)}
            if appeal else None})
    return {
        "exported_at": _iso(now),
        "profile": {"id": user.id, "first_name": user.first_name, "username": user.username,
                    "language_code": user.language_code, "country": user.country, "timezone": user.timezone,
                    "created_at": _iso(user.created_at), "settings": user.prefs or {},
                    "approved": user.approved_n, "rejected": user.rejected_n, "submitted": user.submitted_n},
        "balances": {"currency": get_settings().currency, "available_cents": balances.available_cents,
                     "pending_review_cents": balances.pending_review_cents,
                     "payout_pending_cents": balances.payout_pending_cents},
        "work": work,
        "appeals": [w["appeal"] | {"assignment_id": w["assignment_id"]} for w in work if w["appeal"]],
        "hits": [{"id": h.id, "title": h.title, "status": h.status, "reward_cents": h.reward_cents,
                  "max_assignments": h.max_assignments, "created_at": _iso(h.created_at)}
                 for h in Hit.select().where(Hit.requester == user_id).order_by(Hit.id)],
        "payouts": [{"id": p.id, "amount_cents": p.amount_cents, "fee_cents": p.fee_cents, "status": p.status,
                     "method": p.method, "destination": p.destination_masked, "reference": p.provider_ref,
                     "failure_reason": p.failure_reason, "created_at": _iso(p.created_at),
                     "updated_at": _iso(p.updated_at)}
                    for p in Payout.select().where(Payout.worker == user_id).order_by(Payout.id)],
        # Masked only, as the person sees them in /payout: an export file travels, the full details never.
        "payout_destinations": [{"id": d.id, "method": d.method, "masked": d.masked, "default": d.is_default,
                                 "added_at": _iso(d.created_at), "hold_until": _iso(d.hold_until),
                                 "removed_at": _iso(d.removed_at)}
                                for d in PayoutDestination.select().where(PayoutDestination.user == user_id)
                                .order_by(PayoutDestination.id)],
        "tax_details": ({"country": t.country, "tax_id_masked": t.masked, "updated_at": _iso(t.updated_at)}
                        if (t := TaxDetails.get_or_none(TaxDetails.user == user_id)) else None),
        "ratings": {
            "given": [{"assignment_id": r.assignment_id, "stars": r.stars, "direction": r.direction,
                       "created_at": _iso(r.created_at),
                       **{d: getattr(r, d) for d in DIMENSIONS if getattr(r, d) is not None}}  # pay, fairness...
                      for r in Rating.select().where(Rating.rater == user_id)],
            "received": [{"assignment_id": r.assignment_id, "stars": r.stars, "direction": r.direction,
                          "created_at": _iso(r.created_at)} for r in Rating.select().where(Rating.ratee == user_id)]},
        "alerts": [{"filters": s.filters, "muted": s.muted, "created_at": _iso(s.created_at)}
                   for s in AlertSub.select().where(AlertSub.user == user_id)],
        "qualifications": [{"name": g.qtype.name, "value": g.value, "granted_at": _iso(g.granted_at)}
                           for g in QualificationGrant.select(QualificationGrant, QualificationType)
                           .join(QualificationType).where(QualificationGrant.worker == user_id)],
        "messages": messages.export_of(user_id=user_id),
        "qualification_requests": qual_requests.export_of(user_id=user_id),
    }


def _erased(kind: str, value: object) -> object:
    if kind == "text":
        return ""
    if kind == "web" and isinstance(value, list):  # a task page's form: the requester's field names stay
        return [[p[0], ""] for p in value if isinstance(p, list) and len(p) == 2]
    return ERASED_FILE


def delete_account(*, user_id: int, now: datetime) -> Deleted:
    """Anonymise the person's data, keep the money records. Refused (NotAllowed) while the
    person's HITs hold money in escrow: that money is settled by approvals, expiry or ending them;
    and while a payout to one of their destinations is on its way (it needs the details)."""
    with tx():
        get_user(user_id)
        escrow, open_hits = _escrow(user_id)
        if escrow:
            raise NotAllowed(N_("{open_hits} of your HITs still hold money in escrow. End them in /myhits, or wait "
                                "until their work is reviewed, then delete your account."), open_hits=open_hits)
        if Payout.select().where((Payout.worker == user_id) & Payout.status.in_(PayoutStatus.OPEN)
                                 & Payout.destination_id.is_null(False)).exists():
            raise NotAllowed(N_("A payout to you is still on its way. Delete your account once it is paid (or has "
                                "come back to your balance): see /withdraw."))
        mine = Assignment.select(Assignment.id).where(Assignment.worker == user_id)
        personal = Question.select(Question.id).where(Question.kind.in_(PERSONAL_ANSWER_KINDS))
        erased = 0
        for answer in Answer.select(Answer, Question).join(Question).where(
                Answer.assignment.in_(mine) & Answer.question.in_(personal)):
            Answer.update(value=_erased(answer.question.kind, answer.value)).where(Answer.id == answer.id).execute()
            erased += 1
        Appeal.update(message="").where(Appeal.assignment.in_(mine)).execute()
        Revision.update(draft={}).where(Revision.assignment.in_(mine)).execute()  # changes not yet resubmitted
        messages.erase_of(user_id=user_id)
        qual_requests.erase_of(user_id=user_id)
        AlertSub.delete().where(AlertSub.user == user_id).execute()
        HitDraft.delete().where(HitDraft.user == user_id).execute()
        AutoWithdraw.delete().where(AutoWithdraw.user == user_id).execute()
        # Payouts keep the masked destination they went to (money records); the sealed details go.
        PayoutDestination.delete().where(PayoutDestination.user == user_id).execute()
        TaxDetails.delete().where(TaxDetails.user == user_id).execute()
        ChatCard.delete().where(ChatCard.chat_id == user_id).execute()
        ApiKey.update(revoked_at=now).where((ApiKey.user == user_id) & ApiKey.revoked_at.is_null()).execute()
        User.update(first_name="", username=None, language_code=None, country=None, timezone="UTC",
                    prefs={"deleted_at": now.isoformat()}).where(User.id == user_id).execute()
    return Deleted(user_id=user_id, answers_erased=erased,
                   available_cents=accounts.balances(user_id=user_id).available_cents)


def forget(*, admin_id: int, user_id: int, now: datetime) -> Deleted:
    """An admin deletes the account of someone who asked by other means (same rules)."""
    if admin_id not in get_settings().admins:
        raise NotAllowed(N_("Only admins can do that."))
    return delete_account(user_id=user_id, now=now)
