"""How long Telegram's flood control says to wait.

PTB 22 stores `RetryAfter.retry_after` as a timedelta but returns an int, with a deprecation
warning, unless PTB_TIMEDELTA is set; its next major returns the timedelta. Either works here."""
from __future__ import annotations

from datetime import timedelta

from telegram.error import RetryAfter


def seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def retry_after_s(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)  # PTB >= 22.2: the timedelta, read without the warning
    if value is None:
        value = exc.retry_after
    return seconds(value)
