"""A notice as its recipient gets it now: the event, what core reads for it at delivery
(core.notices), and the pure view (bot.views.notify). Reads the database: call it from a
worker thread (jobs.delivery) or off the event loop."""
from __future__ import annotations

import logging

from peewee import DoesNotExist

from bot.views.notify import Notice, render as render_notice
from core.errors import HitbotError
from core.models import OutboxEvent
from core.notices import notice_context

log = logging.getLogger(__name__)


def render(event: OutboxEvent) -> Notice | None:
    try:
        ctx = notice_context(event)
    except (HitbotError, DoesNotExist, KeyError, TypeError, ValueError):
        # A malformed payload or rows gone: nothing sensible to send, and retrying would not help.
        log.warning("could not read what event %s (%s) shows", event.id, event.kind, exc_info=True)
        return None
    return render_notice(event, ctx)
