from __future__ import annotations

import threading

import dramatiq
import pytest

from core.config import load_settings
from core.errors import ConfigError
from jobs import actors
from jobs.broker import make_jobs
from tests.jobs.conftest import redis_only


def test_actor_round_trip_through_the_broker(jobs):
    seen = threading.Event()
    calls = []

    @actors.actor(actor_name=f"probe_{jobs.namespace}", queue_name=jobs.queue("probe"))
    def probe(x: int) -> None:
        calls.append(x)
        seen.set()

    probe.broker = jobs.broker
    jobs.broker.declare_actor(probe)
    probe.send(7)
    worker = dramatiq.Worker(jobs.broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        assert seen.wait(10), "the message never reached the worker"
    finally:
        worker.stop()
    assert calls == [7]


def test_bad_broker_url_is_a_config_error():
    with pytest.raises(ConfigError, match="REDIS_URL must start with"):
        make_jobs(load_settings(), url="http://localhost:6379")


@redis_only
def test_embedded_redis_keeps_an_append_only_file(tmp_path):
    import redis

    from jobs.broker import embedded_redis_url

    url = embedded_redis_url(tmp_path)  # the first call in a process decides the location
    client = redis.Redis.from_url(url)
    assert client.ping()
    config = client.config_get("appendonly")
    assert config["appendonly"] == "yes"


@redis_only
def test_embedded_redis_waits_for_a_server_that_refuses_connections_while_it_starts(tmp_path, monkeypatch):
    """A loaded machine: redis-server's socket refuses the first pings (CI saw the sandbox die of it)."""
    import redis

    from jobs.broker import _embedded_redis_class

    real_ping, refused = redis.Redis.ping, []

    def ping(self, **kw):
        if len(refused) < 3:
            refused.append(1)
            raise redis.ConnectionError("Error 111 connecting to redis.socket. Connection refused.")
        return real_ping(self, **kw)

    monkeypatch.setattr(redis.Redis, "ping", ping)
    server = _embedded_redis_class()(str(tmp_path / "starting.rdb"))
    try:
        assert len(refused) == 3 and server.set("k", "v") and server.get("k") == b"v"
    finally:
        server.shutdown(nosave=True)


def test_a_worker_thread_keeps_its_database_connection_through_a_run_of_messages_then_gives_it_back(database):
    """Checking a connection out costs a round trip under the pool's lock; a thread busy with a run of
    messages keeps the one it has, and gives it back when its queue is empty or a message failed."""
    import time

    from dramatiq import Worker

    from core.db import db
    from tests.jobs.payout_helpers import stub_broker

    opened: list[bool] = []  # each message: was the thread's connection already open?

    @actors.actor(actor_name="connection_probe", queue_name="probe", max_retries=0)
    def probe(n: int, fail: bool = False) -> None:
        opened.append(not db.is_closed())
        db.execute_sql("SELECT 1")
        if n == 0:
            time.sleep(0.3)  # the consumer fetches the rest of the run meanwhile
        if fail:
            raise RuntimeError("a failed message")

    broker = stub_broker(probe)
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.queue_prefetch = 10  # the whole run is fetched while the first message sleeps
    try:
        for n in range(4):
            probe.send(n)
        worker.start()
        broker.join("probe", timeout=10_000)
        worker.join()
        probe.send(4)  # after the queue ran dry
        broker.join("probe", timeout=10_000)
        worker.join()
        assert opened == [False, True, True, True, False]
        opened.clear()
        worker.pause()
        probe.send(0, fail=True)
        probe.send(1)
        worker.resume()
        broker.join("probe", timeout=10_000, fail_fast=False)
        worker.join()
        assert opened == [False, False]  # the failed message gave its connection back
    finally:
        worker.stop()
