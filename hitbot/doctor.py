"""`hitbot doctor`: is this deployment healthy, and if not, what to fix. One line per check,
✓ or ✗ and the fix; exit status 1 when anything failed, so it can gate a deploy."""
from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from core.config import Settings
from hitbot import startup

DISK_MIN_FREE_BYTES = 500 * 1024 * 1024
TELEGRAM_TIMEOUT_S = 8.0
PAYOUT_TEST_HEADER = "X-Hitbot-Test"  # a doctor's call, not a payout: the provider answers 2xx and pays nothing


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        text = f"{mark} {self.name}: {self.detail}"
        return text + (f" → {self.fix}" if self.fix and not self.ok else "")


def passed(name: str, detail: str) -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, False, detail, fix)


# --- the checks ------------------------------------------------------------------------------
def check_database(settings: Settings) -> Check:
    from core.db import init_db
    from core.migrations import LATEST

    url = settings.effective_database_url()
    where = startup.describe_database(url)
    if urlsplit(url).scheme.startswith("sqlite") and not settings.database_url and not settings.sqlite_path.exists():
        return failed("database", f"no database yet ({where})", "run `hitbot migrate` (`hitbot run` does it itself)")
    try:
        init_db(url, pool_size=1)
    except Exception as exc:
        return failed("database", f"cannot use DATABASE_URL ({startup.reason(exc)})", "check DATABASE_URL")
    version, problem = startup.database_problem(settings)
    if problem:
        return failed("database", problem, "")
    if version < LATEST:
        return failed("database", f"{where} reachable, schema at version {version} of {LATEST}", "run `hitbot migrate`")
    return passed("database", f"{where} reachable, schema at the latest version ({LATEST})")


def check_broker(settings: Settings) -> list[Check]:
    where = startup.describe_broker(settings)
    if not settings.redis_url:
        return [passed("broker", f"{where} (started by `hitbot run`; separate bot, worker and clock processes "
                                 "need a shared REDIS_URL)"),
                passed("clock lock", "in the embedded Redis (one `hitbot run` process)")]
    scheme = urlsplit(settings.redis_url).scheme
    try:
        startup.ping_broker(settings.redis_url)
        broker = passed("broker", f"{where} answers")
    except Exception as exc:
        broker = failed("broker", f"{where} is unreachable ({startup.reason(exc)})",
                        "start it, or fix REDIS_URL")
    if scheme.startswith("amqp") and settings.effective_database_url().startswith("postgres"):
        lock = passed("clock lock", "PostgreSQL advisory lock (RabbitMQ holds no locks; send slots in PostgreSQL too)")
    elif scheme.startswith("amqp"):
        lock = failed("clock lock", "RabbitMQ cannot hold the clock's leader lock and SQLite has no server to",
                      "use PostgreSQL in DATABASE_URL (its advisory lock), or a redis:// REDIS_URL")
    elif broker.ok:
        lock = passed("clock lock", f"leader lock in Redis (key {settings.redis_namespace}:clock:leader)")
    else:
        lock = failed("clock lock", "its Redis is unreachable", "start Redis, or fix REDIS_URL")
    return [broker, lock]


async def _telegram(settings: Settings):
    from telegram import Bot
    from telegram.request import HTTPXRequest

    root = settings.telegram_api_url.rstrip("/")
    request = HTTPXRequest(connect_timeout=TELEGRAM_TIMEOUT_S, read_timeout=TELEGRAM_TIMEOUT_S)
    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    bot = Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot", request=request)
    try:
        me = await bot.get_me()
        return me, await bot.get_webhook_info()
    finally:
        await request.shutdown()


def check_telegram(settings: Settings, *, webhook_url: str | None) -> list[Check]:
    from telegram.error import InvalidToken

    if not (settings.telegram_bot_token and settings.telegram_bot_token.get_secret_value()):
        return [failed("telegram", "TELEGRAM_BOT_TOKEN is not set", "get a token from @BotFather")]
    where = settings.telegram_api_url
    try:
        me, info = asyncio.run(_telegram(settings))
    except InvalidToken:
        return [failed("telegram", f"{where} refuses the bot token (401 Unauthorized)",
                       "copy TELEGRAM_BOT_TOKEN again from @BotFather (/mybots → API Token)")]
    except Exception as exc:
        return [failed("telegram", f"unreachable at {where} ({startup.reason(exc)})",
                       "check the network, or TELEGRAM_API_URL")]
    return [passed("telegram", f"{where} answers, token valid for @{me.username}"), _webhook(info, webhook_url)]


