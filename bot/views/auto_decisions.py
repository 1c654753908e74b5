"""What the requester's automatic quality rule decided, told to both sides (issue 13): the
requester gets the reason and ↩️ Undo, the worker the reason and ✉️ Appeal. Registered with
bot.views.notify; the Undo answers are rendered here too."""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot import callbacks
from bot.i18n import N_, _, _n
from bot.views.common import button, clip, esc, keyboard, money
from bot.views.notice_parts import REASON, Rendered, _p, _title, browse_row

if TYPE_CHECKING:
    from core.models import OutboxEvent
    from core.notices import NoticeContext
    from core.review.quality import Undone

UNDONE_REJECTION_TOAST = N_("Undone: the work is approved and paid.")


def undone_rejection_toast() -> str:
    return _(UNDONE_REJECTION_TOAST)


def _name(ctx: NoticeContext) -> str:
    return esc(clip(ctx.worker_name, 60)) if ctx.worker_name is not None else _("A worker")


def _why(p: dict) -> str:
    return _n("their accuracy is {accuracy}% on {n} of your control questions (your rule needs {min_accuracy}% "
              "once {min_gold} are answered)",
              "their accuracy is {accuracy}% on {n} of your control questions (your rule needs {min_accuracy}% "
              "once {min_gold} are answered)",
              int(p["seen"]), accuracy=int(p["accuracy_pct"]), min_accuracy=int(p["min_accuracy"]),
              min_gold=int(p["min_gold"]))


def _undo(data: str) -> list:
    return [[button(_("↩️ Undo"), data)]]


def _auto_rejected(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    assignment_id = int(p["assignment_id"])
    text = _("🤖 Your quality rule rejected {worker}'s work on {title} (submission #{id}): a control answer was "
             "wrong, and {why}.\nThe money is back in your balance; the worker was told and can appeal.",
             worker=_name(ctx), title=_title(p, ctx), id=assignment_id, why=_why(p))
    if not ctx.still_rejected:
        return text, None  # already reversed: nothing to undo
    return (text + "\n" + _("Undo approves and pays it."), keyboard(_undo(callbacks.make("r", "und", assignment_id))))


def _auto_blocked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    block_id = int(p["block_id"])
    text = _("🤖 Your quality rule blocked {worker} from your HITs: {why}.\nThe worker was told and can appeal.",
             worker=_name(ctx), why=_why(p))
    if not ctx.block_active:
        return text, None  # already lifted
    return (text + "\n" + _("Undo lets them take your HITs again."),
            keyboard(_undo(callbacks.make("r", "ubk", block_id))))


def _worker_blocked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = _p(e)
    appeal = ([button(_("✉️ Appeal"), callbacks.make("q", "apl", int(p["assignment_id"])))]
              if p.get("assignment_id") else [])
    return ("\n".join([
        _("🚫 The quality rule of the requester of {title} stopped you from taking their HITs.", title=_title(p, ctx)),
        _(REASON, reason=_("too many of your control answers were wrong: your accuracy is {accuracy}%, this "
                           "requester needs {min_accuracy}%.", accuracy=int(p["accuracy_pct"]),
                           min_accuracy=int(p["min_accuracy"]))),
        _("You think that's wrong? Appeal the rejected work; the requester can undo this."),
    ]), keyboard([appeal, browse_row()]))


def _worker_unblocked(e: OutboxEvent, ctx: NoticeContext) -> Rendered:
    return (_("✅ A requester undid the automatic block: you can take their HITs again."), keyboard([browse_row()]))


def undone_rejection(undone: Undone) -> str:
    return _("↩️ Undone: {worker}'s work on “{title}” is approved and paid ({amount}).",
             worker=esc(clip(undone.worker_name, 60)), title=esc(clip(undone.hit_title or "", 80)),
             amount=money(undone.amount_cents))


def undone_block(undone: Undone) -> tuple[str, str]:
    """(the notice's new text, the toast)."""
    name = clip(undone.worker_name, 60)
    return (_("↩️ Undone: {worker} can take your HITs again.", worker=esc(name)),
            _("Undone: {worker} can take your HITs again.", worker=name))
