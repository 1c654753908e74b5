"""What every notification renderer shares: the rendered type, payload access, HIT titles
and the common buttons (bot.views.notify builds the one table of renderers from them)."""
from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot import callbacks
from bot.views.common import button, clip, esc
from core.models import Hit, OutboxEvent

Rendered = tuple[str, InlineKeyboardMarkup | None] | None

BROWSE = [button("🔎 Browse HITs", callbacks.make("m", "browse"))]
MYWORK = [button("🧰 My work", callbacks.make("m", "mywork"))]
BALANCE = [button("💰 Balance", callbacks.make("m", "balance"))]


def _p(event: OutboxEvent) -> dict:
    return event.payload or {}


def _title(hit_id: object) -> str:
    hit = Hit.get_or_none(Hit.id == hit_id) if hit_id is not None else None
    return f"“{esc(clip(hit.title, 80))}”" if hit else f"HIT #{hit_id}"
