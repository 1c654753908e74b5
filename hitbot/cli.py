"""`hitbot ...`: one subcommand per process role."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading

from core.config import get_settings
from core.errors import ConfigError
from hitbot import startup
from hitbot.logs import JsonFormatter  # noqa: F401  (re-exported: where tests and tools look for it)


def _setup(*, database: bool = True):
    from core.db import init_db
    from hitbot import logs

    settings = get_settings()
    logs.configure(level=settings.log_level, log_format=settings.log_format)
    if database:
        init_db(settings.effective_database_url(), pool_size=settings.database_pool_size)
    return settings


def _database(settings, *, migrated: bool = True) -> None:
    """Open the database; stop with one line (exit 78) if it refuses us or is newer than this code."""
    from core.db import init_db

    init_db(settings.effective_database_url(), pool_size=settings.database_pool_size)
    startup.check_database(settings, migrated=migrated)


def _stop_on_signals() -> threading.Event:
    """SIGTERM/SIGINT set the returned event; each role then finishes or requeues its work."""
    stop = threading.Event()

    def handle(signum, frame) -> None:
        logging.getLogger("hitbot").info("stopping", extra={"signal": signal.Signals(signum).name})
        # Not stop.set() here: the handler runs on the main thread between two bytecodes, possibly
        # inside stop.wait() while that holds the event's lock, and set() would wait for it forever.
        threading.Thread(target=stop.set, name="stopping", daemon=True).start()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


SIGNAL_POLL_S = 0.5


def _until_stopped(stop: threading.Event) -> None:
    """Wait for a stop signal on the main thread. Not one stop.wait(): a signal the kernel delivers to
    another thread (the broker's, a sweep's) only flags it, and Python runs its handler when the main
    thread next runs bytecode, which a wait without a timeout never does (a clock on RabbitMQ outlived
    SIGTERM in CI so)."""
    while not stop.wait(SIGNAL_POLL_S):
        pass


def _metrics(args: argparse.Namespace, running) -> None:
    if args.metrics_port is not None:
        from jobs.metrics import serve

        serve(args.metrics_port, running.health)


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.migrations import LATEST, migrate

    settings = _setup(database=False)
    _database(settings, migrated=False)
    applied = migrate()
    print(f"schema at version {LATEST}" + (f" (applied {applied})" if applied else " (nothing to do)"))
    return 0


def _require_token(settings) -> None:
    if not (settings.telegram_bot_token and settings.telegram_bot_token.get_secret_value()):
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, or try `hitbot sandbox`.")


def cmd_bot(args: argparse.Namespace) -> int:
    import asyncio

    from hitbot.run import Running, prepare, serve_bot

    settings = _setup(database=False)  # prepare() opens it, once the token is known to be there
    _require_token(settings)
    secret = args.secret_token or (settings.webhook_secret.get_secret_value() if settings.webhook_secret else None)
    if args.webhook and not secret:
        raise ConfigError("--webhook needs a secret token: pass --secret-token or set HITBOT_WEBHOOK_SECRET "
                          "(1-256 characters A-Z a-z 0-9 _ -), so only Telegram can post updates.")
    _database(settings)
    stop = _stop_on_signals()
    me = startup.wait_for_telegram(settings, stop)
    if me is None:
        return 0
    running = Running(settings)
    running.jobs = prepare(settings)
    _metrics(args, running)
    startup.banner("bot", settings, bot_username=me.username, metrics_port=args.metrics_port)
    asyncio.run(serve_bot(settings, stop, webhook_url=args.webhook, listen=args.listen, port=args.port,
                          secret_token=secret))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    if args.processes > 1:
        return _fork_workers(args)
    from hitbot.run import Running, prepare, start_worker, stop_worker

    settings = _setup(database=False)
    _database(settings)
    stop = _stop_on_signals()
    if not startup.wait_for_broker(settings, stop):
        return 0
    running = Running(settings)
    running.jobs = prepare(settings, relay=False)
    running.worker = start_worker(running.jobs, threads=args.threads, queues=args.queues or None)
    _metrics(args, running)
    startup.banner("worker", settings, metrics_port=args.metrics_port)
    callbacks = None
    if settings.payout_callback_port:  # signed confirmations of pending payouts (README "Payouts")
        from jobs.payouts.callback import serve_callbacks

        callbacks = serve_callbacks(settings)
    _until_stopped(stop)
    if callbacks is not None:
        callbacks.shutdown()
    stop_worker(running.worker)
    running.jobs.broker.close()
    return 0


def _fork_workers(args: argparse.Namespace) -> int:
    """N worker processes, each `hitbot worker --processes 1`; signals are passed on."""
    children = []
    for i in range(args.processes):
        cmd = [sys.executable, "-m", "hitbot.cli", "worker", "--processes", "1", "--threads", str(args.threads)]
        for q in args.queues or []:
            cmd += ["--queue", q]
        if args.metrics_port is not None:
            cmd += ["--metrics-port", str(args.metrics_port + i)]
        children.append(subprocess.Popen(cmd))
    stop = _stop_on_signals()
    while not stop.is_set() and all(c.poll() is None for c in children):
        stop.wait(0.5)
    for c in children:
        if c.poll() is None:
            c.send_signal(signal.SIGTERM)
    return max((c.wait() for c in children), default=0)


def cmd_clock(args: argparse.Namespace) -> int:
    from hitbot.run import Running, prepare, start_clock

    settings = _setup(database=False)
    _database(settings)
    stop = _stop_on_signals()
    if not startup.wait_for_broker(settings, stop):
        return 0
    running = Running(settings)
    running.jobs = prepare(settings)
    running.clock = start_clock(settings, running.jobs)
    _metrics(args, running)
    startup.banner("clock", settings, metrics_port=args.metrics_port)
    _until_stopped(stop)
    _close_within(running.clock.stop, 25.0, "the clock's sweeps did not stop")  # releases the leader lock
    _close_within(running.jobs.broker.close, 10.0)  # now, not in the garbage collector at exit
    # Bounded to the end: a sweep thread still blocked (on a broker or the database) would otherwise
    # hold the interpreter's exit, which joins every thread; a cut sweep rolls back and is idempotent,
    # and a leader lock not released ends with the process (PostgreSQL session) or its TTL (Redis).
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)


def _close_within(close, seconds: float, what: str = "the broker connection did not close") -> None:
    """Runs `close` for at most `seconds` (pika closes politely, which a lost connection can keep
    waiting; a sweep can hang on its connection): the process stops regardless."""
    closer = threading.Thread(target=close, name="closing", daemon=True)
    closer.start()
    closer.join(seconds)
    if closer.is_alive():
        logging.getLogger("hitbot").warning("%s within %.0f s; stopping anyway", what, seconds)


def cmd_run(args: argparse.Namespace) -> int:
    from core.migrations import migrate
    from hitbot.run import run_all

    settings = _setup(database=False)
    _require_token(settings)
    _database(settings, migrated=False)
    migrate()  # the one-process deployment has no release step
    stop = _stop_on_signals()
    me = startup.wait_for_telegram(settings, stop)
    if me is None or not startup.wait_for_broker(settings, stop):
        return 0
    api = _start_api(args.api_host, args.api_port) if not args.no_api else None
    tasks = _start_tasks(args.api_host, args.tasks_port) if settings.tasks_url and not args.no_api else None
    startup.banner("run", settings, bot_username=me.username, metrics_port=args.metrics_port,
                   api_url=api.url if api is not None else None)
    try:
        run_all(settings, stop, threads=args.threads, metrics_port=args.metrics_port)
    finally:
        for server in (api, tasks):
            if server is not None:
                server.stop()
    return 0


def _start_tasks(host: str, port: int):
    """Web tasks' pages beside the other roles, for HITBOT_TASKS_URL; None if the port is taken."""
    from api.taskpages import TaskServer

    try:
        return TaskServer(host, port).start()
    except OSError as exc:
        logging.getLogger("hitbot").warning("web task pages are not served: %s:%s is taken (%s); pick another port "
                                            "with --tasks-port", host, port, exc.strerror or exc)
        return None


