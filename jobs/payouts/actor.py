"""The payout actor: drives one payout from requested to paid or failed, safe to run twice.

Every run moves the payout to processing (a conditional update that counts the attempt),
asks the provider with the payout's one idempotency key, then settles or fails it with
conditional updates. Two runs at once, a run after a crash, or a run after success all
end in the same single payment: the provider de-duplicates by key, core by state."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import lru_cache

from core.config import get_settings
from core.errors import ConfigError, NotFound
from core.payments.accounts import fail_payout, settle_payout, start_payout
from core.payments.destinations import reveal
from core.payments.payouts import maybe_auto_withdraw, stuck_payouts
from jobs.actors import actor
from jobs.payouts.providers import (
    PayoutProvider,
    PayoutRequest,
    PermanentPayoutError,
    TransientPayoutError,
    make_provider,
)

log = logging.getLogger(__name__)

QUEUE = "payouts"
REQUESTED_GRACE_S = 60  # the outbox relay enqueues a new payout at once; after this the sweep does


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@lru_cache(maxsize=1)
def provider() -> PayoutProvider:
    return make_provider(get_settings())


def run_payout(payout_id: int, *, provider: PayoutProvider, now: datetime, max_attempts: int) -> str:
    """One attempt at a payout. Returns what happened ("paid", "pending", "failed", "skipped");
    raises TransientPayoutError when it should be tried again later."""
    payout = start_payout(payout_id=payout_id, now=now)
    if payout is None:
        return "skipped"  # paid, failed or gone: nothing to do, whoever ran it before finished
    request = PayoutRequest.of(payout, get_settings().currency)
    try:
        if payout.destination_id is not None:  # decrypted here only, right before the call
            request = PayoutRequest.of(payout, get_settings().currency, _destination(payout))
        outcome = provider.send(request)
    except PermanentPayoutError as exc:
        refused = fail_payout(payout_id=payout_id, now=now, reason=str(exc) or "the payment service refused it")
        return "failed" if refused else "skipped"
    except TransientPayoutError as exc:
        if payout.attempts >= max_attempts:
            gave_up = fail_payout(payout_id=payout_id, now=now, reason=f"the payment service could not be "
                                  f"reached after {payout.attempts} tries ({exc})")
            return "failed" if gave_up else "skipped"
        log.warning("payout %s attempt %s failed, will retry: %s", payout_id, payout.attempts, exc)
        raise
    if outcome.status == "pending":
        return "pending"  # the signed callback settles it; the stuck sweep asks again if it never comes
    if settle_payout(payout_id=payout_id, now=now, provider_ref=outcome.reference or request.key, started=payout):
        return "paid"
    return "skipped"  # a concurrent run settled it first (same key, so the same payment)


def _destination(payout) -> dict[str, str]:
    """The payout's destination in full. One that does not decrypt (HITBOT_SECRET_KEY changed)
    is the operator's to fix: retried like an outage, and after the last attempt the money goes back."""
    try:
        return reveal(destination_id=payout.destination_id, user_id=payout.worker_id)
    except (ConfigError, NotFound) as exc:
        raise TransientPayoutError(f"the payout destination could not be read: {exc}") from None


# Attempts are counted in the database (they survive crashes) and capped by
# HITBOT_PAYOUT_MAX_ATTEMPTS in run_payout; dramatiq's Retries only spaces them out.
@actor(queue_name=QUEUE, max_retries=100, min_backoff=1_000, max_backoff=300_000, time_limit=120_000)
def process_payout(payout_id: int) -> None:
    run_payout(payout_id, provider=provider(), now=utcnow(), max_attempts=get_settings().payout_max_attempts)


def requeue_stuck(*, now: datetime, limit: int | None = None) -> int:
    """For the clock: enqueue payouts whose message was lost or whose worker died. Safe to
    overlap with a live attempt (the actor is safe to run twice). Returns how many."""
    settings = get_settings()
    ids = stuck_payouts(now=now, requested_s=REQUESTED_GRACE_S, processing_s=settings.payout_stuck_s,
                        limit=limit or settings.sweep_batch)
    for payout_id in ids:
        process_payout.send(payout_id)
    return len(ids)


def enqueue_payout(payout_id: int) -> None:
    """The fast path, for the outbox relay on a `payout.requested` event."""
    process_payout.send(payout_id)


@actor(queue_name=QUEUE, max_retries=5, min_backoff=1_000)
def check_auto_withdraw(user_id: int) -> None:
    """After money reached a worker's balance: withdraw it if their threshold is passed."""
    maybe_auto_withdraw(user_id=user_id, now=utcnow())


ACTORS = [process_payout, check_auto_withdraw]
