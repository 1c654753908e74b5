"""Messages between a worker and a requester (core.messages): the notice, /messages and a thread.
Pure: everything shown comes from the event or the core result handed in."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import _, date_time
from bot.views.common import MAX_TEXT, button, clip, esc, keyboard
from bot.views.notice_parts import Rendered

if TYPE_CHECKING:
    from core.messages.commands import ThreadView
    from core.messages.queries import ThreadRow
    from core.models import OutboxEvent
    from core.notices import NoticeContext


def ask_button(hit_id: int):
    return button(_("✉️ Ask the requester"), callbacks.make("ms", "ask", hit_id))


def message_worker_button(assignment_id: int):
    return button(_("✉️ Message"), callbacks.make("ms", "wr", assignment_id))


def _thread_buttons(thread_id: int) -> InlineKeyboardMarkup:
    return keyboard([[button(_("↩️ Reply"), callbacks.make("ms", "rp", thread_id)),
                      button(_("💬 Conversation"), callbacks.make("ms", "op", thread_id))]])


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
    top = f"<b>{head}</b>\n{_about(p.get('title'))}\n"
    return top + escaped_within(str(p["text"]), MAX_TEXT - len(top)), _thread_buttons(int(p["thread_id"]))


def ask_prompt() -> str:
    return _("Write your message to the requester in one message (up to 4096 characters). "
             "They will not see your Telegram name or username.")


def write_prompt() -> str:
    return _("Write your message to the worker in one message (up to 4096 characters).")


def reply_prompt() -> str:
    return _("Write your reply in one message (up to 4096 characters).")


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


def thread(view: ThreadView, tz: str | None) -> tuple[str, InlineKeyboardMarkup]:
    title = _("💬 Conversation with {name}", name=esc(view.counterpart))
    lines = [f"<b>{title}</b>"]
    for side, text, at, title in view.messages:
        who = _("You") if side == view.side else esc(view.counterpart)
        about = f" · {esc(clip(title, 60))}" if title else ""
        body = escaped_within(text, 300) if text else _("(deleted)")  # erased with its writer's account
        lines.append(f"\n<b>{who}</b> · {esc(date_time(at, tz, format='short'))}{about}\n{body}")
    return "\n".join(lines), keyboard([[button(_("↩️ Reply"), callbacks.make("ms", "rp", view.thread_id))]])
