"""The MTurk API's event notifications: outbox events become MTurk's notification JSON, POSTed to
the requester's HTTPS destination (core.mturk.notifications decides which and where).

One message per outbox event finds the POSTs; each POST is its own message, retried with
Dramatiq's backoff (1 s up to 5 min, at most MAX_RETRIES times) when the destination does not
answer or answers 408, 429 or 5xx. Delivery is at least once: a repeat keeps its EventDocId.

Each POST is signed as hitbot's payout webhook is (`X-Hitbot-Signature: sha256=<HMAC-SHA256 of
"<timestamp>.<body>">`), with the secret of the API key that set the destination up, named in
`X-Hitbot-Key-Id`. A key revoked since then signs nothing: those POSTs are dropped."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import httpx

from core import outbox
from core.mturk import apikeys, notifications
from jobs.actors import actor
from jobs.payouts.signing import sign

log = logging.getLogger(__name__)
QUEUE = "mturk"
MAX_RETRIES = 8
TIMEOUT_S = 10.0
MAX_BODY = 64 * 1024
KEY_HEADER = "X-Hitbot-Key-Id"
RETRY_STATUSES = frozenset({408, 425, 429})


class DestinationUnavailable(Exception):
    """The destination did not take the POST this time; Dramatiq tries again later."""


def _retry_when(retries: int, exc: BaseException) -> bool:
    return isinstance(exc, DestinationUnavailable) and retries < MAX_RETRIES


@actor(queue_name=QUEUE, max_retries=3, min_backoff=1_000, max_backoff=60_000)
def fan_out_mturk_events(event_id: int) -> None:
    event = outbox.get(event_id)
    if event is None:
        return
    for delivery in notifications.deliveries_for(event):
        post_mturk_event.send(delivery.url, delivery.access_key_id, delivery.body)
    if event.kind == notifications.KIND:  # only this actor handles these; the others are the notifier's to finish
        outbox.finish(event_id, now=datetime.now(timezone.utc))


def post(url: str, access_key_id: str, body: str, *, transport: httpx.BaseTransport | None = None) -> int | None:
    """One signed POST; its HTTP status, or None when there is no key to sign with."""
    found = apikeys.credential(access_key_id=access_key_id)
    if found is None:
        log.warning("MTurk notification dropped: its key %s was revoked", access_key_id)
        return None
    data = body.encode()
    if len(data) > MAX_BODY:  # one event is a few hundred bytes; never send an unbounded body
        log.warning("MTurk notification dropped: %d bytes", len(data))
        return None
    headers = {"Content-Type": "application/json", KEY_HEADER: access_key_id, **sign(found.secret, data)}
    try:
        with httpx.Client(timeout=TIMEOUT_S, transport=transport, follow_redirects=False) as client:
            response = client.post(url, content=data, headers=headers)
    except httpx.HTTPError as exc:
        raise DestinationUnavailable(f"{type(exc).__name__}") from None
    if response.status_code >= 500 or response.status_code in RETRY_STATUSES:
        raise DestinationUnavailable(f"HTTP {response.status_code}")
    if response.status_code >= 300:
        log.warning("MTurk notification refused by its destination: HTTP %d", response.status_code)
    return response.status_code


@actor(queue_name=QUEUE, max_retries=MAX_RETRIES, min_backoff=1_000, max_backoff=300_000, retry_when=_retry_when,
       time_limit=60_000)
def post_mturk_event(url: str, access_key_id: str, body: str) -> None:
    post(url, access_key_id, body)
