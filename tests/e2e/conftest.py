"""End to end over real HTTP: the sandbox emulator on a free port, the real bot polling it,
the jobs worker and the clock running against the test database and Redis. Tests act
only through the emulator's test-client API, as a person in the web chat would."""
from __future__ import annotations

import asyncio
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.scripting import Person
from sandbox.server import SandboxServer

TOKEN = "700000002:e2e-token"


@dataclass
class Stack:
    url: str
    http: httpx.Client
    server: SandboxServer

    def person(self, uid: int, name: str) -> Person:
        return Person(self.http, uid, name)

    def stats(self) -> dict[str, Any]:
        return self.http.get("/sandbox/api/stats").json()


@pytest.fixture(scope="session")
def e2e_redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The broker: RabbitMQ when TEST_BROKER_URL is amqp:// (see tests/jobs/conftest.py), else Redis."""
    from tests.jobs.conftest import BROKER_URL, ON_RABBITMQ

    if ON_RABBITMQ:
        yield BROKER_URL
        return
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    from jobs.broker import embedded_redis_url, stop_embedded_redis

    yield embedded_redis_url(tmp_path_factory.mktemp("e2e-redis"))
    stop_embedded_redis()  # now, while everything still works, not at interpreter exit


@pytest.fixture
def stack(database, e2e_redis_url, monkeypatch, request):
    """Emulator + bot + worker + clock, all real, over HTTP; torn down in reverse order."""
    from bot.app import build_application
    from core.config import get_settings
    from hitbot.run import prepare, serve_bot, start_clock, start_worker
    from hitbot.sandbox_cmd import MOUNTS
    from jobs import relay

    server = SandboxServer(flood_control=True, mounts=MOUNTS).start()  # the MTurk API at <url>/mturk, as the sandbox
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", server.url)
    monkeypatch.setenv("HITBOT_PAYMENT_PROVIDER_TOKEN", "sandbox-provider")
    monkeypatch.setenv("DATABASE_URL", database)
    # The walks read the toasts' words; a busy CI machine may take longer than the product's quarter
    # second to answer (tests/bot/test_press_answered_in_time.py covers the press answered in time).
    # A walk of the answer in time says its own bound: @pytest.mark.answer_within_ms(n).
    bound = request.node.get_closest_marker("answer_within_ms")
    monkeypatch.setenv("HITBOT_ANSWER_WITHIN_MS", str(bound.args[0]) if bound else "10000")
    get_settings.cache_clear()
    settings = get_settings()
    namespace = f"hitbot-e2e-{uuid.uuid4().hex[:10]}"
    jobs = prepare(settings, broker_url=e2e_redis_url, namespace=namespace)
    worker = start_worker(jobs, threads=2)  # few connections: the test server is shared
    clock = start_clock(settings, jobs)
    stop, ready = threading.Event(), threading.Event()
    app = build_application(settings)
    bot_thread = threading.Thread(target=lambda: asyncio.run(serve_bot(settings, stop, application=app, ready=ready)),
                                  name="e2e-bot", daemon=True)
    bot_thread.start()
    assert ready.wait(30), "the bot did not start polling"
    http = httpx.Client(base_url=server.url, timeout=30)
    try:
        yield Stack(server.url, http, server)
    finally:
        http.close()
        stop.set()
        server.release_pollers()
        bot_thread.join(30)
        clock.stop()
        worker.stop(timeout=10_000)
        relay.uninstall()
        jobs.broker.close()
        from tests.jobs.conftest import wipe_jobs

        wipe_jobs(jobs)
        server.stop()
        from core.db import db

        if hasattr(db.obj, "close_all"):  # this test's pool (prepare() opened a new one)
            db.obj.close_all()
        monkeypatch.undo()
        get_settings.cache_clear()
