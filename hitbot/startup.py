"""What a process checks and says as it starts: one short banner, and a one-line reason when
something is wrong. A Telegram or broker that is not there yet is waited for (with backoff, one
line per try); a refused token, a database that refuses us or a schema newer than this code
stops the process with exit status 78 (EX_CONFIG), so a supervisor does not restart it in a loop."""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from core.config import Settings

log = logging.getLogger("hitbot")
banner_log = logging.getLogger("hitbot.banner")

EX_CONFIG = 78  # sysexits.h: configuration error
BACKOFF_S = (1, 2, 4, 8, 16, 30)  # then every 30 s
TELEGRAM_TIMEOUT_S = 10.0


class Fatal(Exception):
    """Raised when the process cannot start and retrying will not help; str() is the one line."""

    exit_status = EX_CONFIG


# --- describing where things are (no secrets) ------------------------------------------------
def _masked_netloc(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"{parts.username or ''}{':***' if parts.password else ''}@{host}"
    return host


def describe_database(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        return f"SQLite {url.split(':///', 1)[1] if ':///' in url else url}"
    kind = "PostgreSQL" if scheme.startswith("postgres") else scheme
    return f"{kind} {_masked_netloc(url)}{urlsplit(url).path}"


def describe_broker(settings: Settings) -> str:
    url = settings.redis_url
    if not url:
        return f"embedded Redis in {settings.data_dir}"
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"Redis at unix:{parts.path}"
    kind = "RabbitMQ" if parts.scheme.startswith("amqp") else "Redis"
    return f"{kind} at {parts.scheme}://{_masked_netloc(url)}{parts.path}"


def banner(role: str, settings: Settings, *, bot_username: str | None = None, metrics_port: int | None = None,
           api_url: str | None = None, broker: bool = True) -> None:
    """One record: a line per fact on a terminal, one JSON object otherwise."""
    extra: dict[str, object] = {"database": describe_database(settings.effective_database_url())}
    if broker:
        extra["broker"] = describe_broker(settings)
    extra["data_dir"] = str(settings.data_dir.resolve())
    if metrics_port is not None:
        extra["metrics"] = f"port {metrics_port} (/healthz, /metrics)"
    if api_url:
        extra["api"] = api_url
    who = f" as @{bot_username}" if bot_username else ""
    banner_log.info("hitbot %s started%s\n%s", role, who,
                    "\n".join(f"  {k.replace('_', ' '):<9} {v}" for k, v in extra.items()),
                    extra={"role": role, "bot": bot_username or "", **extra})


# --- why a connection failed, in a few words -------------------------------------------------
def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def reason(exc: BaseException) -> str:
    texts = []
    for e in _chain(exc):
        if isinstance(e, ConnectionRefusedError):
            return "connection refused"
        if isinstance(e, socket.gaierror):
            return "host name not found"
        if isinstance(e, (TimeoutError, socket.timeout)):
            return "timed out"
        texts.append(str(e).lower())
    text = " ".join(texts)
    for needle, short in (("refused", "connection refused"), ("timed out", "timed out"), ("timeout", "timed out"),
                          ("name or service not known", "host name not found"),
                          ("nodename nor servname", "host name not found"),
                          ("no such file", "no such socket or file"), ("all connection attempts failed",
                                                                       "connection refused")):
        if needle in text:
            return short
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first[:160]


def _delays() -> Iterator[int]:
    yield from BACKOFF_S
    while True:
        yield BACKOFF_S[-1]


def retry(what: str, attempt: Callable[[], object], stop: threading.Event, *,
          fatal: Callable[[BaseException], str | None] = lambda exc: None):
    """Call attempt() until it returns; each failure is one warning line and a longer wait.
    `fatal(exc)` returns a message for failures retrying cannot fix. None if stopped meanwhile."""
    delays = _delays()
    while not stop.is_set():
        try:
            return attempt()
        except Exception as exc:
            message = fatal(exc)
            if message:
                raise Fatal(message) from None
            delay = next(delays)
            log.warning("%s (%s); retrying in %d s", what, reason(exc), delay)
            if stop.wait(delay):
                return None
    return None


# --- Telegram --------------------------------------------------------------------------------
def _token(settings: Settings) -> str:
    return settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""


async def get_me(settings: Settings, *, timeout_s: float = TELEGRAM_TIMEOUT_S):
    """getMe with a fresh client (its own event loop may be short-lived)."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    root = settings.telegram_api_url.rstrip("/")
    request = HTTPXRequest(connect_timeout=timeout_s, read_timeout=timeout_s, write_timeout=timeout_s)
    bot = Bot(_token(settings), base_url=f"{root}/bot", base_file_url=f"{root}/file/bot", request=request)
    try:
        return await bot.get_me()
    finally:
        await request.shutdown()


def refused_token(settings: Settings, exc: BaseException) -> str | None:
    from telegram.error import InvalidToken

    if isinstance(exc, InvalidToken):
        return (f"Telegram at {settings.telegram_api_url} refuses the bot token (401 Unauthorized): "
                "copy TELEGRAM_BOT_TOKEN again from @BotFather (/mybots → API Token)")
    return None


def wait_for_telegram(settings: Settings, stop: threading.Event):
    """The bot's own user (getMe), once Telegram answers; None if stopped while waiting."""
    return retry(f"Telegram is unreachable at {settings.telegram_api_url}",
                 lambda: asyncio.run(get_me(settings)), stop, fatal=lambda exc: refused_token(settings, exc))


# --- the broker ------------------------------------------------------------------------------
def ping_broker(url: str) -> None:
    """Raise unless the broker at url answers (Redis: PING; RabbitMQ: a TCP connection)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("amqp"):
        with socket.create_connection((parts.hostname or "localhost", parts.port or 5672), timeout=5):
            return
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.ping()
    finally:
        client.close()


def wait_for_broker(settings: Settings, stop: threading.Event) -> bool:
    """True once REDIS_URL's broker answers (the embedded one is started, not waited for);
    False if stopped while waiting."""
    if not settings.redis_url:
        return True
    where = describe_broker(settings).split(" at ", 1)[-1]
    return retry(f"The broker is unreachable at {where}", lambda: ping_broker(settings.redis_url) or True,
                 stop) is True


# --- the database ----------------------------------------------------------------------------
def database_problem(settings: Settings) -> tuple[int, str | None]:
    """(schema version, None) when the database is usable, else (version or -1, what is wrong)."""
    from core.db import db
    from core.migrations import LATEST, current_version

    where = describe_database(settings.effective_database_url())
    try:
        db.connect(reuse_if_open=True)
        version = current_version()
    except Exception as exc:
        return -1, (f"The database ({where}) refuses the connection ({reason(exc)}): "
                    "check DATABASE_URL and that the server is running")
    finally:
        if not db.is_closed():
            db.close()
    if version > LATEST:
        return version, (f"The database ({where}) has schema version {version}, newer than this hitbot knows "
                         f"(up to {LATEST}): upgrade hitbot here, or point DATABASE_URL at the right database")
    return version, None


def check_database(settings: Settings, *, migrated: bool = True) -> int:
    """Stop (Fatal) on a database we cannot use; warn when `hitbot migrate` has not run yet."""
    from core.migrations import LATEST

    version, problem = database_problem(settings)
    if problem:
        raise Fatal(problem)
    if migrated and version < LATEST:
        log.warning("the database schema is at version %d, the latest is %d: run `hitbot migrate`", version, LATEST)
    return version
