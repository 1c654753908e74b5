"""HMAC-SHA256 signatures for the payout webhook, both directions.

The signed message is `<unix seconds>.<raw body>`, so a captured request cannot be replayed
later with another timestamp, and a body cannot be changed without the secret."""
from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Hitbot-Timestamp"
SIGNATURE_HEADER = "X-Hitbot-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_SKEW_S = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def sign(secret: str, body: bytes, *, now_s: float | None = None) -> dict[str, str]:
    """The headers that authenticate `body`."""
    timestamp = str(int(time.time() if now_s is None else now_s))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, body: bytes, timestamp: str | None, given: str | None, *,
           now_s: float | None = None) -> bool:
    """True if `given` signs `body` at `timestamp` and the timestamp is recent (constant-time compare)."""
    if not timestamp or not given or not timestamp.isdigit():
        return False
    now_s = time.time() if now_s is None else now_s
    if abs(now_s - int(timestamp)) > MAX_SKEW_S:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), given.encode())
