"""What every notification renderer shares: the rendered type, payload access, HIT titles
and the common buttons (bot.views.notify builds the one table of renderers from them)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, clip, esc

if TYPE_CHECKING:
    from core.models import OutboxEvent
    from core.notices import NoticeContext

Rendered = tuple[str, InlineKeyboardMarkup | None] | None

BROWSE = [button("🔎 Browse HITs", callbacks.make("m", "browse"))]
MYWORK = [button("🧰 My work", callbacks.make("m", "mywork"))]
BALANCE = [button("💰 Balance", callbacks.make("m", "balance"))]


def _p(event: OutboxEvent) -> dict:
    return event.payload or {}


def _title(p: dict, ctx: NoticeContext) -> str:
    """The HIT's title as the event carries it (older events: as core read it at delivery)."""
    title = p.get("title", ctx.hit_title)
    hit_id = p.get("hit_id", ctx.hit_id)
    return f"“{esc(clip(str(title), 80))}”" if title is not None else f"HIT #{hit_id}"