def _webhook(info, expected: str | None) -> Check:
    pending = f"{info.pending_update_count} pending update{'s' if info.pending_update_count != 1 else ''}"
    error = ""
    if info.last_error_message:
        when = info.last_error_date.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") \
            if info.last_error_date else "recently"
        error = f"; last error {when}: {info.last_error_message}"
    if expected is None:
        if info.url:
            return failed("webhook", f"Telegram posts updates to {info.url} ({pending}{error}), but this "
                                     "deployment polls", "run `hitbot bot --webhook <that URL>`, or stop the other "
                                                         "deployment (polling deletes its webhook)")
        return passed("webhook", f"none set, polling ({pending})")
    if info.url != expected:
        return failed("webhook", f"Telegram posts to {info.url or 'nowhere'}, not {expected} ({pending})",
                      "start `hitbot bot --webhook` with that URL (it sets the webhook)")
    if error:
        return failed("webhook", f"{expected} ({pending}{error})",
                      "make sure the URL reaches `hitbot bot` over HTTPS from the internet")
    return passed("webhook", f"{expected} ({pending})")


def check_payments(settings: Settings) -> Check:
    if settings.payment_provider_token and settings.payment_provider_token.get_secret_value():
        return passed("payments", "/topup has a payment provider token")
    if settings.stars_rate_cents:
        return passed("payments", "/topup takes Telegram Stars only (no card: HITBOT_PAYMENT_PROVIDER_TOKEN is not set)")
    return failed("payments", "/topup is on but HITBOT_PAYMENT_PROVIDER_TOKEN is not set, so requesters cannot pay in",
                  "connect a provider in @BotFather (/mybots → Payments) and set HITBOT_PAYMENT_PROVIDER_TOKEN")


# What Telegram pays a bot per Star (about US$0.013, Fragment's rate) in a few currencies' minor
# units; users pay about US$0.015-0.02. Rough on purpose: it catches a rate off by a factor, not by a cent.
STAR_VALUE_MINOR = {"USD": 1.3, "EUR": 1.2, "GBP": 1.0, "CHF": 1.1, "CAD": 1.8, "AUD": 2.0, "JPY": 2.0,
                    "INR": 110.0, "RUB": 120.0, "BRL": 7.0}
STAR_RATE_TOLERANCE = 2.5  # sane within this factor of the value above, either way


def check_stars(settings: Settings) -> list[Check]:
    from core.money import format_money
    from core.payments.topups import MAX_STARS

    rate = settings.stars_rate_cents
    if not rate:
        return []
    shown = f"1 ⭐ = {format_money(rate, settings.currency)}, {MAX_STARS:,} ⭐ (one invoice's most) = " \
            f"{format_money(rate * MAX_STARS, settings.currency)}"
    value = STAR_VALUE_MINOR.get(settings.currency)
    if value is None:
        return [passed("stars", f"{shown} (no reference value for {settings.currency}: compare it with what "
                                "Telegram pays you per Star, about US$0.013)")]
    low, high = max(1, round(value / STAR_RATE_TOLERANCE)), int(value * STAR_RATE_TOLERANCE)
    fair = f"Telegram pays about {format_money(round(value), settings.currency)} per Star"
    if rate > high:
        return [failed("stars", f"{shown}: each Star paid in credits far more than Telegram pays you for it, and "
                                "workers are paid real money from it", f"{fair}: set HITBOT_STARS_RATE_CENTS from "
                                                                      f"{low} to {high}")]
    if rate < low:
        return [failed("stars", f"{shown}: payers get far less than their Stars are worth",
                       f"{fair}: set HITBOT_STARS_RATE_CENTS from {low} to {high}")]
    return [passed("stars", f"{shown} ({fair})")]


def check_payout_methods(settings: Settings) -> list[Check]:
    """Every method a worker may be offered goes to a provider (HITBOT_PAYOUT_PROVIDERS)."""
    from core.payments.rules import provider_of

    methods, routes = settings.payout_methods, settings.payout_providers
    if not methods and routes is None:
        return []  # no destinations: HITBOT_PAYOUT_PROVIDER sends every payout (the payouts check)
    if not methods:
        return [failed("payout methods", "HITBOT_PAYOUT_PROVIDERS is set but HITBOT_PAYOUT_METHODS is not, so "
                                         "workers add no destination and every payout goes to HITBOT_PAYOUT_PROVIDER",
                       "set HITBOT_PAYOUT_METHODS to the methods you route, or unset HITBOT_PAYOUT_PROVIDERS")]
    missing = [m for m in methods if provider_of(settings, m) is None]
    if missing:
        names = ", ".join(missing)
        return [failed("payout methods", f"{names} enabled in HITBOT_PAYOUT_METHODS but HITBOT_PAYOUT_PROVIDERS "
                                         "names no provider for it, so workers can't choose it",
                       f"add {missing[0]}=webhook (or =sandbox) to HITBOT_PAYOUT_PROVIDERS, or drop {names} from "
                       "HITBOT_PAYOUT_METHODS")]
    detail = ", ".join(f"{m} → {provider_of(settings, m)}" for m in methods)
    sandboxed = [m for m in methods if provider_of(settings, m) == "sandbox"]
    if sandboxed:
        detail += f" (sandbox: no real money moves for {', '.join(sandboxed)})"
    return [passed("payout methods", detail)]


