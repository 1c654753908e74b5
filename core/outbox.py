"""Announcements of what happened, written in the same transaction as the change."""
from __future__ import annotations

from datetime import datetime

from core.models import OutboxEvent


def emit(kind: str, *, user_id: int | None, now: datetime, **payload: object) -> OutboxEvent:
    return OutboxEvent.create(kind=kind, user_id=user_id, payload=payload, created_at=now)
