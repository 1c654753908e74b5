"""Messages between a worker and a requester (core.messages): the notice, /messages and a thread
with its Mute / Report / Block buttons, a worker's /blocks and an admin's /reports.
Pure: everything shown comes from the event or the core result handed in."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import _, date_time
from bot.views.common import MAX_TEXT, button, clip, esc, keyboard, utf16_len
from bot.views.notice_parts import Rendered
from bot.views.start import cancel_markup

if TYPE_CHECKING:
    from core.messages.commands import ThreadView
    from core.messages.queries import ThreadRow
    from core.messages.safety import BlockRow, ReportsPage
    from core.models import OutboxEvent
    from core.notices import NoticeContext


def ask_button(hit_id: int):
    return button(_("✉️ Ask the requester"), callbacks.make("ms", "ask", hit_id))


def message_worker_button(assignment_id: int):
    return button(_("✉️ Message"), callbacks.make("ms", "wr", assignment_id))


MAX_CAPTION = 1024  # a photo's or document's caption, Telegram's limit


def _thread_buttons(thread_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button(_("↩️ Reply"), callbacks.make("ms", "rp", thread_id)),
                      button(_("💬 Conversation"), callbacks.make("ms", "op", thread_id))]])


def link_warning() -> str:
    return _("⚠️ This first message has a link; hitbot never asks for passwords or payments outside the chat")


def _about(title: object) -> str:
    return _("About the HIT “{title}”", title=esc(clip(str(title), 100))) + "\n" if title else ""


def escaped_within(text: str, budget: int) -> str:
    """The text escaped for HTML in at most `budget` characters, cut between characters (never inside
    an entity, which Telegram would refuse): "<" costs four, so a 4096-character message may not fit whole."""
    out, used = [], 0
    for i, ch in enumerate(text):
        piece = esc(ch)
        if used + len(piece) > budget - (1 if i < len(text) - 1 else 0):
            out.append("…")
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def received(event: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = event.payload or {}
    head = _("✉️ Message from {sender}", sender=esc(clip(str(p["sender"]), 60)))
    warning = f"<b>{link_warning()}</b>\n" if p.get("flagged") else ""
    top = f"<b>{head}</b>\n{warning}{_about(p.get('title'))}\n"
    # A photo or document goes out with the text as its caption (1024 characters at most).
    limit = MAX_CAPTION if p.get("file_id") else MAX_TEXT
    budget = limit - len(top)
    body = escaped_within(str(p["text"]), budget)
    while utf16_len(top + body) > limit and budget > 0:  # emoji and other scripts take two UTF-16 units
        budget -= max(1, (utf16_len(top + body) - limit) // 2)
        body = escaped_within(str(p["text"]), budget)
    return top + body, _thread_buttons(int(p["thread_id"]))


def attachment(event: OutboxEvent) -> dict[str, str]:
    """The file a message notice relays (by Telegram file_id, through the bot): Notice's photo or document."""
    p = event.payload or {}
    kind, file_id = p.get("file_kind"), p.get("file_id")
    if not file_id or kind not in ("p", "d"):
        return {}
    return {"photo": str(file_id)} if kind == "p" else {"document": str(file_id)}


def _files_hint() -> str:
    return _("You can also send one photo or document (PDF, text, images, office files, ZIP; up to 20 MB), "
             "with a caption of up to 1024 characters.")


def ask_prompt() -> str:
    return _("Write your message to the requester in one message (up to 4096 characters). "
             "They will not see your Telegram name or username.") + "\n" + _files_hint()


def write_prompt() -> str:
    return _("Write your message to the worker in one message (up to 4096 characters).") + "\n" + _files_hint()


def reply_prompt() -> str:
    return _("Write your reply in one message (up to 4096 characters).") + "\n" + _files_hint()


def sent() -> str:
    return _("✉️ Sent. You'll get the answer here; /messages shows your conversations.")


def thread_list(rows: list[ThreadRow], tz: str | None) -> tuple[str, InlineKeyboardMarkup | None]:
    if not rows:
        return _("No messages yet. Ask a requester from a HIT's preview with ✉️ Ask the requester."), None
    title = _("💬 Your conversations")
    lines = [f"<b>{title}</b>"]
    buttons = []
    for r in rows:
        unread = _(" · {n} new", n=r.unread) if r.unread else ""
        lines.append(f"• {esc(r.counterpart)}{unread} · {esc(date_time(r.last_at, tz, format='short'))}")
        label = f"{'🔵 ' if r.unread else ''}{r.counterpart}"
        buttons.append([button(label, callbacks.make("ms", "op", r.thread_id))])
    return "\n".join(lines), keyboard(buttons)


def _file_label(kind: str | None) -> str:
    return {"p": _("📷 Photo"), "d": _("📎 Document")}.get(kind or "", "")


def thread(view: ThreadView, tz: str | None) -> tuple[str, InlineKeyboardMarkup]:
    title = _("💬 Conversation with {name}", name=esc(view.counterpart))
    lines = [f"<b>{title}</b>"]
    if view.muted:
        lines.append(_("🔕 Muted: no notices from this conversation."))
    if view.blocked:
        lines.append(_("⛔ You blocked this requester: you don't see their HITs and neither of you can write.")
                     if view.side == "w" else _("This worker does not take messages from you."))
    marks = list(view.marks) or [(None, False)] * len(view.messages)
    for (side, text, at, title), (kind, flagged) in zip(view.messages, marks):
        who = _("You") if side == view.side else esc(view.counterpart)
        about = f" · {esc(clip(title, 60))}" if title else ""
        body = escaped_within(text, 300) if text else ("" if kind else _("(deleted)"))  # erased with its writer
        if kind:
            body = f"{_file_label(kind)} {body}".strip()
        if flagged and side != view.side:
            body = f"⚠️ {body}"
        lines.append(f"\n<b>{who}</b> · {esc(date_time(at, tz, format='short'))}{about}\n{body}")
    return "\n".join(lines), thread_buttons(view)


