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
