"""Payout providers: whoever actually sends a worker's money out of hitbot.

A provider receives one PayoutRequest and either confirms it (`paid`), accepts it for later
confirmation on a signed callback (`pending`), or raises: TransientPayoutError (try again
later, same idempotency key) or PermanentPayoutError (give the money back to the worker).
Every provider must treat a repeated idempotency key as the same payout, never a new one:
that is what makes the payout actor safe to run twice."""
from __future__ import annotations

import fcntl
import json
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Protocol

import httpx

from core.config import Settings
from core.errors import ConfigError
from core.models import Payout
from jobs.payouts.signing import IDEMPOTENCY_HEADER, sign


class TransientPayoutError(Exception):
    """Raised when the payment service may succeed later (outage, timeout, 5xx, 429)."""


class PermanentPayoutError(Exception):
    """Raised when the payment service refused the payout; the message says why, for the worker."""


@dataclass(frozen=True)
class PayoutRequest:
    payout_id: int
    key: str  # the idempotency key: the same for every attempt at one payout
    worker_id: int
    amount_cents: int
    currency: str
    method: str | None = None  # paypal, sepa, ach, giftcard; None: no methods enabled, the provider decides
    masked: str | None = None  # what the worker sees, e.g. "DE89 **** **** **** 3000"
    # The full details, decrypted in the payout worker right before the call; never in repr or logs.
    destination: dict[str, str] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, payout: Payout, currency: str, destination: dict[str, str] | None = None) -> PayoutRequest:
        return cls(payout.id, payout.key, payout.worker_id, payout.amount_cents, currency,
                   payout.method, payout.destination_masked, destination)

    def as_json(self, *, with_destination: bool = True) -> dict[str, object]:
        """The webhook's body. Without `with_destination` (the sandbox's log) only the masked form."""
        body: dict[str, object] = {"payout_id": self.payout_id, "idempotency_key": self.key,
                                   "worker_id": self.worker_id, "amount_cents": self.amount_cents,
                                   "currency": self.currency}
        if self.method is not None:
            body["method"] = self.method
            body["destination_masked"] = self.masked
            if with_destination:
                body["destination"] = dict(self.destination or {})
        return body


@dataclass(frozen=True)
class Outcome:
    status: Literal["paid", "pending"]
    reference: str = ""


class PayoutProvider(Protocol):
    name: str

    def send(self, request: PayoutRequest) -> Outcome: ...


class SandboxProvider:
    """Pretends to pay: appends one line per payout to a JSON-lines log (the provider side's
    idempotency log), under an exclusive file lock so worker processes on one machine agree.

    The log stays open between calls, and a call reads only what other processes appended since
    this one last looked: a payment costs a handful of system calls (it is a stand-in for a
    network call, not the thing to measure), not a re-open and a re-scan of the file's end.

    `failure_rate` of calls fail transiently, half before the payment is recorded (an outage)
    and half after (the answer was lost), which is what retries must survive."""

    name = "sandbox"

    def __init__(self, log_path: Path, *, failure_rate: float = 0.0, delay_ms: int = 0) -> None:
        self.log_path = log_path
        self.failure_rate = failure_rate
        self.delay_ms = delay_ms
        self._lock = threading.Lock()  # the file lock is the open file's, shared by this process's threads
        self._fd: int | None = None
        self._opened: tuple[int, int, int] | None = None  # (pid, device, inode) of the open log
        self._offset = 0  # how far this process has read: always the end of a whole line
        self._refs: dict[str, str] = {}

    def send(self, request: PayoutRequest) -> Outcome:
        if self.delay_ms:
            time.sleep(self.delay_ms / 1000)
        roll = random.random()
        if roll < self.failure_rate / 2:
            raise TransientPayoutError("sandbox: simulated outage")
        ref = self._record(request)
        if roll < self.failure_rate:
            raise TransientPayoutError("sandbox: simulated lost answer")
        return Outcome("paid", ref)

    def _record(self, request: PayoutRequest) -> str:
        with self._lock:
            fd = self._log()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                self._catch_up(fd)
                if request.key in self._refs:
                    return self._refs[request.key]
                ref = f"sbx_{uuid.uuid4().hex[:16]}"
                line = {**request.as_json(with_destination=False), "reference": ref,
                        "at": datetime.now(timezone.utc).isoformat()}
                data = (json.dumps(line) + "\n").encode()
                written = 0
                while written < len(data):  # O_APPEND: at the end; in the OS's hands once written
                    written += os.write(fd, data[written:])
                self._offset += len(data)
                self._refs[request.key] = ref
                return ref
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _log(self) -> int:
        """The open log; opened again when it was replaced (or removed) or this is a forked child
        (a child sharing the parent's open file would share its lock too)."""
        try:
            st = os.stat(self.log_path)
            now = (os.getpid(), st.st_dev, st.st_ino)
        except FileNotFoundError:
            now = None
        if self._fd is not None and now == self._opened:
            return self._fd
        if self._fd is not None and self._opened is not None and self._opened[0] == os.getpid():
            os.close(self._fd)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        st = os.fstat(self._fd)
        self._opened = (os.getpid(), st.st_dev, st.st_ino)
        self._offset, self._refs = 0, {}
        return self._fd

    def _catch_up(self, fd: int) -> None:
        """Read the lines other processes appended since we last looked (callers hold the file
        lock). A process killed mid-write leaves half a line: that payment was never made, so it
        is cut off before anyone appends after it."""
        size = os.fstat(fd).st_size
        if size == self._offset:
            return
        if size < self._offset:  # the log was cut short: read it again
            self._offset, self._refs = 0, {}
        new = os.pread(fd, size - self._offset, self._offset)
        whole = new.rfind(b"\n") + 1
        if whole < len(new):
            os.ftruncate(fd, self._offset + whole)
        for raw in new[:whole].splitlines():
            entry = json.loads(raw)
            self._refs[entry["idempotency_key"]] = entry["reference"]
        self._offset += whole


