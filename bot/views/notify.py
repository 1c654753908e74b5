"""Notifications: an outbox event rendered as the chat message its recipient gets.

The jobs worker calls `render(event)` and sends the result; `None` means nothing to send."""
from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.views.common import esc
from core.models import OutboxEvent


@dataclass(frozen=True)
class Notice:
    chat_id: int
    text: str  # HTML, under 4096 characters
    reply_markup: InlineKeyboardMarkup | None = None


def render(event: OutboxEvent) -> Notice | None:
    if event.user_id is None:
        return None
    return Notice(chat_id=event.user_id, text=esc(event.kind.replace(".", " ").capitalize()))