def _start_api(host: str, port: int):
    """The MTurk API from a thread of its own beside the other roles (`hitbot run`); None if its port is taken."""
    from api.server import ApiServer
    from core.secretkey import server_key

    server_key()  # no usable secret key: stop now with one line, not at the first request
    try:
        return ApiServer(host, port).start()
    except OSError as exc:  # the chat still works without it: say so and go on
        logging.getLogger("hitbot").warning("the MTurk API is not served: %s:%s is taken (%s); pick another port "
                                            "with --api-port, or --no-api", host, port, exc.strerror or exc)
        return None


def cmd_tasks(args: argparse.Namespace) -> int:
    """Web tasks' pages (HTMLQuestion, ExternalQuestion) on the origin HITBOT_TASKS_URL names; stateless."""
    import asyncio

    from api.server import serve
    from api.taskpages import create_app
    from core.secretkey import server_key
    from hitbot.run import Running, prepare

    settings = _setup(database=False)
    if not settings.tasks_url:
        raise ConfigError("HITBOT_TASKS_URL must name the public origin of the task pages, e.g. "
                          "https://tasks.hitbot.example.org (not the bot's or the API's)")
    _database(settings)
    server_key()  # the page tokens derive from it, as in the bot that hands them out
    stop = _stop_on_signals()
    if not startup.wait_for_broker(settings, stop):
        return 0
    running = Running(settings)
    running.jobs = prepare(settings)  # a submit's events reach the jobs worker right after each commit
    _metrics(args, running)
    startup.banner("tasks", settings, metrics_port=args.metrics_port)
    try:
        asyncio.run(serve(args.host, args.port, stop, app_factory=create_app, name="task pages"))
    except OSError as exc:
        raise ConfigError(f"cannot serve the task pages on {args.host}:{args.port} ({exc.strerror or exc})") from None
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    """The MTurk-compatible requester API (stateless: run as many as you like behind a load balancer)."""
    import asyncio

    from api.server import serve
    from core.secretkey import server_key
    from hitbot.run import Running, prepare

    settings = _setup(database=False)
    _database(settings)
    server_key()  # every API process and bot replica must derive the same secrets
    stop = _stop_on_signals()
    if not startup.wait_for_broker(settings, stop):
        return 0
    running = Running(settings)
    running.jobs = prepare(settings)  # what core announces reaches the jobs worker right after each commit
    _metrics(args, running)
    startup.banner("api", settings, metrics_port=args.metrics_port, api_url=f"http://{args.host}:{args.port}/mturk")
    try:
        asyncio.run(serve(args.host, args.port, stop))
    except OSError as exc:
        raise ConfigError(f"cannot serve the MTurk API on {args.host}:{args.port} ({exc.strerror or exc})") from None
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from hitbot import doctor, logs

    logs.configure(level="WARNING", log_format="human")  # the checks' own lines are the output
    return doctor.run(webhook_url=args.webhook)


