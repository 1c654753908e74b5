"""Jobs fixtures: a broker with a namespace of this test's own, so runs sharing one server never
see each other's queues or rate-limit keys. The broker is RabbitMQ when TEST_BROKER_URL is an
amqp:// URL (with TEST_DATABASE_URL: PostgreSQL holds the slots and the clock's lock, no Redis),
else a Redis (TEST_REDIS_URL, or an embedded one)."""
from __future__ import annotations

import os
import uuid

import pytest

from core.config import load_settings

BROKER_URL = os.environ.get("TEST_BROKER_URL") or ""
ON_RABBITMQ = BROKER_URL.startswith("amqp")
redis_only = pytest.mark.skipif(ON_RABBITMQ, reason="Redis-specific (its keys, queues or server); "
                                "TEST_BROKER_URL selects RabbitMQ")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The broker's URL (the name is older than RabbitMQ support): what REDIS_URL gets."""
    if ON_RABBITMQ:
        if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
            pytest.fail("TEST_BROKER_URL=amqp://... needs TEST_DATABASE_URL=postgresql://... (no Redis then)")
        return BROKER_URL
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        return url
    from jobs.broker import embedded_redis_url

    return embedded_redis_url(tmp_path_factory.mktemp("redis"))


@pytest.fixture
def namespace() -> str:
    return f"hitbot-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def jobs(database, redis_url, namespace):
    """The process's broker on the test Redis; its keys are deleted afterwards."""
    from jobs.broker import setup_broker

    settings = load_settings()
    j = setup_broker(settings, url=redis_url, namespace=namespace)
    yield j
    j.broker.close()
    wipe_jobs(j)


def wipe_jobs(j) -> None:
    """Delete what this test's namespace left on the broker."""
    if j.redis is not None:
        wipe(j.redis, j.namespace)
    elif ON_RABBITMQ:
        wipe_rabbitmq(j.url, j.broker.get_declared_queues())


def wipe(client, namespace: str) -> None:
    keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
    if keys:
        client.delete(*keys)


def wipe_rabbitmq(url: str, queues) -> None:
    """RabbitMQ queues are durable: delete this test's (each with its delay and dead-letter queue)."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for name in {q.removesuffix(".DQ").removesuffix(".XQ") for q in queues}:
            for suffix in ("", ".DQ", ".XQ"):
                channel.queue_delete(queue=f"{name}{suffix}")
    finally:
        connection.close()


@pytest.fixture
def botapi(monkeypatch):
    """A fake Bot API over HTTP, and this process's settings pointed at it."""
    from core.config import get_settings
    from tests.jobs.fake_botapi import FakeBotApi

    api = FakeBotApi()
    url = api.start()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:JOBS")
    monkeypatch.setenv("TELEGRAM_API_URL", url)
    get_settings.cache_clear()
    yield api
    api.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def worker(jobs):
    import dramatiq

    w = dramatiq.Worker(jobs.broker, worker_threads=8, worker_timeout=100)
    w.start()
    yield w
    w.stop(timeout=10_000)


@pytest.fixture
def simple_render(monkeypatch):
    """Every event with a recipient becomes a one-line notice (tests of the pipe, not the wording)."""
    from bot import notices
    from bot.views.notify import Notice

    monkeypatch.setattr(notices, "render", lambda e: None if e.user_id is None else
                        Notice(chat_id=e.user_id, text=f"{e.kind} #{e.id}"))


def wait_until(predicate, timeout_s: float, interval_s: float = 0.05) -> bool:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


def drains(backlog, *, stall_s: float, limit_s: float = 600, interval_s: float = 0.5) -> bool:
    """Whether `backlog()` reaches 0, failing once it has not fallen for `stall_s` (or after `limit_s`):
    a liveness check for work paced by a rate, which a loaded machine slows but must not stop."""
    import time

    start = time.monotonic()
    least, fell_at = backlog(), start
    while least > 0:
        time.sleep(interval_s)
        now, left = time.monotonic(), backlog()
        if left < least:
            least, fell_at = left, now
        elif now - fell_at > stall_s or now - start > limit_s:
            return False
    return True


def health(port: int) -> dict | None:
    """A process's /healthz answer, or None while it does not answer."""
    import json
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None
