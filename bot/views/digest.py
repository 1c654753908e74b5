"""The requester's review digest (core.review.digests); listed in bot.views.notify's table."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from bot.views.common import duration
from bot.views.notice_parts import Rendered

if TYPE_CHECKING:
    from core.models import OutboxEvent
    from core.notices import NoticeContext


def review_digest(event: OutboxEvent, ctx: NoticeContext) -> Rendered:
    p = event.payload or {}
    pending, hits = int(p["pending"]), int(p["hits"])
    if pending <= 0:
        return None
    text = (f"📋 {pending} submission{'s' if pending != 1 else ''} on {hits} HIT{'s' if hits != 1 else ''} "
            "waiting for your review")
    if p.get("oldest_at"):
        waited_s = (event.created_at - datetime.fromisoformat(p["oldest_at"]).astimezone(timezone.utc)).total_seconds()
        if waited_s >= 60:
            text += f", the oldest for {duration(waited_s)}"
    text += ".\nOpen /review to approve or reject them; unreviewed work is approved automatically."
    return text, None