def _webhook_users(settings: Settings) -> list[str]:
    """What goes to the webhook provider: methods routed there, and payouts naming no method (the default)."""
    from core.payments.rules import provider_of

    if not settings.payout_methods:
        return ["every payout"] if settings.payout_provider == "webhook" else []
    users = [m for m in settings.payout_methods if provider_of(settings, m) == "webhook"]
    return users + (["payouts without a method"] if settings.payout_provider == "webhook" else [])


def check_payouts(settings: Settings) -> Check:
    users = _webhook_users(settings)
    if not users:
        return passed("payouts", "sandbox provider (no real money moves; HITBOT_PAYOUT_PROVIDER=webhook for real)")
    if not settings.payout_webhook_url or not settings.payout_webhook_secret:
        return failed("payouts", f"the webhook provider ({', '.join(users)}) has no URL or secret",
                      "set HITBOT_PAYOUT_WEBHOOK_URL and HITBOT_PAYOUT_WEBHOOK_SECRET")
    import httpx

    from jobs.payouts.signing import IDEMPOTENCY_HEADER, sign

    url = settings.payout_webhook_url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return failed("payouts", f"HITBOT_PAYOUT_WEBHOOK_URL {url[:80]!r} is not an http(s) URL with a host",
                      "set it to the payment service's URL, e.g. https://pay.example.com/payouts")
    body = json.dumps({"test": True, "kind": "hitbot.doctor", "sent_at": datetime.now(timezone.utc).isoformat()},
                      separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", PAYOUT_TEST_HEADER: "1",
               IDEMPOTENCY_HEADER: f"doctor-{uuid.uuid4().hex}",
               **sign(settings.payout_webhook_secret.get_secret_value(), body)}
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.payout_webhook_timeout_s)
    except httpx.HTTPError as exc:
        return failed("payouts", f"the payment service at {url} is unreachable ({startup.reason(exc)})",
                      "start it, or fix HITBOT_PAYOUT_WEBHOOK_URL")
    code = response.status_code
    if code in (401, 403):
        return failed("payouts", f"{url} refused hitbot's signature (HTTP {code})",
                      "use the same HITBOT_PAYOUT_WEBHOOK_SECRET on both sides")
    if code >= 300:
        return failed("payouts", f"{url} answered the signed test call with HTTP {code}",
                      f"answer 2xx to a request with the {PAYOUT_TEST_HEADER}: 1 header (README \"Payouts\")")
    return passed("payouts", f"{url} accepted a signed test call (HTTP {code}; for {', '.join(users)})")


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk(settings: Settings, *, min_free_bytes: int = DISK_MIN_FREE_BYTES) -> Check:
    where = _existing(settings.data_dir)
    usage = shutil.disk_usage(where)
    free = f"{usage.free / 1024 ** 3:.1f} GB free of {usage.total / 1024 ** 3:.1f} GB at {where}"
    if usage.free < min_free_bytes:
        return failed("disk", free, f"free some space (at least {min_free_bytes // 1024 ** 2} MB) or move "
                                    "HITBOT_DATA_DIR")
    return passed("disk", free)


# --- running them ----------------------------------------------------------------------------
def checks(settings: Settings, *, webhook_url: str | None = None) -> Iterator[Check]:
    steps: list[tuple[str, Callable[[], Check | list[Check]]]] = [
        ("database", lambda: check_database(settings)), ("broker", lambda: check_broker(settings)),
        ("telegram", lambda: check_telegram(settings, webhook_url=webhook_url)),
        ("payments", lambda: check_payments(settings)), ("stars", lambda: check_stars(settings)),
        ("payout methods", lambda: check_payout_methods(settings)), ("payouts", lambda: check_payouts(settings)),
        ("disk", lambda: check_disk(settings))]
    for name, step in steps:
        try:
            result = step()
        except Exception as exc:  # a check that breaks is a failed check, never a traceback
            result = failed(name, f"could not check ({startup.reason(exc)})", "")
        yield from (result if isinstance(result, list) else [result])


def run(*, webhook_url: str | None = None, out=print) -> int:
    from core.config import load_settings
    from core.errors import ConfigError

    try:
        settings = load_settings()
    except ConfigError as exc:
        out(failed("configuration", str(exc), "fix the variables named (README \"Configuration\")").line())
        return 1
    out(passed("configuration", "the environment and .env parse").line())
    ok = True
    for check in checks(settings, webhook_url=webhook_url):
        out(check.line())
        ok = ok and check.ok
    return 0 if ok else 1
