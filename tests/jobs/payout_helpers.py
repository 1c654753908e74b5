"""Shared by the payout tests: a worker with money, a scripted provider, a stub broker."""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Pipelines, Retries, TimeLimit

from core.models import OutboxEvent
from core.payments import accounts
from jobs.payouts.providers import Outcome, PayoutRequest
from tests import factories
from tests.conftest import NOW

_keys = itertools.count(1)


def worker_with(cents: int):
    return factories.requester(cents, name="Wanda")


def withdraw(user_id: int, amount_cents: int | None = None, *, now=NOW):
    return accounts.withdraw(worker_id=user_id, now=now, key=f"w{next(_keys)}", amount_cents=amount_cents)


def events(kind: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.select().where(OutboxEvent.kind == kind).order_by(OutboxEvent.id)]


class ScriptedProvider:
    """Answers from a script: each item is an Outcome to return or an exception to raise."""

    name = "scripted"

    def __init__(self, *script: object) -> None:
        self.script: Iterator[object] = iter(script)
        self.calls: list[PayoutRequest] = []

    def send(self, request: PayoutRequest) -> Outcome:
        self.calls.append(request)
        step = next(self.script)
        if isinstance(step, BaseException):
            raise step
        return step


def stub_broker(*actors: dramatiq.Actor) -> StubBroker:
    from jobs.broker import DbConnections, base_queue

    broker = StubBroker(middleware=[AgeLimit(), TimeLimit(), Callbacks(), Pipelines(), Retries(max_retries=8),
                                    DbConnections()])
    broker.emit_after("process_boot")
    dramatiq.set_broker(broker)
    for actor in actors:
        actor.queue_name = base_queue(actor)  # a RabbitMQ setup before may have prefixed it
        actor.broker = broker
        broker.declare_actor(actor)
    return broker
