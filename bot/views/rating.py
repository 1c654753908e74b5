"""A worker's rating of the requester, 1-5 stars, after a decision (the notice's text is notify.rated_text)."""
from __future__ import annotations

from bot.i18n import _


def thanks_toast() -> str:
    return _("Thanks for rating!")
