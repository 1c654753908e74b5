"""Issue 19: the provider contract carries the method and the destination. The webhook gets
the full details (decrypted in the payout worker right before the call); the sandbox's log,
reprs and logs see only the masked form."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import httpx
import pytest

from core.config import get_settings
from core.models import Payout, PayoutStatus as P
from core.payments import accounts, destinations
from jobs.payouts.actor import run_payout
from jobs.payouts.providers import (
    Outcome,
    PayoutRequest,
    SandboxProvider,
    TransientPayoutError,
    WebhookProvider,
    read_sandbox_log,
)
from tests.conftest import NOW
from tests.invariants import check_invariants
from tests.jobs.payout_helpers import ScriptedProvider, withdraw, worker_with

IBAN = "DE89370400440532013000"
LATER = NOW + timedelta(days=2)  # after the hold


@pytest.fixture
def methods(monkeypatch):
    monkeypatch.setenv("HITBOT_PAYOUT_METHODS", "paypal,sepa,ach,giftcard")
    monkeypatch.setenv("HITBOT_SECRET_KEY", "payout-tests-secret-key-0123456789abcdef")  # PostgreSQL needs one
    monkeypatch.setenv("HITBOT_PAYOUT_FEE_CENTS_SEPA", "25")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def sepa_payout(cents: int) -> Payout:
    w = worker_with(cents)
    destinations.add_destination(user_id=w.id, method="sepa", parts=[IBAN], now=NOW)
    return withdraw(w.id, now=LATER)


def test_the_provider_gets_method_and_decrypted_destination(database, methods, caplog):
    caplog.set_level(logging.DEBUG)
    payout = sepa_payout(10_00)
    provider = ScriptedProvider(Outcome("paid", "tx-1"))
    assert run_payout(payout.id, provider=provider, now=LATER, max_attempts=3) == "paid"
    sent = provider.calls[0]
    assert (sent.amount_cents, sent.method, sent.masked) == (9_75, "sepa", "DE89 **** **** **** 3000")
    assert sent.destination == {"iban": IBAN}
    assert IBAN not in repr(sent) and IBAN not in caplog.text
    assert Payout.get_by_id(payout.id).status == P.PAID
    check_invariants()


def test_sandbox_records_only_the_masked_destination(database, methods, tmp_path):
    payout = sepa_payout(10_00)
    log = tmp_path / "log.jsonl"
    assert run_payout(payout.id, provider=SandboxProvider(log), now=LATER, max_attempts=3) == "paid"
    [line] = read_sandbox_log(log)
    assert (line["method"], line["destination_masked"], line["amount_cents"]) == ("sepa", "DE89 **** **** **** 3000",
                                                                                  9_75)
    assert "destination" not in line and IBAN not in log.read_text()


def test_webhook_body_names_method_and_destination():
    seen: list[httpx.Request] = []

    def record(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"status": "paid", "reference": "tx-9"})

    provider = WebhookProvider("https://pay.example/payouts", "s3cret", transport=httpx.MockTransport(record))
    request = PayoutRequest(payout_id=5, key="payout:k5", worker_id=42, amount_cents=975, currency="EUR",
                            method="sepa", masked="DE89 **** **** **** 3000", destination={"iban": IBAN})
    provider.send(request)
    assert json.loads(seen[0].content) == {
        "payout_id": 5, "idempotency_key": "payout:k5", "worker_id": 42, "amount_cents": 975, "currency": "EUR",
        "method": "sepa", "destination_masked": "DE89 **** **** **** 3000", "destination": {"iban": IBAN}}


def test_a_destination_that_does_not_decrypt_is_retried_then_the_money_goes_back(database, methods, monkeypatch):
    payout = sepa_payout(10_00)
    monkeypatch.setenv("HITBOT_SECRET_KEY", "another-server-key-of-at-least-32-characters")
    get_settings.cache_clear()
    provider = ScriptedProvider()
    with pytest.raises(TransientPayoutError, match="could not be read"):
        run_payout(payout.id, provider=provider, now=LATER, max_attempts=2)
    assert run_payout(payout.id, provider=provider, now=LATER, max_attempts=2) == "failed"
    assert provider.calls == []  # nothing was sent anywhere
    failed = Payout.get_by_id(payout.id)
    assert failed.status == P.FAILED
    assert accounts.balances(user_id=failed.worker_id).available_cents == 10_00  # the fee too
    check_invariants()
