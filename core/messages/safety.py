"""Keeping conversations safe: mute, report (admins resolve), a worker's block of a requester,
and the rules for links in first messages and for files. One transaction per use case; every
press re-checked here (whose thread, which side, an admin)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError

from core.db import db, tx
from core.errors import NotAllowed, StaleAction, ValidationFailed, WorkerBlocked
from core.models import Message, RequesterBlock, Thread, ThreadReport, User
from core.mturk.ids import worker_alias
from core.texts import N_

WORKER, REQUESTER = "w", "r"
MAX_REASON = 500
MAX_CAPTION = 1024  # Telegram's caption limit
MAX_FILE_BYTES = 20 * 1024 * 1024
DOCUMENT_TYPES = frozenset({
    "application/pdf", "text/plain", "text/csv", "image/jpeg", "image/png", "image/webp", "application/zip",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
})
REPORTS_PAGE = 5
LAST_SHOWN = 5  # a report shows the thread's last messages
FLAG_WINDOW = timedelta(days=7)

# A URL (with a scheme, www. or a bare domain with a common ending) or a Telegram @username / t.me link.
_LINK = re.compile(r"(?i)(\bhttps?://|\bwww\.|\bt\.me/|\btelegram\.me/|(?<![\w@])@[a-z0-9_]{4,32}\b"
                   r"|\b[a-z0-9-]{2,63}\.(?:com|net|org|io|me|ru|info|biz|xyz|top|link|site|online|app|co)\b)")


class RequesterBlockedByYou(WorkerBlocked):
    """Raised when a worker acts on a requester they blocked (their HITs, their thread)."""

    default = N_("You blocked this requester. Unblock them in /blocks to see their HITs and messages again.")


class WorkerUnreachable(NotAllowed):
    """Raised when a requester writes to a worker who blocked them."""

    default = N_("This worker does not take messages from you.")


def has_link(text: str | None) -> bool:
    """What flags a first message: a URL or an @username (pure)."""
    return bool(text and _LINK.search(text))


def check_file(file: dict, caption: str | None) -> tuple[str, dict]:
    """A photo ("p") or a document ("d") fit to relay by its file_id: bounded size and type, caption
    ≤ 1024. Returns the caption and what the message row keeps."""
    caption = (caption or "").strip()
    kind, file_id = file.get("kind"), str(file.get("file_id") or "")
    if kind not in ("p", "d") or not 1 <= len(file_id) <= 200:
        raise ValidationFailed(N_("Only photos and documents can be sent."))
    if len(caption) > MAX_CAPTION:
        raise ValidationFailed(N_("A caption has at most {max} characters."), max=MAX_CAPTION)
    if int(file.get("size") or 0) > MAX_FILE_BYTES:
        raise ValidationFailed(N_("That file is too large: at most {mb} MB."), mb=MAX_FILE_BYTES // (1024 * 1024))
    if kind == "d" and str(file.get("mime") or "").lower() not in DOCUMENT_TYPES:
        raise ValidationFailed(N_("That kind of file can't be sent: PDF, text, CSV, images, office documents or ZIP."))
    return caption, {"kind": kind, "file_id": file_id, "name": str(file.get("name") or "")[:120] or None}


# Blocks ---------------------------------------------------------------------------------------

def hidden_requesters(worker_id):
    """Requesters this worker blocked, as a subquery for HIT listings: `X.requester.not_in(...)`.
    Small and indexed (worker, requester)."""
    return RequesterBlock.select(RequesterBlock.requester).where(RequesterBlock.worker == worker_id)


def workers_blocking(requester_id: int, worker_ids) -> set[int]:
    """Which of these workers blocked this requester (their notices skip them)."""
    ids = list(worker_ids)
    return set(RequesterBlock.select(RequesterBlock.worker).where(
        (RequesterBlock.requester == requester_id) & RequesterBlock.worker.in_(ids)).scalars()) if ids else set()


def blocked(worker_id: int, requester_id: int) -> bool:
    return RequesterBlock.select().where((RequesterBlock.worker == worker_id)
                                         & (RequesterBlock.requester == requester_id)).exists()


def check_not_blocked(worker_id: int, requester_id: int) -> None:
    """Accept, preview and messages refuse a requester the worker blocked, saying so."""
    if blocked(worker_id, requester_id):
        raise RequesterBlockedByYou()


def side_in(thread_id: int, user_id: int) -> tuple[Thread, str]:
    """The thread and the caller's side in it; NotAllowed for a thread that is not theirs."""
    thread = Thread.get_or_none(Thread.id == thread_id)
    if thread is None:
        raise NotAllowed()
    if thread.worker_id == user_id:
        return thread, WORKER
    if thread.requester_id == user_id:
        return thread, REQUESTER
    raise NotAllowed()  # a forged or someone else's thread button


