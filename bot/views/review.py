"""Review: the submission card (also what the jobs worker sends for 'submission.received'),
the /review queue summary, 'approve all' confirmations, and what the review buttons answer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _, _n
from bot.views import messages, ratings, web_answers
from bot.views.common import MAX_TEXT, button, clip, duration, esc, fit, keyboard, money
from core.models import AssignmentStatus as S
from core.review.commands import REVERSAL_WINDOW
from core.review.queries import PendingHit, Submission

MAX_ANSWER_CHARS = 600  # per answer on the card; the export has everything
MAX_FORM_FIELDS = 30  # a task page's fields shown on the card
# When the answers do not fit one message: shorter answers, prompts and forms, level by level.
CARD_LEVELS = ((MAX_ANSWER_CHARS, 200, MAX_FORM_FIELDS), (300, 100, 10), (120, 60, 5), (40, 40, 2))
MAX_FEEDBACK_CHARS = 600
FILE_KINDS = {"photo": ("📷", N_("photo")), "document": ("📄", N_("document")), "voice": ("🎤", N_("voice note"))}
# The status of a submission that is not waiting for review, as the card and a stale press name it.
STATUS_NAMES = {S.ACCEPTED: N_("in progress"), S.APPROVED: N_("approved"),
                S.REJECTED: N_("rejected"), S.RETURNED: N_("returned"), S.EXPIRED: N_("expired"),
                S.REVISING: N_("being revised")}


@dataclass(frozen=True)
class Attachment:
    """A file answer to send along with the card (by Telegram file id, no download)."""

    kind: str  # photo | document | voice
    file_id: str
    caption: str


def status_name(status: str) -> str:
    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else esc(status)


def _units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _answer_text(kind: str, value: object, limit: int = MAX_ANSWER_CHARS, fields: int = MAX_FORM_FIELDS) -> str:
    if value is None:
        return _("<i>skipped</i>")
    if kind in FILE_KINDS and isinstance(value, dict):
        icon, name = FILE_KINDS[kind]
        return _("{icon} {name} (sent below)", icon=icon, name=esc(value.get("file_name") or _(name)))
    if kind == "location" and isinstance(value, dict):
        return f"📍 {value.get('latitude'):.5f}, {value.get('longitude'):.5f}"
    if kind == "rating":
        return "★" * int(value) + f" ({value}/5)"  # type: ignore[arg-type]
    if kind == "web" and isinstance(value, list):  # a task page's form: its fields, one per line
        return web_answers.form_text(value, limit, fields)
    if isinstance(value, list):
        return "<b>" + esc(clip(", ".join(map(str, value)), limit)) + "</b>"
    return "<b>" + esc(clip(str(value), limit)) + "</b>"


def _status_line(sub: Submission, now: datetime) -> str:
    a = sub.assignment
    if a.status == S.SUBMITTED:
        if a.auto_approve_at:
            return _("⏳ Waiting for your review · auto-approves in {duration}",
                     duration=duration((a.auto_approve_at - now).total_seconds()))
        return _("⏳ Waiting for your review")
    if a.status == S.APPROVED:
        amount = money(sub.hit.reward_cents)
        line = (_("✅ Approved automatically; {amount} paid", amount=amount) if a.auto_approved
                else _("✅ Approved; {amount} paid", amount=amount))
        feedback = esc(clip(a.feedback, MAX_FEEDBACK_CHARS)) if a.feedback else ""
        return line + (" · " + _("feedback: {feedback}", feedback=feedback) if feedback else "")
    if a.status == S.REJECTED:
        return _("❌ Rejected: {reason}", reason=esc(clip(a.feedback or "", MAX_FEEDBACK_CHARS)))
    return _("Status: {status}", status=status_name(a.status))


def render_card(sub: Submission, *, now: datetime | None = None,
                queue: bool = False) -> tuple[str, InlineKeyboardMarkup | None, list[Attachment]]:
    """The card for one submission (core.review.queries.submission): worker, answers, decision
    so far, and the buttons that still make sense (Approve, Reject, Bonus, Block)."""
    now = now or datetime.now(timezone.utc)
    a, hit, worker = sub.assignment, sub.hit, sub.worker
    who = [esc(sub.worker_alias),
           _("{pct}% approved", pct=worker.approval_rate_pct) if worker.approval_rate_pct is not None
           else _("new worker")]
    rated = getattr(sub, "ratings", None)  # a card drawn from a bare stand-in has no ratings
    if rated is not None:
        who.insert(1, ratings.worker_rating(rated.worker))
    if sub.skill_pct is not None:
        who.append(_("control answers {pct}% right", pct=sub.skill_pct))
    head = [_("📥 <b>Submission #{id}</b> for “{title}” (HIT #{hit_id})", id=a.id, title=esc(clip(hit.title, 200)),
              hit_id=hit.id),
            "👷 " + " · ".join(who)]
    if a.work_s is not None:
        head.append(_("⏱ Worked {worked} of {limit}", worked=duration(a.work_s), limit=duration(hit.duration_s)))
    if sub.speed_flag:
        head.append(esc(sub.speed_flag))
    tail = [_status_line(sub, now)]
    from bot.views import revisions  # it shows answers as this card does

    tail += [line for line in (revisions.card_line(sub, now),) if line]
    if rated is not None and (line := ratings.card_line(rated.stars, rated.rated_at, now)):
        tail.append(line)
    if sub.bonuses_cents:
        tail.append(_("💵 Bonus paid: {amount}", amount=money(sub.bonuses_cents)))
    if sub.worker_blocked:
        tail.append(_("🚫 You blocked this worker"))
    attachments = []
    for q, value in sub.items:
        if q.kind in FILE_KINDS and isinstance(value, dict) and value.get("file_id"):
            caption = _("#{id}, question {n}: {prompt}", id=a.id, n=q.position + 1, prompt=q.prompt)
            attachments.append(Attachment(q.kind, value["file_id"], clip(caption, 200)))
    top, bottom = "\n".join(head), "\n".join(tail)
    body = _answers(sub.items, MAX_TEXT - _units(top) - _units(bottom) - 4)
    return fit(f"{top}\n\n{body}\n\n{bottom}"), card_buttons(sub, now, queue=queue), attachments


def _answers(items: list, budget: int) -> str:
    """Every question with its answer in at most `budget` units: shortened level by level, and if even
    the shortest do not fit, the last ones counted instead (the results file has them all)."""
    for answer_chars, prompt_chars, fields in CARD_LEVELS:
        blocks = [f"{q.position + 1}. {esc(clip(q.prompt, prompt_chars))}\n   → "
                  f"{_answer_text(q.kind, value, answer_chars, fields)}" for q, value in items]
        if _units("\n".join(blocks)) <= budget:
            return "\n".join(blocks)
    shown: list[str] = []
    for i, block in enumerate(blocks):
        note = _n("… and {n} more answer (all in the results file)",
                  "… and {n} more answers (all in the results file)", len(blocks) - i)
        if _units("\n".join([*shown, block, note])) > budget:
            return "\n".join([*shown, note])
        shown.append(block)
    return "\n".join(shown)


def card_buttons(sub: Submission, now: datetime, *, queue: bool = False) -> InlineKeyboardMarkup | None:
    a = sub.assignment
    rows = []
    if a.status == S.SUBMITTED:
        rows.append([button(_("✅ Approve"), callbacks.make("r", "apv", a.id)),
                     button(_("❌ Reject"), callbacks.make("r", "rej", a.id))])
        if sub.revisions_left > 0 and not any(q.kind == "web" for q, _value in sub.items):
            from bot.views import revisions

            rows.append([revisions.ask_button(a.id)])
    elif a.status == S.REJECTED and a.decided_at and now - a.decided_at <= REVERSAL_WINDOW:
        rows.append([button(_("✅ Approve instead"), callbacks.make("r", "apv", a.id))])
    rated = getattr(sub, "ratings", None)
    if rated is not None and rated.rateable:
        rows.append(ratings.worker_stars_row(a.id, rated.stars, rated.rated_at, now))
    second = []
    if a.status in (S.SUBMITTED, S.APPROVED, S.REJECTED):
        second.append(button(_("💵 Bonus"), callbacks.make("r", "bon", a.id)))
    if not sub.worker_blocked:
        second.append(button(_("🚫 Block"), callbacks.make("r", "blk", a.id)))
    rows.append(second)
    if not sub.worker_blocked:
        from bot.views.followup import offer_button

        rows.append([messages.message_worker_button(a.id), offer_button(a.id)])
    if web_answers.box_answers(sub.items):  # the picture on demand: a photo per card would cost a message each
        rows.append([web_answers.boxes_button(a.id)])
    if queue or a.status != S.SUBMITTED:  # once decided, lead on to the next one waiting
        rows.append([button(_("Next ▶"), callbacks.make("r", "nxt", a.id))])
    return keyboard(rows) if any(rows) else None


def block_confirm(sub: Submission) -> InlineKeyboardMarkup:
    return keyboard([[button(_("🚫 Confirm block"), callbacks.make("r", "blky", sub.assignment.id)),
                      button(_("⬅️ Back"), callbacks.make("r", "blkn", sub.assignment.id))]])


# What the review buttons and prompts answer -----------------------------------------------------

def approved_toast() -> str:
    return _("Approved and paid.")


def already_decided(status: str) -> str:
    """A press on a submission that is no longer waiting (decided on another device, auto-approved)."""
    return _("This submission is already {status}.", status=status_name(status))


def ask_reason(assignment_id: int) -> str:
    return _("❌ Why are you rejecting submission #{id}? Write the reason in one message: the worker sees it "
             "(and can appeal). The money goes back to your balance.", id=assignment_id)


def rejected_reply() -> str:
    return _("❌ Rejected; the worker sees your reason. You can still approve it within 30 days.")


def bonus_not_submitted() -> str:
    return _("Bonuses are for work that was submitted.")


def ask_bonus_amount(assignment_id: int, fee_percent: object) -> str:
    # TRANSLATORS: the example is typed as the amount: digits with a point or a comma, no currency sign.
    return _("💵 How much bonus for submission #{id}? e.g. 0.50 (the {fee}% fee is added on top).",
             id=assignment_id, fee=fee_percent)


def bonus_too_big(most_cents: int) -> str:
    return _("A bonus can be at most {amount}.", amount=money(most_cents))


def ask_bonus_reason(amount_cents: int) -> str:
    return _("💵 Bonus of {amount}: what is it for? The worker sees your message.", amount=money(amount_cents))


def bonus_reason_bounds(most: int) -> str:
    return _("Write what the bonus is for in 1 to {most} characters, or press Cancel.", most=most)


def confirm_bonus(assignment_id: int, amount_cents: int, fee_cents: int,
                  reason: str) -> tuple[str, InlineKeyboardMarkup]:
    total = money(amount_cents + fee_cents)
    text = (_("💵 Send a bonus of <b>{amount}</b> for submission #{id}? With the {fee} fee, {total} leaves your "
              "balance.", amount=money(amount_cents), id=assignment_id, fee=money(fee_cents), total=total)
            + "\n" + _("The worker reads: “{reason}”", reason=esc(reason)))
    return text, keyboard([[button(_("✅ Send {total}", total=total), callbacks.make("r", "bny", assignment_id)),
                            button(_("✖️ Cancel"), callbacks.make("r", "rix", assignment_id))]])


def bonus_sent(amount_cents: int, fee_cents: int) -> tuple[str, str]:
    """The confirmation's message once paid, and the toast."""
    return (_("💵 Bonus of {amount} sent (fee {fee}).", amount=money(amount_cents), fee=money(fee_cents)),
            _("Bonus sent."))


