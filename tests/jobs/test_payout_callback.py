"""The signed callback a payment service uses to confirm a pending payout."""
from __future__ import annotations

import json

import httpx
import pytest

from core.config import Settings
from core.models import Payout, PayoutStatus as P
from core.payments import accounts
from jobs.payouts.actor import run_payout
from jobs.payouts.callback import PATH, handle_callback, serve_callbacks
from jobs.payouts.providers import Outcome
from jobs.payouts.signing import sign
from tests.conftest import NOW
from tests.dbstate import snapshot
from tests.invariants import check_invariants
from tests.jobs.payout_helpers import ScriptedProvider, events, withdraw, worker_with

SECRET = "callback-secret"


def pending_payout(cents: int = 4_00):
    w = worker_with(cents)
    payout = withdraw(w.id)
    assert run_payout(payout.id, provider=ScriptedProvider(Outcome("pending")), now=NOW, max_attempts=3) == "pending"
    return w, Payout.get_by_id(payout.id)


def body_for(payout, status="paid", **extra) -> bytes:
    return json.dumps({"payout_id": payout.id, "idempotency_key": payout.key, "status": status, **extra}).encode()


def call(body: bytes, *, secret: str = SECRET, headers: dict | None = None):
    return handle_callback(body, headers if headers is not None else sign(secret, body), secret=SECRET, now=NOW)


def test_confirmed_payout_is_settled_once(database):
    w, payout = pending_payout()
    body = body_for(payout, reference="bank-77")
    assert call(body) == (200, {"ok": True, "payout_id": payout.id, "status": "paid"})
    assert call(body)[0] == 200  # the service repeats itself: nothing more happens
    settled = Payout.get_by_id(payout.id)
    assert settled.status == P.PAID and settled.provider_ref == "bank-77"
    assert len(events("payout.paid")) == 1
    assert accounts.balances(user_id=w.id).paid_out_cents == 4_00
    check_invariants()


def test_refused_payout_gives_the_money_back(database):
    w, payout = pending_payout()
    assert call(body_for(payout, "failed", reason="account closed"))[0] == 200
    assert Payout.get_by_id(payout.id).status == P.FAILED
    assert accounts.balances(user_id=w.id).available_cents == 4_00
    assert events("payout.failed")[0]["reason"] == "account closed"
    # A late "paid" for a payout already failed is a conflict the operator must look at.
    code, answer = call(body_for(payout, "paid"))
    assert code == 409 and answer["status"] == P.FAILED
    check_invariants()


@pytest.mark.parametrize("tamper", ["wrong secret", "no headers", "changed body", "wrong key", "unknown id",
                                    "bad status", "not json", "too big"])
def test_bad_callbacks_change_nothing(database, tamper):
    _, payout = pending_payout()
    body = body_for(payout)
    expected = {"wrong secret": 401, "no headers": 401, "changed body": 401, "wrong key": 404,
                "unknown id": 404, "bad status": 400, "not json": 400, "too big": 413}[tamper]
    before = snapshot()
    if tamper == "wrong secret":
        code, _ = call(body, secret="guess")
    elif tamper == "no headers":
        code, _ = call(body, headers={})
    elif tamper == "changed body":
        code, _ = call(body_for(payout, "failed"), headers=sign(SECRET, body))
    elif tamper == "wrong key":
        code, _ = call(json.dumps({"payout_id": payout.id, "idempotency_key": "payout:other",
                                   "status": "paid"}).encode())
    elif tamper == "unknown id":
        code, _ = call(json.dumps({"payout_id": payout.id + 99, "idempotency_key": payout.key,
                                   "status": "paid"}).encode())
    elif tamper == "bad status":
        code, _ = call(body_for(payout, "maybe"))
    elif tamper == "not json":
        code, _ = call(b"payout=1")
    else:
        code, _ = call(b"{" + b" " * 20_000 + b"}")
    assert code == expected
    assert snapshot() == before


def test_callback_server_over_http(database, tmp_path):
    w, payout = pending_payout()
    settings = Settings(HITBOT_DATA_DIR=str(tmp_path), HITBOT_PAYOUT_WEBHOOK_SECRET=SECRET)
    server = serve_callbacks(settings, host="127.0.0.1", clock=lambda: NOW)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
        body = body_for(payout, reference="r-1")
        bad = httpx.post(url, content=body, headers=sign("nope", body))
        assert bad.status_code == 401 and Payout.get_by_id(payout.id).status == P.PROCESSING
        good = httpx.post(url, content=body, headers={**sign(SECRET, body), "Content-Type": "application/json"})
        assert good.status_code == 200 and good.json()["status"] == "paid"
        assert httpx.post(url.replace(PATH, "/other"), content=body).status_code == 404
    finally:
        server.shutdown()
    assert Payout.get_by_id(payout.id).status == P.PAID
    check_invariants()


@pytest.mark.slow
def test_hitbot_worker_serves_the_callback_when_the_port_is_set(database, tmp_path):
    from tests.jobs.payout_procs import RedisServer, WorkerProcess, free_port, worker_env

    _, payout = pending_payout()
    from core.db import db
    db.close()
    port = free_port()
    server = RedisServer(tmp_path)
    worker = WorkerProcess(worker_env(database_url=database, redis_url=server.url, data_dir=tmp_path,
                                      HITBOT_PAYOUT_CALLBACK_PORT=str(port), HITBOT_PAYOUT_WEBHOOK_SECRET=SECRET),
                           log=tmp_path / "worker.log")
    try:
        body = body_for(payout, reference="late-ok")
        url = f"http://127.0.0.1:{port}{PATH}"
        for _ in range(200):  # the worker process is starting
            try:
                answer = httpx.post(url, content=body, headers=sign(SECRET, body), timeout=5)
                break
            except httpx.TransportError:
                import time
                time.sleep(0.1)
        else:
            pytest.fail("the worker never listened: " + (tmp_path / "worker.log").read_text()[-2000:])
        assert answer.status_code == 200, answer.text
    finally:
        worker.stop()
        server.stop()
    assert Payout.get_by_id(payout.id).status == P.PAID
    check_invariants()