def block_requester(*, worker_id: int, thread_id: int, now: datetime) -> bool:
    """The worker of a thread blocks its requester; True if newly blocked (a second press changes nothing)."""
    with tx():
        thread, side = side_in(thread_id, worker_id)
        if side != WORKER:
            raise NotAllowed()
        try:
            with db.atomic():
                RequesterBlock.create(worker=worker_id, requester=thread.requester_id, created_at=now)
            return True
        except IntegrityError:
            return False


def unblock_requester(*, worker_id: int, thread_id: int | None = None, block_id: int | None = None) -> bool:
    """From a thread or from /blocks; only the worker's own block. False if it was already gone."""
    with tx():
        if thread_id is not None:
            thread, side = side_in(thread_id, worker_id)
            if side != WORKER:
                raise NotAllowed()
            where = (RequesterBlock.worker == worker_id) & (RequesterBlock.requester == thread.requester_id)
        else:
            where = (RequesterBlock.worker == worker_id) & (RequesterBlock.id == int(block_id or 0))
        return RequesterBlock.delete().where(where).execute() == 1


@dataclass(frozen=True)
class BlockRow:
    block_id: int
    requester: str  # as the worker sees them
    created_at: datetime


def blocks_of(*, worker_id: int, limit: int = 20) -> list[BlockRow]:
    """The requesters a worker blocked, newest first (/blocks)."""
    rows = (RequesterBlock.select(RequesterBlock, User).join(User, on=(RequesterBlock.requester == User.id))
            .where(RequesterBlock.worker == worker_id).order_by(RequesterBlock.id.desc()).limit(limit))
    return [BlockRow(r.id, r.requester.first_name or "Requester", r.created_at) for r in rows]


# Mute and report ------------------------------------------------------------------------------

def set_muted(*, user_id: int, thread_id: int, muted: bool) -> bool:
    """Mute or unmute one's side of a thread (no notices; still readable). Returns the new state."""
    with tx():
        thread, side = side_in(thread_id, user_id)
        column = Thread.worker_muted if side == WORKER else Thread.requester_muted
        Thread.update({column: muted}).where(Thread.id == thread.id).execute()
        return muted


def check_report(*, user_id: int, thread_id: int) -> None:
    """Before the reason is typed: the caller's thread, not already reported by them and still open."""
    thread, side = side_in(thread_id, user_id)
    if ThreadReport.select().where((ThreadReport.thread == thread.id) & (ThreadReport.side == side)
                                   & ThreadReport.resolved_at.is_null()).exists():
        raise StaleAction(N_("You have already reported this conversation; an admin will look at it."))


