"""Process wiring: the bot, the worker and the clock, alone (the Procfile's lines) or all in one
process (`hitbot run`). Every role stops cleanly when its stop_event is set (SIGTERM)."""
from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import dramatiq

from core.config import Settings
from core.db import init_db

log = logging.getLogger(__name__)

WORKER_STOP_TIMEOUT_MS = 30_000  # in-flight messages get this long; the rest go back to the queue
WORKER_IDLE_POLL_MS = 1000  # an idle consumer polls Redis this often; stopping waits up to twice this


@dataclass
class Running:
    """What one process started, so the health check can report on it and stop can undo it."""

    settings: Settings
    jobs: object | None = None
    worker: dramatiq.Worker | None = None
    clock: object | None = None
    bot_ready: threading.Event = field(default_factory=threading.Event)

    def health(self) -> dict:
        status: dict = {"ok": True}
        amqp = str(getattr(self.jobs, "url", "")).startswith("amqp")
        if self.jobs is not None and (getattr(self.jobs, "redis", None) is not None or amqp):
            try:
                if amqp:
                    from hitbot.startup import ping_broker

                    ping_broker(self.jobs.url)  # RabbitMQ: a connection
                else:
                    self.jobs.redis.ping()
                status["broker"] = "up"
            except Exception:
                status["broker"] = "down"
                status["ok"] = self.worker is None  # a bot without Redis still answers chats
        if self.clock is not None:
            status["clock_leader"] = bool(self.clock.is_leader)
        if self.worker is not None:
            status["worker"] = "running"
        return status


def prepare(settings: Settings, *, broker_url: str | None = None, namespace: str | None = None,
            relay: bool = True):
    """Database and broker for this process; registers the outbox fast path."""
    from jobs import broker

    init_db(settings.effective_database_url(), pool_size=settings.database_pool_size)
    jobs = broker.setup_broker(settings, url=broker_url, namespace=namespace or settings.redis_namespace)
    if relay:
        from jobs import relay as outbox_relay

        outbox_relay.install(jobs)
    return jobs


def start_worker(jobs, *, threads: int = 8, queues: list[str] | None = None,
                 idle_poll_ms: int = WORKER_IDLE_POLL_MS) -> dramatiq.Worker:
    queues = None if queues is None else [jobs.queue(q) for q in queues]
    worker = dramatiq.Worker(jobs.broker, worker_threads=threads, queues=queues, worker_timeout=idle_poll_ms)
    worker.start()
    log.info("worker started", extra={"threads": threads})
    return worker


def stop_worker(worker: dramatiq.Worker) -> None:
    worker.stop(timeout=WORKER_STOP_TIMEOUT_MS)
    log.info("worker stopped")


def start_clock(settings: Settings, jobs):
    from jobs.clock import Clock

    clock = Clock(settings, jobs)
    clock.start()
    return clock


async def serve_bot(settings: Settings, stop_event: threading.Event, *, webhook_url: str | None = None,
                    listen: str = "0.0.0.0", port: int = 8443, secret_token: str | None = None,
                    ready: threading.Event | None = None, application=None) -> None:
    """Run the Telegram bot until stop_event is set: long polling, or PTB's webhook server."""
    from bot.app import build_application

    app = application or build_application(settings)
    instrument(app)
    async with app:
        if app.post_init is not None:  # only run_polling/run_webhook call it; we drive the app ourselves
            await app.post_init(app)
        await app.start()
        if webhook_url:
            path = urlsplit(webhook_url).path.strip("/")  # the public URL's path is where we listen
            await app.updater.start_webhook(listen=listen, port=port, url_path=path, webhook_url=webhook_url,
                                            secret_token=secret_token, drop_pending_updates=False)
        else:
            await app.updater.start_polling(drop_pending_updates=False)
        log.info("bot started", extra={"mode": "webhook" if webhook_url else "polling"})
        if ready is not None:
            ready.set()
        while not stop_event.is_set():
            await asyncio.sleep(0.2)
        await app.updater.stop()
        await app.stop()
    log.info("bot stopped")


def run_all(settings: Settings, stop_event: threading.Event, *, threads: int = 4, metrics_port: int | None = None,
            application=None, ready: threading.Event | None = None, broker_url: str | None = None,
            idle_poll_ms: int = WORKER_IDLE_POLL_MS) -> None:
    """Bot, worker threads and clock in this one process (embedded Redis unless REDIS_URL is
    set). Blocks until stop_event is set, then stops the bot, lets the worker finish or requeue
    its in-flight messages, and releases the clock's leader lock.

    `application` replaces the default PTB Application (the sandbox passes one pointed at its
    emulator); `ready` is set once the bot is polling; `idle_poll_ms` trades idle Redis polls
    for a quicker stop (the sandbox stops on Ctrl-C within a second)."""
    running = Running(settings)
    running.jobs = prepare(settings, broker_url=broker_url)
    running.worker = start_worker(running.jobs, threads=threads, idle_poll_ms=idle_poll_ms)
    running.clock = start_clock(settings, running.jobs)
    server = None
    if metrics_port is not None:
        from jobs.metrics import serve

        server = serve(metrics_port, running.health)
    try:
        asyncio.run(serve_bot(settings, stop_event, application=application, ready=ready))
    finally:
        from jobs import relay

        stop_event.set()
        relay.uninstall()  # later commits in this process are no longer this run's to enqueue
        running.clock.stop()
        stop_worker(running.worker)
        if server is not None:
            server.shutdown()


def instrument(app) -> None:
    """Count updates and time their handling (Prometheus), with handlers that run first and last."""
    import time

    from telegram import Update
    from telegram.ext import TypeHandler

    from jobs.metrics import HANDLER_SECONDS, UPDATES

    started: dict[int, float] = {}

    async def first(update: Update, context) -> None:
        started[update.update_id] = time.monotonic()

    async def last(update: Update, context) -> None:
        t = started.pop(update.update_id, None)
        UPDATES.inc()
        if t is not None:
            HANDLER_SECONDS.observe(time.monotonic() - t)
        if len(started) > 10_000:  # updates stopped early never reach `last`
            started.clear()

    app.add_handler(TypeHandler(Update, first), group=-10_000)
    app.add_handler(TypeHandler(Update, last), group=10_000)
