"""The outbox relay: outbox rows become queue messages.

Fast path: right after a transaction that emitted events commits (core.outbox.subscribe),
their ids are sent to the queue. Slow path: the clock's sweep re-sends any row not done
that was never enqueued (the broker was down, the process died between commit and send)
or was enqueued long ago (the broker lost it). Either path may send a row twice; the
actors are safe to run twice, so a crash anywhere loses nothing and doubles nothing."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from core import outbox
from core.models import OutboxEvent

log = logging.getLogger(__name__)

FAST_PATH_PAUSE_S = 10.0  # after a broker error, leave enqueueing to the sweep for this long
ENQUEUE_GRACE_S = 30  # the sweep leaves fresh rows to the fast path this long
REQUEUE_AFTER_S = 300  # a row enqueued but not done after this is enqueued again

def _deliver(event: OutboxEvent) -> None:
    from jobs.delivery import deliver

    deliver.send(event.id)


def _refresh_cards(event: OutboxEvent) -> None:
    from jobs.cards import refresh_cards

    refresh_cards.send(event.id)


def _process_payout(event: OutboxEvent) -> None:
    from jobs.payouts.actor import process_payout

    process_payout.send(int(event.payload["payout_id"]))


def _publish_batch(event: OutboxEvent) -> None:
    from jobs.batches import publish_large_batch

    publish_large_batch.send(event.id)


def _build_results_zip(event: OutboxEvent) -> None:
    from jobs.exports import build_results_zip

    build_results_zip.send(event.id)


def _mturk_events(event: OutboxEvent) -> None:
    """What the MTurk API's notification settings hear of (most events have no listener: the actor
    finds none in one query)."""
    from jobs.mturk_events import fan_out_mturk_events

    fan_out_mturk_events.send(event.id)


def _check_auto_withdraw(event: OutboxEvent) -> None:
    """Money reached a worker's balance: their standing order may withdraw it now (the clock's
    sweep catches any this misses). A rejected appeal moved no money."""
    from jobs.payouts.actor import check_auto_withdraw

    if event.user_id is not None and (event.kind != "appeal.decided" or (event.payload or {}).get("approved")):
        check_auto_withdraw.send(int(event.user_id))


# The one route table: event kind -> the actors that handle it. A kind not listed is a chat
# notification (jobs.delivery) and nothing else.
ROUTES: dict[str, tuple[Callable[[OutboxEvent], None], ...]] = {
    "cards.refresh": (_refresh_cards,),  # edits the messages that show the object; sends none
    "batch.requested": (_publish_batch,),  # a big /batch, published by the worker with a progress bar
    "export.requested": (_build_results_zip,),  # a big results ZIP, built by the worker
    "payout.requested": (_deliver, _process_payout),
    "assignment.approved": (_deliver, _check_auto_withdraw, _mturk_events),
    "bonus.paid": (_deliver, _check_auto_withdraw),
    "balance.credited": (_deliver, _check_auto_withdraw),
    "appeal.decided": (_deliver, _check_auto_withdraw),
    # MTurk notifications (core.mturk.notifications.events_of): the API's own events, and the chat's that MTurk names
    "mturk.event": (_mturk_events,),
    "hits.published": (_deliver, _mturk_events),
    "hit.expired": (_deliver, _mturk_events),
    "submission.confirmed": (_deliver, _mturk_events),
    "assignment.rejected": (_deliver, _mturk_events),
    "assignment.expired": (_deliver, _mturk_events),
}
DEFAULT_ROUTE = (_deliver,)


def routes_for(kind: str) -> tuple[Callable[[OutboxEvent], None], ...]:
    return ROUTES.get(kind, DEFAULT_ROUTE)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Relay:
    def __init__(self, jobs, *, clock: Callable[[], datetime] = utcnow, grace_s: float = ENQUEUE_GRACE_S,
                 requeue_after_s: float = REQUEUE_AFTER_S) -> None:
        self.jobs = jobs
        self.clock = clock
        self.grace_s = grace_s
        self.requeue_after_s = requeue_after_s
        self._paused_until = 0.0
        self._lock = threading.Lock()

    # The fast path: called by core after a commit, in the committing thread.
    def __call__(self, ids: list[int]) -> None:
        if time.monotonic() < self._paused_until:
            return
        try:
            self.enqueue(ids)
        except Exception as exc:  # the commit stands; the sweep will pick these up
            self._paused_until = time.monotonic() + FAST_PATH_PAUSE_S
            log.warning("outbox fast path failed, leaving %d events to the sweep: %s", len(ids), type(exc).__name__)

    def enqueue(self, ids: list[int]) -> int:
        """Send each event to its actors and stamp it enqueued."""
        if not ids:
            return 0
        # In outbox order, so the notices to one person usually need no waiting (jobs.delivery keeps the order).
        events = outbox.pending_in(ids)
        for event in events:
            for fn in routes_for(event.kind):
                fn(event)
        if events:
            outbox.mark_enqueued([e.id for e in events], now=self.clock())
        return len(events)

    def sweep(self, *, now: datetime | None = None, limit: int = 500) -> int:
        """The slow path: enqueue rows the fast path missed or the broker lost."""
        now = now or self.clock()
        ids = outbox.due(now=now, grace_s=self.grace_s, requeue_after_s=self.requeue_after_s, limit=limit)
        return self.enqueue(ids) if ids else 0

    def flush(self) -> int:
        """Enqueue every undelivered row never enqueued, however fresh (e.g. at start-up)."""
        ids = outbox.never_enqueued(limit=10_000)
        return self.enqueue(ids) if ids else 0


_installed: Relay | None = None


def install(jobs) -> Relay:
    """Make this process enqueue outbox events right after each commit."""
    global _installed
    if _installed is not None:
        outbox.unsubscribe(_installed)
    from core.config import get_settings

    _installed = Relay(jobs, requeue_after_s=get_settings().outbox_requeue_s)
    outbox.subscribe(_installed)
    return _installed


def uninstall() -> None:
    global _installed
    if _installed is not None:
        outbox.unsubscribe(_installed)
        _installed = None


def backlog() -> int:
    return outbox.backlog()
