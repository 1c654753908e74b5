"""The signed callback on which a payment service confirms (or refuses) a payout it accepted
as pending. The body is JSON: {"payout_id", "idempotency_key", "status": "paid"|"failed",
"reference"?, "reason"?}, signed like the request (jobs.payouts.signing)."""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.config import Settings
from core.db import db
from core.errors import ConfigError
from core.models import Payout
from core.payments.accounts import fail_payout, settle_payout
from jobs.payouts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

log = logging.getLogger(__name__)

PATH = "/payouts/callback"
MAX_BODY = 16_384


def handle_callback(body: bytes, headers: Mapping[str, str], *, secret: str, now: datetime,
                    now_s: float | None = None) -> tuple[int, dict]:
    """Verify, then settle or fail the payout. Returns (HTTP status, JSON answer). Repeating a
    callback is harmless: the second one finds the payout already settled and changes nothing."""
    if len(body) > MAX_BODY:
        return 413, {"error": "body too large"}
    if not verify(secret, body, headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER), now_s=now_s):
        return 401, {"error": "bad or missing signature"}
    try:
        data = json.loads(body)
        payout_id, key, status = int(data["payout_id"]), str(data["idempotency_key"]), data["status"]
    except (ValueError, KeyError, TypeError):
        return 400, {"error": "expected JSON with payout_id, idempotency_key and status"}
    if status not in ("paid", "failed"):
        return 400, {"error": "status must be paid or failed"}
    payout = Payout.get_or_none(Payout.id == payout_id)
    if payout is None or payout.key != key:
        return 404, {"error": "no such payout"}
    if status == "paid":
        changed = settle_payout(payout_id=payout_id, now=now, provider_ref=str(data.get("reference") or key))
    else:
        reason = str(data.get("reason") or "the payment service refused it").strip()[:300]
        changed = fail_payout(payout_id=payout_id, now=now, reason=reason)
    if changed:
        return 200, {"ok": True, "payout_id": payout_id, "status": status}
    final = Payout.get_by_id(payout_id).status
    if final == status:
        return 200, {"ok": True, "payout_id": payout_id, "status": status, "repeated": True}
    return 409, {"error": f"payout is already {final}", "status": final}


def serve_callbacks(settings: Settings, *, host: str = "0.0.0.0",
                    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> ThreadingHTTPServer:
    """Listen on HITBOT_PAYOUT_CALLBACK_PORT in a background thread; returns the server (call
    .shutdown() to stop). Without a port set, the system picks a free one (tests)."""
    if settings.payout_webhook_secret is None:
        raise ConfigError("HITBOT_PAYOUT_CALLBACK_PORT needs HITBOT_PAYOUT_WEBHOOK_SECRET to check callbacks.")
    secret = settings.payout_webhook_secret.get_secret_value()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != PATH:
                code, answer = 404, {"error": "not found"}
            elif length > MAX_BODY:
                code, answer = 413, {"error": "body too large"}
            else:
                body = self.rfile.read(length)
                try:
                    code, answer = handle_callback(body, self.headers, secret=secret, now=clock())
                except Exception:
                    log.exception("payout callback failed")
                    code, answer = 500, {"error": "try again"}
                finally:
                    db.close()  # one thread per request: hand the connection back
            payload = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, fmt: str, *args: object) -> None:
            log.debug("payout callback: " + fmt, *args)

    class Server(ThreadingHTTPServer):
        allow_reuse_port = True  # every process of `hitbot worker --processes N` listens; the kernel spreads
        daemon_threads = True

    server = Server((host, settings.payout_callback_port or 0), Handler)
    threading.Thread(target=server.serve_forever, name="payout-callbacks", daemon=True).start()
    return server
