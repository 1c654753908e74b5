"""Sending a HIT's photos and documents to a worker (the preview, Accept, Instructions)."""
from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest

from bot.views import materials as views
from core.models import Hit

log = logging.getLogger(__name__)


async def send(bot: Bot, chat_id: int, hit: Hit, items: list[views.Material] | None = None) -> int:
    """Send each medium below the message that named it; returns how many went out.

    An image link Telegram cannot fetch stays what the text already shows: a link."""
    sent = 0
    caption = views.caption(hit)
    for m in views.media(views.of(hit) if items is None else items):
        try:
            if m.kind == "document":
                await bot.send_document(chat_id, m.ref, caption=caption, parse_mode="HTML")
            else:
                await bot.send_photo(chat_id, m.ref, caption=caption, parse_mode="HTML")
            sent += 1
        except BadRequest as exc:
            log.info("material of HIT %s not sent (%s): %s", hit.id, m.kind, exc)
    return sent
