"""Prometheus metrics and a /healthz endpoint, one small HTTP server per process (optional port)."""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dramatiq.middleware import Middleware
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

log = logging.getLogger(__name__)

UPDATES = Counter("hitbot_updates_total", "Telegram updates handled by the bot")
HANDLER_SECONDS = Histogram("hitbot_handler_seconds", "Time to handle one Telegram update")
NOTIFICATIONS = Counter("hitbot_notifications_total", "Notification send attempts by outcome", ["outcome"])
OUTBOX_BACKLOG = Gauge("hitbot_outbox_backlog", "Outbox events not yet delivered")
QUEUE_DEPTH = Gauge("hitbot_queue_depth", "Messages waiting in a Dramatiq queue", ["queue"])
PAYOUTS = Gauge("hitbot_payouts", "Payouts by state", ["state"])
MESSAGES = Counter("hitbot_job_messages_total", "Dramatiq messages processed by actor and outcome",
                   ["actor", "outcome"])
MESSAGE_SECONDS = Histogram("hitbot_job_seconds", "Time one Dramatiq message took", ["actor"])
SWEEPS = Counter("hitbot_sweep_items_total", "Items settled by clock sweeps", ["sweep"])
IS_LEADER = Gauge("hitbot_clock_leader", "1 while this clock process holds the leader lock")


class JobMetrics(Middleware):
    """Counts and times every message a worker processes."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def before_process_message(self, broker, message) -> None:
        self._started[message.message_id] = time.monotonic()

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        started = self._started.pop(message.message_id, None)
        if started is not None:
            MESSAGE_SECONDS.labels(message.actor_name).observe(time.monotonic() - started)
        MESSAGES.labels(message.actor_name, "failed" if exception else "ok").inc()

    def after_skip_message(self, broker, message) -> None:
        self._started.pop(message.message_id, None)
        MESSAGES.labels(message.actor_name, "skipped").inc()


class _Handler(BaseHTTPRequestHandler):
    health: Callable[[], dict] = staticmethod(lambda: {"ok": True})

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.split("?")[0] == "/healthz":
            try:
                status = self.health()
            except Exception as exc:  # a health check must answer, not crash
                status = {"ok": False, "error": type(exc).__name__}
            body, code, ctype = json.dumps(status).encode(), 200 if status.get("ok") else 503, "application/json"
        elif self.path.split("?")[0] == "/metrics":
            body, code, ctype = generate_latest(), 200, CONTENT_TYPE_LATEST
        else:
            body, code, ctype = b"not found\n", 404, "text/plain"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # scrapes are not news
        pass


def serve(port: int, health: Callable[[], dict], host: str = "0.0.0.0") -> ThreadingHTTPServer:
    """Serve /healthz and /metrics on port in a daemon thread; returns the server (shutdown() stops it)."""
    handler = type("Handler", (_Handler,), {"health": staticmethod(health)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    log.info("health and metrics on port %s", server.server_address[1])
    return server
