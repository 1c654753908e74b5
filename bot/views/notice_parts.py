"""What every notification renderer shares: the rendered type, payload access, HIT titles
and the common buttons (bot.views.notify builds the one table of renderers from them).

The buttons are functions: built per render, so their labels are in the reader's language."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import N_, _
from bot.views.common import button, clip, esc

if TYPE_CHECKING:
    from core.models import OutboxEvent
    from core.notices import NoticeContext

Rendered = tuple[str, InlineKeyboardMarkup | None] | None

FILES_HINT = N_("📎 Files: open /review to see them.")  # a card sent as a notice cannot carry the files
REASON = N_("Reason: {reason}")


def browse_row() -> list[InlineKeyboardButton]:
    return [button(_("🔎 Browse HITs"), callbacks.make("m", "browse"))]


def mywork_row() -> list[InlineKeyboardButton]:
    return [button(_("🧰 My work"), callbacks.make("m", "mywork"))]


def balance_row() -> list[InlineKeyboardButton]:
    return [button(_("💰 Balance"), callbacks.make("m", "balance"))]


def _p(event: OutboxEvent) -> dict:
    return event.payload or {}


def _title(p: dict, ctx: NoticeContext) -> str:
    """The HIT's title as the event carries it (older events: as core read it at delivery), quoted."""
    title = p.get("title", ctx.hit_title)
    hit_id = p.get("hit_id", ctx.hit_id)
    if title is not None:
        return _("“{title}”", title=esc(clip(str(title), 80)))
    return _("HIT #{id}", id=hit_id)
