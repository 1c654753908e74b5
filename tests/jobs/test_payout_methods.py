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
from tests.settings_env import settings_env

IBAN = "DE89370400440532013000"
LATER = NOW + timedelta(days=2)  # after the hold


@pytest.fixture
def methods(monkeypatch):
    yield from settings_env(monkeypatch, undo=True,
                            HITBOT_PAYOUT_METHODS="paypal,sepa,ach,giftcard",
                            HITBOT_SECRET_KEY="payout-tests-secret-key-0123456789abcdef",  # PostgreSQL needs one
                            HITBOT_PAYOUT_FEE_CENTS_SEPA="25")


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


# --- a provider per method (HITBOT_PAYOUT_PROVIDERS) ---------------------------------------------

def test_each_method_goes_to_its_provider_and_an_unrouted_one_cant_be_chosen(database, methods, monkeypatch,
                                                                             tmp_path):
    from core.errors import ValidationFailed
    from jobs.payouts.providers import RoutedProvider, make_provider

    monkeypatch.setenv("HITBOT_PAYOUT_PROVIDERS", "sepa=webhook, paypal=sandbox")
    monkeypatch.setenv("HITBOT_PAYOUT_WEBHOOK_URL", "https://pay.example/payouts")
    monkeypatch.setenv("HITBOT_PAYOUT_WEBHOOK_SECRET", "s3cret")
    get_settings.cache_clear()
    routed = make_provider(get_settings())
    assert isinstance(routed, RoutedProvider)
    assert (routed.by_method["sepa"].name, routed.by_method["paypal"].name, routed.default.name) == \
        ("webhook", "sandbox", "sandbox")
    w = worker_with(10_00)
    with pytest.raises(ValidationFailed, match="not offered here; methods: paypal, sepa"):
        destinations.add_destination(user_id=w.id, method="giftcard", parts=["amazon"], now=NOW)
    assert destinations.list_destinations(user_id=w.id) == []  # the refusal stored nothing

    sepa_hook, paypal_sbx = ScriptedProvider(Outcome("paid", "tx-s")), ScriptedProvider(Outcome("paid", "tx-p"))
    provider = RoutedProvider({"sepa": sepa_hook, "paypal": paypal_sbx}, ScriptedProvider())
    destinations.add_destination(user_id=w.id, method="sepa", parts=[IBAN], now=NOW)
    assert run_payout(withdraw(w.id, 5_00, now=LATER).id, provider=provider, now=LATER, max_attempts=3) == "paid"
    paypal = destinations.add_destination(user_id=w.id, method="paypal", parts=["wanda@example.com"], now=NOW)
    assert paypal.is_default
    assert run_payout(withdraw(w.id, now=LATER).id, provider=provider, now=LATER, max_attempts=3) == "paid"
    assert [c.method for c in sepa_hook.calls] == ["sepa"] and [c.method for c in paypal_sbx.calls] == ["paypal"]
    check_invariants()


def test_a_payout_whose_method_lost_its_provider_waits_then_goes_back(database, methods):
    from jobs.payouts.providers import RoutedProvider

    payout = sepa_payout(10_00)
    provider = RoutedProvider({"paypal": ScriptedProvider()}, ScriptedProvider())
    with pytest.raises(TransientPayoutError, match="no payout provider is configured for sepa"):
        run_payout(payout.id, provider=provider, now=LATER, max_attempts=2)
    assert run_payout(payout.id, provider=provider, now=LATER, max_attempts=2) == "failed"
    assert accounts.balances(user_id=payout.worker_id).available_cents == 10_00
    check_invariants()


def test_hitbot_payout_providers_is_checked(tmp_path):
    from core.config import load_settings
    from core.errors import ConfigError

    assert load_settings(HITBOT_PAYOUT_PROVIDERS="SEPA = webhook").payout_providers == {"sepa": "webhook"}
    assert load_settings().payout_providers is None
    for bad in ("sepa", "bitcoin=webhook", "sepa=bank"):
        with pytest.raises(ConfigError, match="HITBOT_PAYOUT_PROVIDERS"):
            load_settings(HITBOT_PAYOUT_PROVIDERS=bad)
