"""What the requester's automatic quality rule decided, told to both sides (issue 13): the
requester gets the reason and ↩️ Undo, the worker the reason and ✉️ Appeal. Registered with
bot.views.notify; the Undo answers are rendered here too."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot import callbacks
from bot.views.common import button, clip, esc, keyboard, money
from bot.views.notice_parts import BROWSE, Rendered, _p, _title

if TYPE_CHECKING:
    from core.models import OutboxEvent
    from core.notices import NoticeContext
    from core.review.quality import Undone

UNDONE_REJECTION_TOAST = "Undone: the work is approved and paid."


def _name(ctx: NoticeContext) -> str:
    return esc(clip(ctx.worker_name, 60)) if ctx.worker_name is not None else "A worker"


def _why(p: dict) -> str:
    return (f"their accuracy is {int(p['accuracy_pct'])}% on {int(p['seen'])} of your control questions "
            f"(your rule needs {int(p['min_accuracy'])}% once {int(p['min_gold'])} are answered)")


def _auto_rejected(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    assignment_id = int(p["assignment_id"])
    text = (f"🤖 Your quality rule rejected {_name(ctx)}'s work on {_title(p, ctx)} "
            f"(submission #{assignment_id}): a control answer was wrong, and {_why(p)}.\n"
            "The money is back in your balance; the worker was told and can appeal.")
    if not ctx.still_rejected:
        return text, None  # already reversed: nothing to undo
    return (text + "\nUndo approves and pays it.",
            keyboard([[button("↩️ Undo", callbacks.make("r", "und", assignment_id))]]))


def _auto_blocked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    block_id = int(p["block_id"])
    text = (f"🤖 Your quality rule blocked {_name(ctx)} from your HITs: {_why(p)}.\n"
            "The worker was told and can appeal.")
    if not ctx.block_active:
        return text, None  # already lifted
    return (text + "\nUndo lets them take your HITs again.",
            keyboard([[button("↩️ Undo", callbacks.make("r", "ubk", block_id))]]))


def _worker_blocked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    appeal = ([button("✉️ Appeal", callbacks.make("q", "apl", int(p["assignment_id"])))]
              if p.get("assignment_id") else [])
    return (f"🚫 The quality rule of the requester of {_title(p, ctx)} stopped you from taking their HITs.\n"
            f"Reason: too many of your control answers were wrong: your accuracy is {int(p['accuracy_pct'])}%, "
            f"this requester needs {int(p['min_accuracy'])}%.\n"
            "You think that's wrong? Appeal the rejected work; the requester can undo this.",
            keyboard([appeal, BROWSE]))


def _worker_unblocked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    return ("✅ A requester undid the automatic block: you can take their HITs again.", keyboard([BROWSE]))


def undone_rejection(undone: Undone) -> str:
    return (f"↩️ Undone: {esc(clip(undone.worker_name, 60))}'s work on “{esc(clip(undone.hit_title or '', 80))}” "
            f"is approved and paid ({money(undone.amount_cents)}).")


def undone_block(undone: Undone) -> tuple[str, str]:
    """(the notice's new text, the toast)."""
    name = clip(undone.worker_name, 60)
    return f"↩️ Undone: {esc(name)} can take your HITs again.", f"Undone: {name} can take your HITs again."

