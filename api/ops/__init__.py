"""The operations, one module per area; api.operations lists them by name."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Ctx:
    """Who is asking (the key's requester) and the clock every core call gets."""

    requester_id: int
    now: datetime
    access_key_id: str = ""  # the key that signed the request (it signs the notifications it sets up)
