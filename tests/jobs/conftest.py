"""Jobs fixtures: a Redis (TEST_REDIS_URL, or an embedded one) with a namespace of this test's
own, so runs sharing one Redis server never see each other's queues or rate-limit keys."""
from __future__ import annotations

import os
import uuid

import pytest

from core.config import load_settings


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
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
    wipe(j.redis, namespace)


def wipe(client, namespace: str) -> None:
    keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
    if keys:
        client.delete(*keys)


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
