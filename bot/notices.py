"""A notice as its recipient gets it now: the event, what core reads for it at delivery
(core.notices), and the pure view (bot.views.notify). Reads the database: call it from a
worker thread (jobs.delivery) or off the event loop."""
from __future__ import annotations

from bot.views.notify import Notice, render as render_notice
from core.models import OutboxEvent
from core.notices import notice_context


def render(event: OutboxEvent) -> Notice | None:
    return render_notice(event, notice_context(event))
