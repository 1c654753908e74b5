"""Payout providers and webhook signatures: what the operator's payment service sees and what
each of its answers does to the payout."""
from __future__ import annotations

import json
import multiprocessing

import httpx
import pytest

from core.config import Settings
from core.errors import ConfigError
from jobs.payouts.providers import (
    PayoutRequest,
    PermanentPayoutError,
    SandboxProvider,
    TransientPayoutError,
    WebhookProvider,
    make_provider,
    read_sandbox_log,
)
from jobs.payouts.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify

SECRET = "s3cret-for-tests"


def request(n: int = 1, amount: int = 250) -> PayoutRequest:
    return PayoutRequest(payout_id=n, key=f"payout:k{n}", worker_id=42, amount_cents=amount, currency="USD")


# --- signing -----------------------------------------------------------------------------------

def test_signature_verifies_and_rejects_tampering_wrong_secret_and_replay():
    body = b'{"payout_id":1}'
    headers = sign(SECRET, body, now_s=1_000_000)
    ts, sig = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert sig.startswith("sha256=")
    assert verify(SECRET, body, ts, sig, now_s=1_000_010)
    assert not verify(SECRET, b'{"payout_id":2}', ts, sig, now_s=1_000_010)  # body changed
    assert not verify("other", body, ts, sig, now_s=1_000_010)  # wrong secret
    assert not verify(SECRET, body, ts, sig, now_s=1_000_000 + 301)  # too old: replay
    assert not verify(SECRET, body, str(1_000_000 + 5), sig, now_s=1_000_010)  # timestamp swapped
    assert not verify(SECRET, body, None, sig) and not verify(SECRET, body, ts, None)
    assert not verify(SECRET, body, "12x", sig)


# --- sandbox -----------------------------------------------------------------------------------

def test_sandbox_pays_once_per_idempotency_key(tmp_path):
    log = tmp_path / "payouts.jsonl"
    provider = SandboxProvider(log)
    first = provider.send(request(1))
    again = provider.send(request(1))
    other = provider.send(request(2))
    assert first.status == "paid" and first.reference.startswith("sbx_")
    assert again.reference == first.reference
    assert other.reference != first.reference
    assert [e["idempotency_key"] for e in read_sandbox_log(log)] == ["payout:k1", "payout:k2"]


def test_sandbox_instances_share_the_log(tmp_path):
    """Two worker processes each have their own provider object; the file decides."""
    log = tmp_path / "payouts.jsonl"
    a, b = SandboxProvider(log), SandboxProvider(log)
    ref = a.send(request(7)).reference
    assert b.send(request(7)).reference == ref
    assert len(read_sandbox_log(log)) == 1


def _pay_many(log: str, keys: list[int]) -> None:
    provider = SandboxProvider(__import__("pathlib").Path(log))
    for n in keys:
        provider.send(request(n))


def test_sandbox_processes_racing_on_the_same_keys_pay_each_once(tmp_path):
    log = tmp_path / "payouts.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_pay_many, args=(str(log), list(range(40)))) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert all(p.exitcode == 0 for p in procs)
    keys = [e["idempotency_key"] for e in read_sandbox_log(log)]
    assert sorted(keys) == sorted(f"payout:k{n}" for n in range(40))


def test_sandbox_drops_a_half_written_line_left_by_a_killed_process(tmp_path):
    log = tmp_path / "payouts.jsonl"
    SandboxProvider(log).send(request(1))
    with open(log, "ab") as f:
        f.write(b'{"payout_id": 2, "idempotency_key": "payout:k2", "amo')  # killed mid-write
    provider = SandboxProvider(log)
    provider.send(request(3))
    provider.send(request(2))
    assert [e["idempotency_key"] for e in read_sandbox_log(log)] == ["payout:k1", "payout:k3", "payout:k2"]


def test_sandbox_writes_to_the_log_at_its_path_after_it_was_replaced(tmp_path):
    """The log stays open between payments; one moved away (rotated) is not written to any more."""
    log = tmp_path / "payouts.jsonl"
    provider = SandboxProvider(log)
    provider.send(request(1))
    log.rename(tmp_path / "payouts.old.jsonl")
    provider.send(request(2))
    assert [e["idempotency_key"] for e in read_sandbox_log(log)] == ["payout:k2"]
    assert [e["idempotency_key"] for e in read_sandbox_log(tmp_path / "payouts.old.jsonl")] == ["payout:k1"]