def cmd_report(args: argparse.Namespace) -> int:
    """A year's payouts per worker as CSV, for the operator's tax reporting."""
    from core.payments.tax import write_payouts_csv

    settings = _setup(database=False)
    _database(settings)
    if args.output == "-":
        write_payouts_csv(year=args.year, out=sys.stdout)
    else:
        with open(args.output, "w", newline="", encoding="utf-8") as out:
            write_payouts_csv(year=args.year, out=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hitbot", description="A microtask marketplace that lives in Telegram.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.set_defaults(func=cmd_migrate)

    metrics = argparse.ArgumentParser(add_help=False)
    metrics.add_argument("--metrics-port", type=int, default=None,
                         help="serve /healthz and Prometheus /metrics on this port")

    p = sub.add_parser("bot", parents=[metrics], help="answer Telegram updates (long polling, or a webhook)")
    p.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts updates to (default: polling)")
    p.add_argument("--listen", default="0.0.0.0", help="webhook server address (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=8443, help="webhook server port (default 8443)")
    p.add_argument("--secret-token", help="webhook secret token (or HITBOT_WEBHOOK_SECRET)")
    p.set_defaults(func=cmd_bot)

    p = sub.add_parser("worker", parents=[metrics], help="run background jobs (notifications, payouts, batches)")
    p.add_argument("--processes", type=_bounded(1, 64), default=1, help="worker processes (default 1)")
    p.add_argument("--threads", type=_bounded(1, 256), default=8, help="threads per process (default 8)")
    p.add_argument("--queue", dest="queues", action="append", help="only these queues (repeatable)")
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("clock", parents=[metrics], help="run the scheduled sweeps (one leader at a time)")
    p.set_defaults(func=cmd_clock)

    p = sub.add_parser("run", parents=[metrics], help="bot, worker, clock and the MTurk API in one process")
    p.add_argument("--threads", type=_bounded(1, 256), default=4, help="worker threads (default 4)")
    p.add_argument("--api-host", default="0.0.0.0", help="MTurk API address (default 0.0.0.0)")
    p.add_argument("--api-port", type=_bounded(0, 65_535), default=8080, help="MTurk API port (default 8080; its path is /mturk)")
    p.add_argument("--no-api", action="store_true", help="don't serve the MTurk API (nor the task pages)")
    p.add_argument("--tasks-port", type=_bounded(0, 65_535), default=8081,
                   help="web task pages' port, served when HITBOT_TASKS_URL is set (default 8081)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("api", parents=[metrics], help="serve the MTurk-compatible requester API (boto3's mturk client)")
    p.add_argument("--host", default="0.0.0.0", help="address to serve on (default 0.0.0.0)")
    p.add_argument("--port", type=_bounded(0, 65_535), default=8080, help="port to serve on (default 8080; the path is /mturk)")
    p.set_defaults(func=cmd_api)

    p = sub.add_parser("tasks", parents=[metrics], help="serve web tasks' pages on their own origin (HITBOT_TASKS_URL)")
    p.add_argument("--host", default="0.0.0.0", help="address to serve on (default 0.0.0.0)")
    p.add_argument("--port", type=_bounded(0, 65_535), default=8081, help="port to serve on (default 8081)")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("doctor", help="check configuration, database, broker, Telegram, payments, payouts, disk")
    p.add_argument("--webhook", metavar="URL", help="the webhook URL `hitbot bot` is run with (default: polling)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("report", help="reports for the operator: `report payouts --year 2026` (CSV)")
    p.add_argument("what", choices=["payouts"], help="payouts: each worker's payouts of a year, tax details masked")
    p.add_argument("--year", type=_bounded(2000, 9999), required=True, help="calendar year (UTC)")
    p.add_argument("--output", default="-", help="CSV file to write (default: standard output)")
    p.set_defaults(func=cmd_report)

    from hitbot.sandbox_cmd import add_parser as add_sandbox_parser

    add_sandbox_parser(sub)
    return parser


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"hitbot: {exc}", file=sys.stderr)
        return 2
    except startup.Fatal as exc:
        print(f"hitbot: {exc}", file=sys.stderr)
        return exc.exit_status


if __name__ == "__main__":
    sys.exit(main())
