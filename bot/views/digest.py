"""The requester's review digest (core.review.digests); listed in bot.views.notify's table."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from bot.i18n import _, _n
from bot.views import common
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
    waited_s = (event.created_at - datetime.fromisoformat(p["oldest_at"]).astimezone(timezone.utc)).total_seconds() \
        if p.get("oldest_at") else 0
    if waited_s >= 60:
        text = _n("📋 {n} submission on {hits} waiting for your review, the oldest for {duration}.",
                  "📋 {n} submissions on {hits} waiting for your review, the oldest for {duration}.",
                  pending, hits=common.hits(hits), duration=duration(waited_s))
    else:
        text = _n("📋 {n} submission on {hits} waiting for your review.",
                  "📋 {n} submissions on {hits} waiting for your review.", pending, hits=common.hits(hits))
    return text + "\n" + _("Open /review to approve or reject them; unreviewed work is approved automatically."), None
