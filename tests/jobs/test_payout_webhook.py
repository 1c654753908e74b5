"""The webhook provider end to end over HTTP: an operator's payment service that checks the
signature, de-duplicates by idempotency key, fails once, and confirms later on the callback."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from core.config import Settings
from core.models import Payout, PayoutStatus as P
from core.payments import accounts
from jobs.payouts.actor import run_payout
from jobs.payouts.callback import PATH, serve_callbacks
from jobs.payouts.providers import TransientPayoutError, WebhookProvider
from jobs.payouts.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify
from tests.conftest import NOW
from tests.invariants import check_invariants
from tests.jobs.payout_helpers import withdraw, worker_with

SECRET = "operator-shared-secret"


class PaymentService:
    """What an operator runs: pays each idempotency key once, remembers the answer."""

    def __init__(self, mode: str) -> None:
        self.mode = mode  # "flaky-then-paid" or "pending"
        self.paid: dict[str, str] = {}
        self.seen: list[str] = []
        self.bad_signatures = 0
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not verify(SECRET, body, self.headers.get(TIMESTAMP_HEADER), self.headers.get(SIGNATURE_HEADER)):
                    service.bad_signatures += 1
                    return self._answer(401, {"error": "bad signature"})
                key = self.headers[IDEMPOTENCY_HEADER]
                assert json.loads(body)["idempotency_key"] == key
                service.seen.append(key)
                if service.mode == "pending":
                    return self._answer(202, {"status": "pending"})
                if service.seen.count(key) == 1:
                    return self._answer(503, {"error": "try later"})
                service.paid.setdefault(key, f"bank-{len(service.paid) + 1}")
                self._answer(200, {"status": "paid", "reference": service.paid[key]})

            def _answer(self, code: int, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/payouts"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def service(request):
    svc = PaymentService(request.param)
    yield svc
    svc.close()


@pytest.mark.parametrize("service", ["flaky-then-paid"], indirect=True)
def test_a_503_is_retried_with_the_same_key_and_paid_once(database, service):
    w = worker_with(5_00)
    payout = withdraw(w.id)
    provider = WebhookProvider(service.url, SECRET, timeout_s=5)
    with pytest.raises(TransientPayoutError, match="503"):
        run_payout(payout.id, provider=provider, now=NOW, max_attempts=5)
    assert run_payout(payout.id, provider=provider, now=NOW, max_attempts=5) == "paid"
    assert run_payout(payout.id, provider=provider, now=NOW, max_attempts=5) == "skipped"
    assert service.seen == [payout.key, payout.key] and service.bad_signatures == 0
    assert Payout.get_by_id(payout.id).provider_ref == "bank-1"
    assert accounts.balances(user_id=w.id).paid_out_cents == 5_00
    check_invariants()


@pytest.mark.parametrize("service", ["pending"], indirect=True)
def test_pending_then_confirmed_on_the_signed_callback(database, service, tmp_path):
    w = worker_with(5_00)
    payout = withdraw(w.id)
    provider = WebhookProvider(service.url, SECRET, timeout_s=5)
    assert run_payout(payout.id, provider=provider, now=NOW, max_attempts=5) == "pending"
    assert Payout.get_by_id(payout.id).status == P.PROCESSING
    callbacks = serve_callbacks(Settings(HITBOT_DATA_DIR=str(tmp_path), HITBOT_PAYOUT_WEBHOOK_SECRET=SECRET),
                                host="127.0.0.1", clock=lambda: NOW)
    try:
        body = json.dumps({"payout_id": payout.id, "idempotency_key": payout.key, "status": "paid",
                           "reference": "bank-late"}).encode()
        answer = httpx.post(f"http://127.0.0.1:{callbacks.server_address[1]}{PATH}", content=body,
                            headers=sign(SECRET, body))
    finally:
        callbacks.shutdown()
    assert answer.status_code == 200
    paid = Payout.get_by_id(payout.id)
    assert (paid.status, paid.provider_ref) == (P.PAID, "bank-late")
    # The stuck sweep asking again later changes nothing: the payout is settled.
    assert run_payout(payout.id, provider=provider, now=NOW, max_attempts=5) == "skipped"
    check_invariants()


def test_a_wrong_secret_is_refused_by_the_service_and_retried(database):
    svc = PaymentService("flaky-then-paid")
    try:
        w = worker_with(5_00)
        payout = withdraw(w.id)
        with pytest.raises(TransientPayoutError, match="HITBOT_PAYOUT_WEBHOOK_SECRET"):
            run_payout(payout.id, provider=WebhookProvider(svc.url, "wrong", timeout_s=5), now=NOW, max_attempts=5)
        assert svc.bad_signatures == 1 and svc.seen == []
        # Not the worker's fault: the payout waits for the operator to fix the secret.
        assert Payout.get_by_id(payout.id).status == P.PROCESSING
        assert accounts.balances(user_id=w.id).payout_pending_cents == 5_00
    finally:
        svc.close()