def test_sandbox_failures_are_transient_and_never_pay_twice(tmp_path):
    log = tmp_path / "payouts.jsonl"
    provider = SandboxProvider(log, failure_rate=0.6)
    failures = 0
    for n in range(30):
        for _attempt in range(100):
            try:
                provider.send(request(n))
                break
            except TransientPayoutError:
                failures += 1
    assert failures > 0
    keys = [e["idempotency_key"] for e in read_sandbox_log(log)]
    assert sorted(keys) == sorted(f"payout:k{n}" for n in range(30))


# --- webhook -----------------------------------------------------------------------------------

def webhook(handler) -> tuple[WebhookProvider, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return handler(req)

    return WebhookProvider("https://pay.example/payouts", SECRET, transport=httpx.MockTransport(record)), seen


def test_webhook_posts_signed_json_with_the_idempotency_key():
    provider, seen = webhook(lambda r: httpx.Response(200, json={"status": "paid", "reference": "tx-9"}))
    outcome = provider.send(request(5, amount=1234))
    assert (outcome.status, outcome.reference) == ("paid", "tx-9")
    sent = seen[0]
    assert sent.method == "POST" and sent.headers[IDEMPOTENCY_HEADER] == "payout:k5"
    assert json.loads(sent.content) == {"payout_id": 5, "idempotency_key": "payout:k5", "worker_id": 42,
                                        "amount_cents": 1234, "currency": "USD"}
    assert verify(SECRET, sent.content, sent.headers[TIMESTAMP_HEADER], sent.headers[SIGNATURE_HEADER])


def test_webhook_retries_keep_the_same_idempotency_key():
    answers = iter([httpx.Response(503), httpx.Response(200, json={"status": "paid", "reference": "r"})])
    provider, seen = webhook(lambda r: next(answers))
    with pytest.raises(TransientPayoutError, match="503"):
        provider.send(request(3))
    assert provider.send(request(3)).status == "paid"
    assert [r.headers[IDEMPOTENCY_HEADER] for r in seen] == ["payout:k3", "payout:k3"]


@pytest.mark.parametrize("response, kind, text", [
    (httpx.Response(500), TransientPayoutError, "HTTP 500"),
    (httpx.Response(429), TransientPayoutError, "HTTP 429"),
    (httpx.Response(408), TransientPayoutError, "HTTP 408"),
    (httpx.Response(401), TransientPayoutError, "check HITBOT_PAYOUT_WEBHOOK_SECRET"),
    (httpx.Response(200, text="<html>"), TransientPayoutError, "unknown answer"),
    (httpx.Response(400, json={"reason": "IBAN not valid"}), PermanentPayoutError, "IBAN not valid"),
    (httpx.Response(422), PermanentPayoutError, "refused it \\(HTTP 422\\)"),
    (httpx.Response(200, json={"status": "failed", "reason": "account closed"}), PermanentPayoutError,
     "account closed"),
])
def test_webhook_answers_map_to_retry_or_refusal(response, kind, text):
    provider, _ = webhook(lambda r: response)
    with pytest.raises(kind, match=text):
        provider.send(request())


def test_webhook_pending_answers_wait_for_the_callback():
    provider, _ = webhook(lambda r: httpx.Response(202))
    assert provider.send(request()).status == "pending"
    provider, _ = webhook(lambda r: httpx.Response(200, json={"status": "pending", "reference": "q1"}))
    assert provider.send(request()).status == "pending"


def test_webhook_network_errors_are_transient():
    def down(req):
        raise httpx.ConnectError("connection refused")

    provider, _ = webhook(down)
    with pytest.raises(TransientPayoutError, match="unreachable"):
        provider.send(request())


# --- configuration -----------------------------------------------------------------------------

def test_make_provider_defaults_to_sandbox_under_the_data_dir(tmp_path):
    provider = make_provider(Settings(HITBOT_DATA_DIR=str(tmp_path)))
    assert provider.name == "sandbox" and provider.log_path.parent == tmp_path


def test_webhook_provider_needs_url_and_secret(tmp_path):
    with pytest.raises(ConfigError, match="HITBOT_PAYOUT_WEBHOOK_URL"):
        make_provider(Settings(HITBOT_DATA_DIR=str(tmp_path), HITBOT_PAYOUT_PROVIDER="webhook"))
    provider = make_provider(Settings(HITBOT_DATA_DIR=str(tmp_path), HITBOT_PAYOUT_PROVIDER="webhook",
                                      HITBOT_PAYOUT_WEBHOOK_URL="https://pay.example/p",
                                      HITBOT_PAYOUT_WEBHOOK_SECRET=SECRET))
    assert provider.name == "webhook"