def report(*, user_id: int, thread_id: int, reason: str | None, now: datetime) -> ThreadReport:
    """One side reports the conversation, with an optional reason (bounded). One open report per side."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(N_("A reason has at most {max} characters."), max=MAX_REASON)
    with tx():
        thread, side = side_in(thread_id, user_id)
        # The reporter's row lock queues a double tap, so the check above holds for the insert.
        User.update(id=User.id).where(User.id == user_id).execute()
        check_report(user_id=user_id, thread_id=thread_id)
        return ThreadReport.create(thread=thread.id, side=side, reason=reason, created_at=now)


@dataclass(frozen=True)
class ReportRow:
    report_id: int
    thread_id: int
    by: str  # "w" or "r": who reported
    worker: str  # the worker's alias
    requester: str  # the requester's first name
    requester_id: int
    worker_id: int
    reason: str
    created_at: datetime
    messages: list[tuple[str, str, str | None, bool]]  # (side, text, file kind, flagged), oldest first


@dataclass(frozen=True)
class ReportsPage:
    rows: list[ReportRow]
    page: int
    has_more: bool
    open_n: int
    flagged_n: int  # first messages with links in the last FLAG_WINDOW


def _admin(admin_ids: frozenset[int], admin_id: int) -> None:
    if admin_id not in admin_ids:
        raise NotAllowed(N_("Only admins can see this."))


def open_reports(*, admin_ids: frozenset[int], admin_id: int, page: int = 0, now: datetime) -> ReportsPage:
    """For admins: open reports, oldest first, each with its thread's last messages."""
    _admin(admin_ids, admin_id)
    page = max(0, min(int(page), 10_000))
    base = ThreadReport.select().where(ThreadReport.resolved_at.is_null())
    rows = list(base.order_by(ThreadReport.id).offset(page * REPORTS_PAGE).limit(REPORTS_PAGE + 1))
    out = []
    for r in rows[:REPORTS_PAGE]:
        thread = Thread.get_by_id(r.thread_id)
        requester = User.get_by_id(thread.requester_id)
        last = list(Message.select().where(Message.thread == thread.id).order_by(Message.id.desc()).limit(LAST_SHOWN))
        out.append(ReportRow(r.id, thread.id, r.side, worker_alias(thread.requester_id, thread.worker_id),
                             requester.first_name or "Requester", thread.requester_id, thread.worker_id,
                             r.reason, r.created_at,
                             [(m.side, m.text, m.file_kind, m.flagged) for m in reversed(last)]))
    flagged = Message.select().where(Message.flagged & (Message.created_at > now - FLAG_WINDOW)).count()
    return ReportsPage(out, page, len(rows) > REPORTS_PAGE, base.count(), flagged)


def resolve(*, admin_ids: frozenset[int], admin_id: int, report_id: int, now: datetime) -> bool:
    """An admin closes a report; False if it was already resolved (a second admin, a double tap)."""
    _admin(admin_ids, admin_id)
    with tx():
        if ThreadReport.get_or_none(ThreadReport.id == report_id) is None:
            raise NotAllowed()
        return (ThreadReport.update(resolved_at=now, resolved_by=admin_id)
                .where((ThreadReport.id == report_id) & ThreadReport.resolved_at.is_null()).execute() == 1)


# What a thread's buttons do, and the thread as it now stands (one call per press) -------------

ACTIONS = ("mute", "unmute", "block", "unblock")


def act(*, user_id: int, thread_id: int, action: str, now: datetime):
    """Mute, unmute, block or unblock from a thread's buttons; returns (changed, the thread's view)."""
    from core.messages.commands import open_thread  # commands uses this module's rules

    if action not in ACTIONS:
        raise NotAllowed()
    with tx():
        if action in ("mute", "unmute"):
            changed = set_muted(user_id=user_id, thread_id=thread_id, muted=action == "mute")
        elif action == "block":
            changed = block_requester(worker_id=user_id, thread_id=thread_id, now=now)
        else:
            changed = unblock_requester(worker_id=user_id, thread_id=thread_id)
        return changed, open_thread(user_id=user_id, thread_id=thread_id, now=now)


def resolve_report(*, admin_ids: frozenset[int], admin_id: int, report_id: int, page: int,
                   now: datetime) -> tuple[bool, ReportsPage]:
    """Resolve, then the page of open reports the admin was on."""
    resolved = resolve(admin_ids=admin_ids, admin_id=admin_id, report_id=report_id, now=now)
    shown = open_reports(admin_ids=admin_ids, admin_id=admin_id, page=page, now=now)
    while not shown.rows and shown.page > 0:  # the page's last one went: show the one before
        shown = open_reports(admin_ids=admin_ids, admin_id=admin_id, page=shown.page - 1, now=now)
    return resolved, shown