def read_sandbox_log(path: Path) -> list[dict]:
    """Every payment the sandbox made, in order (for tests and benchmarks)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.endswith("\n")]


RETRYABLE_STATUS = {408, 425, 429}


class WebhookProvider:
    """POSTs a signed JSON payout request to the operator's payment service.

    The answer is 2xx with {"status": "paid", "reference": ...} (paid now), {"status":
    "pending"} or 202 (confirmed later on the signed callback), or {"status": "failed",
    "reason": ...}. Other 4xx are refusals; 5xx, 408, 425, 429, 401/403 (a secret mismatch)
    and network errors are retried."""

    name = "webhook"

    def __init__(self, url: str, secret: str, *, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url
        self.secret = secret
        self.client = httpx.Client(timeout=timeout_s, transport=transport)

    def send(self, request: PayoutRequest) -> Outcome:
        body = json.dumps(request.as_json(), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: request.key, **sign(self.secret, body)}
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransientPayoutError(f"payment service unreachable: {type(exc).__name__}") from None
        code = response.status_code
        if code >= 500 or code in RETRYABLE_STATUS:
            raise TransientPayoutError(f"payment service answered HTTP {code}")
        if code in (401, 403):  # our signature was refused: the operator's to fix, not the worker's fault
            raise TransientPayoutError(f"payment service refused hitbot's signature (HTTP {code}); "
                                       "check HITBOT_PAYOUT_WEBHOOK_SECRET")
        answer = _json_object(response)
        if code >= 400:
            raise PermanentPayoutError(_reason(answer) or f"the payment service refused it (HTTP {code})")
        status = answer.get("status")
        if status == "paid":
            return Outcome("paid", str(answer.get("reference") or ""))
        if status == "failed":
            raise PermanentPayoutError(_reason(answer) or "the payment service refused it")
        if status == "pending" or code == 202:
            return Outcome("pending", str(answer.get("reference") or ""))
        raise TransientPayoutError(f"payment service gave an unknown answer (HTTP {code})")


def _json_object(response: httpx.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _reason(answer: dict) -> str:
    reason = answer.get("reason") or answer.get("error") or ""
    return str(reason).strip()[:300]


def sandbox_log_path(settings: Settings) -> Path:
    return settings.data_dir / "sandbox-payouts.jsonl"


class RoutedProvider:
    """Sends each payout to the provider its method is routed to (HITBOT_PAYOUT_PROVIDERS); a payout
    without a method (no methods enabled) goes to HITBOT_PAYOUT_PROVIDER's."""

    name = "routed"

    def __init__(self, by_method: dict[str, PayoutProvider], default: PayoutProvider) -> None:
        self.by_method = by_method
        self.default = default

    def send(self, request: PayoutRequest) -> Outcome:
        if request.method is None:
            return self.default.send(request)
        provider = self.by_method.get(request.method)
        if provider is None:  # routed nowhere since it was requested: the operator's to fix, then it goes
            raise TransientPayoutError(f"no payout provider is configured for {request.method} "
                                       "(HITBOT_PAYOUT_PROVIDERS)")
        return provider.send(request)


def _one_provider(settings: Settings, name: str) -> PayoutProvider:
    if name == "webhook":
        if not settings.payout_webhook_url or not settings.payout_webhook_secret:
            raise ConfigError("The webhook payout provider needs HITBOT_PAYOUT_WEBHOOK_URL and "
                              "HITBOT_PAYOUT_WEBHOOK_SECRET.")
        return WebhookProvider(settings.payout_webhook_url, settings.payout_webhook_secret.get_secret_value(),
                               timeout_s=settings.payout_webhook_timeout_s)
    return SandboxProvider(sandbox_log_path(settings), failure_rate=settings.payout_sandbox_failure_rate,
                           delay_ms=settings.payout_sandbox_delay_ms)


def make_provider(settings: Settings) -> PayoutProvider:
    """The provider HITBOT_PAYOUT_PROVIDER names or, with HITBOT_PAYOUT_PROVIDERS, one per method
    (each kind made once); ConfigError saying what is missing."""
    if settings.payout_providers is None:
        return _one_provider(settings, settings.payout_provider)
    made: dict[str, PayoutProvider] = {}
    for name in {settings.payout_provider, *settings.payout_providers.values()}:
        made[name] = _one_provider(settings, name)
    return RoutedProvider({m: made[n] for m, n in settings.payout_providers.items()}, made[settings.payout_provider])
