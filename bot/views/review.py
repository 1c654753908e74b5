"""Review: the submission card (also what the jobs worker sends for 'submission.received'),
the /review queue summary, and 'approve all' confirmations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views import messages
from bot.views.common import button, clip, duration, esc, fit, keyboard, money
from core.models import AssignmentStatus as S
from core.review.commands import REVERSAL_WINDOW
from core.review.queries import PendingHit, Submission

MAX_ANSWER_CHARS = 600  # per answer on the card; the export has everything


@dataclass(frozen=True)
class Attachment:
    """A file answer to send along with the card (by Telegram file id, no download)."""

    kind: str  # photo | document | voice
    file_id: str
    caption: str


def _answer_text(kind: str, value: object) -> str:
    if value is None:
        return "<i>skipped</i>"
    if kind in ("photo", "document", "voice") and isinstance(value, dict):
        icon = {"photo": "📷", "document": "📄", "voice": "🎤"}[kind]
        name = value.get("file_name") or kind
        return f"{icon} {esc(name)} (sent below)"
    if kind == "location" and isinstance(value, dict):
        return f"📍 {value.get('latitude'):.5f}, {value.get('longitude'):.5f}"
    if kind == "rating":
        return "★" * int(value) + f" ({value}/5)"  # type: ignore[arg-type]
    if kind == "web" and isinstance(value, list):  # a task page's form: its fields, one per line
        pairs = [p for p in value if isinstance(p, list) and len(p) == 2]
        shown = "\n".join(f"   {esc(clip(str(n), 60))} = <b>{esc(clip(str(v), 200))}</b>" for n, v in pairs[:30])
        more = f"\n   … and {len(pairs) - 30} more fields (all in the results file)" if len(pairs) > 30 else ""
        return ("the task page's form:\n" + shown + more) if pairs else "<i>an empty form</i>"
    if isinstance(value, list):
        return "<b>" + esc(", ".join(map(str, value))) + "</b>"
    return "<b>" + esc(clip(str(value), MAX_ANSWER_CHARS)) + "</b>"


def _status_line(sub: Submission, now: datetime) -> str:
    a = sub.assignment
    if a.status == S.SUBMITTED:
        left = f"auto-approves in {duration((a.auto_approve_at - now).total_seconds())}" if a.auto_approve_at else ""
        return f"⏳ Waiting for your review{' · ' + left if left else ''}"
    if a.status == S.APPROVED:
        how = " automatically" if a.auto_approved else ""
        return f"✅ Approved{how}; {money(sub.hit.reward_cents)} paid" + (f" · feedback: {esc(a.feedback)}"
                                                                          if a.feedback else "")
    if a.status == S.REJECTED:
        return f"❌ Rejected: {esc(a.feedback or '')}"
    return f"Status: {esc(a.status)}"


def render_card(sub: Submission, *, now: datetime | None = None,
                queue: bool = False) -> tuple[str, InlineKeyboardMarkup | None, list[Attachment]]:
    """The card for one submission (core.review.queries.submission): worker, answers, decision
    so far, and the buttons that still make sense (Approve, Reject, Bonus, Block)."""
    now = now or datetime.now(timezone.utc)
    a, hit, worker = sub.assignment, sub.hit, sub.worker
    rate = f"{worker.approval_rate_pct}% approved" if worker.approval_rate_pct is not None else "new worker"
    lines = [f"📥 <b>Submission #{a.id}</b> for “{esc(hit.title)}” (HIT #{hit.id})",
             f"👷 {esc(sub.worker_alias)} · {rate}"
             + (f" · control answers {sub.skill_pct}% right" if sub.skill_pct is not None else "")]
    if a.work_s is not None:
        lines.append(f"⏱ Worked {duration(a.work_s)} of {duration(hit.duration_s)}")
    if sub.speed_flag:
        lines.append(esc(sub.speed_flag))
    lines.append("")
    attachments = []
    for q, value in sub.items:
        lines.append(f"{q.position + 1}. {esc(clip(q.prompt, 200))}\n   → {_answer_text(q.kind, value)}")
        if q.kind in ("photo", "document", "voice") and isinstance(value, dict) and value.get("file_id"):
            attachments.append(Attachment(q.kind, value["file_id"],
                                          clip(f"#{a.id}, question {q.position + 1}: {q.prompt}", 200)))
    lines.append("")
    lines.append(_status_line(sub, now))
    if sub.bonuses_cents:
        lines.append(f"💵 Bonus paid: {money(sub.bonuses_cents)}")
    if sub.worker_blocked:
        lines.append("🚫 You blocked this worker")
    return fit("\n".join(lines)), card_buttons(sub, now, queue=queue), attachments


def card_buttons(sub: Submission, now: datetime, *, queue: bool = False) -> InlineKeyboardMarkup | None:
    a = sub.assignment
    rows = []
    if a.status == S.SUBMITTED:
        rows.append([button("✅ Approve", callbacks.make("r", "apv", a.id)),
                     button("❌ Reject", callbacks.make("r", "rej", a.id))])
    elif a.status == S.REJECTED and a.decided_at and now - a.decided_at <= REVERSAL_WINDOW:
        rows.append([button("✅ Approve instead", callbacks.make("r", "apv", a.id))])
    second = []
    if a.status in (S.SUBMITTED, S.APPROVED, S.REJECTED):
        second.append(button("💵 Bonus", callbacks.make("r", "bon", a.id)))
    if not sub.worker_blocked:
        second.append(button("🚫 Block", callbacks.make("r", "blk", a.id)))
    rows.append(second)
    if not sub.worker_blocked:
        rows.append([messages.message_worker_button(a.id)])
    if queue or a.status != S.SUBMITTED:  # once decided, lead on to the next one waiting
        rows.append([button("Next ▶", callbacks.make("r", "nxt", a.id))])
    return keyboard(rows) if any(rows) else None


def block_confirm(sub: Submission) -> InlineKeyboardMarkup:
    return keyboard([[button("🚫 Confirm block", callbacks.make("r", "blky", sub.assignment.id)),
                      button("⬅️ Back", callbacks.make("r", "blkn", sub.assignment.id))]])


ASK_REASON = ("❌ Why are you rejecting submission #{id}? Write the reason in one message: the worker sees it "
              "(and can appeal). The money goes back to your balance.")
ASK_BONUS_AMOUNT = "💵 How much bonus for submission #{id}? e.g. 0.50 (the {fee}% fee is added on top)."
ASK_BONUS_REASON = "💵 Bonus of {amount}: what is it for? The worker sees your message."
BONUS_REASON_BOUNDS = "Write what the bonus is for in 1 to {most} characters, or press Cancel."


def confirm_bonus(assignment_id: int, amount_cents: int, fee_cents: int,
                  reason: str) -> tuple[str, InlineKeyboardMarkup]:
    total = money(amount_cents + fee_cents)
    text = (f"💵 Send a bonus of <b>{money(amount_cents)}</b> for submission #{assignment_id}? "
            f"With the {money(fee_cents)} fee, {total} leaves your balance.\n"
            f"The worker reads: “{esc(reason)}”")
    return text, keyboard([[button(f"✅ Send {total}", callbacks.make("r", "bny", assignment_id)),
                            button("✖️ Cancel", callbacks.make("r", "rix", assignment_id))]])


def cancel_input(assignment_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button("✖️ Cancel", callbacks.make("r", "rix", assignment_id))]])


def queue_summary(total: int, hits: list[PendingHit], review_mode: str, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    if total == 0:
        text = "📥 Nothing waits for your review. 🎉"
    else:
        lines = [f"📥 <b>{total} submission(s)</b> await your review, oldest first:"]
        for p in hits:
            lines.append(f"• “{esc(clip(p.hit.title, 60))}” (HIT #{p.hit.id}): {p.count} waiting, oldest "
                         f"{duration((now - p.oldest_at).total_seconds())} ago")
        text = "\n".join(lines)
    mode = ("each one as it arrives" if review_mode != "digest" else "in a daily digest")
    text += f"\n\nNew submissions reach you {mode}."
    rows = [[button(f"✅ Approve all {p.count}: {clip(p.hit.title, 30)}",
                    callbacks.make("r", "apa", p.hit.id, p.last_id))] for p in hits]
    rows.append([button(("• " if review_mode != "digest" else "") + "Immediately", callbacks.make("r", "rm", 0)),
                 button(("• " if review_mode == "digest" else "") + "Daily digest", callbacks.make("r", "rm", 1))])
    rows.append([button("↩️ Recent rejections", callbacks.make("r", "rrj"))])
    return fit(text), keyboard(rows)


def approve_all_confirm(title: str, hit_id: int, count: int, last_id: int, reward_cents: int) -> tuple[str, InlineKeyboardMarkup]:
    text = (f"Approve all {count} waiting submission(s) of “{esc(title)}”? "
            f"Each worker gets {money(reward_cents)}; this can't be undone except per submission within 30 days.")
    return text, keyboard([[button("✅ Confirm", callbacks.make("r", "apay", hit_id, last_id)),
                            button("✖️ Cancel", callbacks.make("r", "apan", hit_id, last_id))]])


def approve_all_done(count: int, paid_cents: int, title: str) -> str:
    if count == 0:
        return f"Nothing left to approve on “{esc(title)}”."
    return f"✅ Approved {count} submission(s) of “{esc(title)}”; {money(paid_cents)} paid to workers."
