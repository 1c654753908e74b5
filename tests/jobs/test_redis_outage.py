"""Redis stopped and restarted while the bot runs: the bot keeps answering, notifications
written meanwhile are delivered once Redis is back (the outbox sweep), nothing twice."""
from __future__ import annotations

import socket
import subprocess
import time

import dramatiq
import pytest
import redis

from core.config import load_settings
from core.db import tx
from core.models import OutboxEvent
from core.outbox import emit
from jobs import relay
from jobs.broker import setup_broker
from tests.bot.conftest import bot, clock  # noqa: F401  (the fake-Telegram bot fixture)
from tests.conftest import NOW
from tests.fakes.telegram import TgUser
from tests.jobs.conftest import ON_RABBITMQ, wait_until

pytestmark = pytest.mark.skipif(ON_RABBITMQ, reason="Redis-specific: a Redis outage")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server without persistence: a restart loses every queued message."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
                                      "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        assert wait_until(lambda: _pings(client), 10), "redis-server did not start"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _notice(chat: int) -> int:
    with tx():
        return emit("test.notice", user_id=chat, now=NOW).id


def _undone() -> int:
    return OutboxEvent.select().where(OutboxEvent.done_at.is_null()).count()


@pytest.mark.slow
async def test_redis_outage_delays_notifications_but_loses_and_doubles_none(database, bot, botapi, simple_render,
                                                                             namespace):
    server = RedisServer(_free_port())
    server.start()
    jobs = setup_broker(load_settings(), url=f"redis://127.0.0.1:{server.port}/0", namespace=namespace)
    relay.install(jobs)
    worker = dramatiq.Worker(jobs.broker, worker_threads=4, worker_timeout=100)
    worker.start()
    sweeper = relay.Relay(jobs, grace_s=0, requeue_after_s=2)
    try:
        before = [_notice(8000 + i) for i in range(5)]
        assert await _eventually(lambda: _undone() == 0, 15), "not delivered while Redis was up"

        worker.pause()
        queued = [_notice(8020 + i) for i in range(3)]  # in Redis, not yet taken by the worker
        assert OutboxEvent.select().where(OutboxEvent.id.in_(queued) & OutboxEvent.enqueued_at.is_null()).count() == 0
        server.stop()
        started = time.monotonic()
        replies = await bot.text(TgUser(8100, "Olga"), "/start")
        assert replies and time.monotonic() - started < 5, "the bot stalled without Redis"
        during = [_notice(8010 + i) for i in range(5)]  # the fast path fails; the commit stands
        assert OutboxEvent.select().where(OutboxEvent.id.in_(during) & OutboxEvent.done_at.is_null()).count() == 5
        with pytest.raises(redis.ConnectionError):
            sweeper.sweep()  # the clock's sweep fails too, and will try again

        server.start()  # empty: whatever was queued is gone
        worker.resume()
        assert await _eventually(lambda: _sweep_until_done(sweeper), 40), "not delivered after Redis came back"
    finally:
        relay.uninstall()
        worker.stop(timeout=5_000)
        jobs.broker.close()
        server.stop()

    texts = [s.text for s in botapi.sent]
    assert len(texts) == len(set(texts)) == 13, "a notification was lost or sent twice"
    expected = [8000 + i for i in range(5)] + [8010 + i for i in range(5)] + [8020 + i for i in range(3)]
    assert sorted(s.chat_id for s in botapi.sent) == expected


def _sweep_until_done(sweeper) -> bool:
    try:
        sweeper.sweep()
    except redis.ConnectionError:
        return False
    return _undone() == 0


async def _eventually(predicate, timeout_s: float) -> bool:
    import asyncio

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await asyncio.to_thread(predicate):
            return True
        await asyncio.sleep(0.5)
    return False