def cancel_input(assignment_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button(_("✖️ Cancel"), callbacks.make("r", "rix", assignment_id))]])


def input_cancelled() -> str:
    return _("Cancelled; nothing changed.")


def already_blocked() -> str:
    return _("You already blocked this worker.")


def block_question() -> str:
    return _("Block this worker from all your HITs?")


def blocked_toast(done: bool) -> str:
    return _("Blocked: they won't see your HITs any more.") if done else _("Already blocked.")


def last_one() -> str:
    return _("That was the last one waiting. 🎉")


def no_rejections() -> str:
    return _("No rejections in the last 30 days.")


def review_mode_toast(mode: str) -> str:
    return _("New submissions: in a daily digest.") if mode == "digest" else _("New submissions: as they arrive.")


# The /review queue and 'approve all' ------------------------------------------------------------

def queue_summary(total: int, hits: list[PendingHit], review_mode: str, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    if total == 0:
        text = _("📥 Nothing waits for your review. 🎉")
    else:
        lines = [_n("📥 <b>{n} submission(s)</b> await your review, oldest first:",
                    "📥 <b>{n} submission(s)</b> await your review, oldest first:", total)]
        for p in hits:
            lines.append("• " + _n("“{title}” (HIT #{id}): {n} waiting, oldest {ago} ago",
                                   "“{title}” (HIT #{id}): {n} waiting, oldest {ago} ago", p.count,
                                   title=esc(clip(p.hit.title, 60)), id=p.hit.id,
                                   ago=duration((now - p.oldest_at).total_seconds())))
        text = "\n".join(lines)
    text += "\n\n" + (_("New submissions reach you in a daily digest.") if review_mode == "digest"
                      else _("New submissions reach you each one as it arrives."))
    rows = [[button(_("✅ Approve all {count}: {title}", count=p.count, title=clip(p.hit.title, 30)),
                    callbacks.make("r", "apa", p.hit.id, p.last_id))] for p in hits]
    digest = review_mode == "digest"
    rows.append([button(("" if digest else "• ") + _("Immediately"), callbacks.make("r", "rm", 0)),
                 button(("• " if digest else "") + _("Daily digest"), callbacks.make("r", "rm", 1))])
    rows.append([button(_("↩️ Recent rejections"), callbacks.make("r", "rrj"))])
    return fit(text), keyboard(rows)


def approve_all_confirm(title: str, hit_id: int, count: int, last_id: int, reward_cents: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _n("Approve all {n} waiting submission(s) of “{title}”? Each worker gets {amount}; this can't be undone "
              "except per submission within 30 days.",
              "Approve all {n} waiting submission(s) of “{title}”? Each worker gets {amount}; this can't be undone "
              "except per submission within 30 days.", count, title=esc(title), amount=money(reward_cents))
    return text, keyboard([[button(_("✅ Confirm"), callbacks.make("r", "apay", hit_id, last_id)),
                            button(_("✖️ Cancel"), callbacks.make("r", "apan", hit_id, last_id))]])


def approve_all_cancelled() -> str:
    return _("Cancelled; nothing was approved.")


def nothing_waiting_on_hit() -> str:
    return _("Nothing is waiting on this HIT any more.")


def approve_all_done(count: int, paid_cents: int, title: str) -> str:
    if count == 0:
        return _("Nothing left to approve on “{title}”.", title=esc(title))
    return _n("✅ Approved {n} submission(s) of “{title}”; {amount} paid to workers.",
              "✅ Approved {n} submission(s) of “{title}”; {amount} paid to workers.", count,
              title=esc(title), amount=money(paid_cents))


def approve_all_toast(count: int) -> str:
    return _n("Approved {n}.", "Approved {n}.", count) if count else _("Nothing left to approve.")