def thread_buttons(view: ThreadView) -> InlineKeyboardMarkup:
    t = view.thread_id
    first = [button(_("🔔 Unmute"), callbacks.make("ms", "um", t)) if view.muted
             else button(_("🔕 Mute"), callbacks.make("ms", "mu", t))]
    if not (view.blocked and view.side == "w"):
        first.insert(0, button(_("↩️ Reply"), callbacks.make("ms", "rp", t)))
    second = [button(_("🚩 Report"), callbacks.make("ms", "rep", t))]
    if view.side == "r" and not view.blocked:
        from bot.views.followup import offer_thread_button

        second.append(offer_thread_button(t))
    if view.side == "w":
        second.append(button(_("✅ Unblock requester"), callbacks.make("ms", "ubk", t)) if view.blocked
                      else button(_("⛔ Block requester"), callbacks.make("ms", "bk", t)))
    return keyboard([first, second])


def action_toast(action: str, changed: bool) -> str:
    if action == "mute":
        return _("🔕 Muted. The conversation stays in /messages.")
    if action == "unmute":
        return _("🔔 Unmuted.")
    if action == "block":
        return (_("⛔ Blocked. You won't see their HITs or messages; unblock any time in /blocks.") if changed
                else _("Already blocked."))
    return _("✅ Unblocked.") if changed else _("Already unblocked.")


# Reports ------------------------------------------------------------------------------------

def report_prompt(thread_id: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _("🚩 Why are you reporting this conversation? Write it in one message (up to 500 characters), "
             "or report it without a reason. An admin will read the last messages.")
    markup = keyboard([[button(_("🚩 Report without a reason"), callbacks.make("ms", "rp0", thread_id))],
                       *cancel_markup().inline_keyboard])
    return text, markup


def reported() -> str:
    return _("🚩 Reported. An admin will look at this conversation. You can also mute it (🔕) from /messages.")


def _reported_by(side: str) -> str:
    return _("reported by the worker") if side == "w" else _("reported by the requester")


def reports_page(page: ReportsPage, tz: str | None) -> tuple[str, InlineKeyboardMarkup | None]:
    head = _("🚩 Open reports: {n}", n=page.open_n)
    flagged = _("⚠️ First messages with a link in the last 7 days: {n}", n=page.flagged_n)
    lines = [f"<b>{head}</b>", flagged]
    if not page.rows:
        lines.append(_("No open reports."))
    rows = []
    budget = (MAX_TEXT - 600) // max(1, len(page.rows))  # each report's share of one message
    for r in page.rows:
        block = [f"\n<b>#{r.report_id}</b> · {esc(date_time(r.created_at, tz, format='short'))} · "
                 + _reported_by(r.by),
                 f"{esc(r.worker)} (id {r.worker_id}) ↔ {esc(clip(r.requester, 40))} (id {r.requester_id})"]
        if r.reason:
            block.append(_("Reason: {reason}", reason=escaped_within(r.reason, 300)))
        for side, text, kind, flag in r.messages:
            who = esc(r.worker) if side == "w" else esc(clip(r.requester, 40))
            body = escaped_within(text, 200) if text else ""
            body = f"{_file_label(kind)} {body}".strip() if kind else (body or _("(deleted)"))
            lines_ = f"› <b>{who}</b>: {'⚠️ ' if flag else ''}{body}"
            block.append(lines_)
        text = "\n".join(block)
        if len(text) > budget:
            text = "\n".join(block[:3])
        lines.append(text)
        rows.append([button(_("✅ Resolve #{id}", id=r.report_id), callbacks.make("ms", "rs", r.report_id, page.page))])
    nav = []
    if page.page > 0:
        nav.append(button(_("◀️ Previous"), callbacks.make("ms", "rpg", page.page - 1)))
    if page.has_more:
        nav.append(button(_("Next ▶️"), callbacks.make("ms", "rpg", page.page + 1)))
    if nav:
        rows.append(nav)
    return "\n".join(lines), keyboard(rows) if rows else None


def resolved_toast(resolved: bool) -> str:
    return _("✅ Resolved.") if resolved else _("Already resolved.")


# A worker's blocks ----------------------------------------------------------------------------

def blocks_list(rows: list[BlockRow], tz: str | None) -> tuple[str, InlineKeyboardMarkup | None]:
    if not rows:
        return _("You have not blocked any requester. You can block one from a conversation in /messages."), None
    title = _("⛔ Requesters you blocked")
    lines = [f"<b>{title}</b>", _("You don't see their HITs, and neither of you can write to the other.")]
    buttons = []
    for r in rows:
        lines.append(f"• {esc(clip(r.requester, 60))} · {esc(date_time(r.created_at, tz, format='short'))}")
        buttons.append([button(_("✅ Unblock {name}", name=clip(r.requester, 40)), callbacks.make("ms", "ubb", r.block_id))])
    return "\n".join(lines), keyboard(buttons)


def unblocked(changed: bool) -> str:
    return _("✅ Unblocked.") if changed else _("Already unblocked.")


def without_unblock(markup: InlineKeyboardMarkup | None, block_id: int) -> InlineKeyboardMarkup | None:
    """The /blocks list once one is unblocked: its button goes, the others stay."""
    gone = callbacks.make("ms", "ubb", block_id)
    rows = [[b for b in row if b.callback_data != gone] for row in (markup.inline_keyboard if markup else [])]
    rows = [r for r in rows if r]
    return keyboard(rows) if rows else None
