"""Settings from the environment (and an optional .env file)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from babel.numbers import get_currency_precision, is_currency
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.errors import ConfigError

DAY_S = 86_400


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    database_pool_size: int = Field(20, ge=1, le=500, validation_alias="DATABASE_POOL_SIZE")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")
    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field("https://api.telegram.org", validation_alias="TELEGRAM_API_URL")
    admins: Annotated[frozenset[int], NoDecode] = Field(frozenset(), validation_alias="HITBOT_ADMINS")
    data_dir: Path = Field(Path(".hitbot"), validation_alias="HITBOT_DATA_DIR")
    currency: str = Field("USD", validation_alias="HITBOT_CURRENCY")
    fee_percent: int = Field(20, ge=0, le=100, validation_alias="HITBOT_FEE_PERCENT")
    min_reward_cents: int = Field(1, ge=1, validation_alias="HITBOT_MIN_REWARD_CENTS")
    max_reward_cents: int = Field(100_000, ge=1, validation_alias="HITBOT_MAX_REWARD_CENTS")
    min_payout_cents: int = Field(100, ge=1, validation_alias="HITBOT_MIN_PAYOUT_CENTS")
    max_assignments: int = Field(1_000, ge=1, le=100_000, validation_alias="HITBOT_MAX_ASSIGNMENTS")
    auto_approve_s: int = Field(3 * DAY_S, ge=0, le=30 * DAY_S, validation_alias="HITBOT_AUTO_APPROVE_S")
    max_batch_rows: int = Field(5_000, ge=1, le=100_000, validation_alias="HITBOT_MAX_BATCH_ROWS")
    alerts_per_hour: int = Field(10, ge=1, le=1_000, validation_alias="HITBOT_ALERTS_PER_HOUR")
    # A pressed button is answered this long after it arrived at the latest (bot.processor times it).
    answer_within_ms: int = Field(250, ge=50, le=10_000, validation_alias="HITBOT_ANSWER_WITHIN_MS")
    # The operator's floor for effective hourly pay (issue 17), in cents an hour; 0: off. Requesters see a
    # warning on groups paying less, and confirm before publishing a HIT whose own estimate pays less.
    min_hourly_cents: int = Field(0, ge=0, le=100_000, validation_alias="HITBOT_MIN_HOURLY_CENTS")
    # Messages (issue 18): most a worker, or a requester, may send in 24 hours.
    messages_per_day_worker: int = Field(20, ge=1, le=10_000, validation_alias="HITBOT_MESSAGES_PER_DAY_WORKER")
    messages_per_day_requester: int = Field(50, ge=1, le=10_000, validation_alias="HITBOT_MESSAGES_PER_DAY_REQUESTER")
    # Group messages (issue 18): a requester's sends to a HIT's, batch's or qualification's workers in 24 hours.
    group_messages_per_day: int = Field(5, ge=1, le=1_000, validation_alias="HITBOT_GROUP_MESSAGES_PER_DAY")
    group_recipients_per_day: int = Field(2_000, ge=1, le=100_000, validation_alias="HITBOT_GROUP_RECIPIENTS_PER_DAY")
    # Revisions (issue 18): how many a requester may ask per assignment, and the worker's window to revise
    # (the default; a requester may pick another between the bounds).
    max_revisions: int = Field(2, ge=0, le=10, validation_alias="HITBOT_MAX_REVISIONS")
    revision_window_s: int = Field(DAY_S, ge=3600, le=14 * DAY_S, validation_alias="HITBOT_REVISION_WINDOW_S")
    revision_window_min_s: int = Field(3600, ge=600, le=DAY_S, validation_alias="HITBOT_REVISION_WINDOW_MIN_S")
    revision_window_max_s: int = Field(7 * DAY_S, ge=3600, le=30 * DAY_S, validation_alias="HITBOT_REVISION_WINDOW_MAX_S")
    low_balance_cents: int = Field(500, ge=0, le=10**9, validation_alias="HITBOT_LOW_BALANCE_CENTS")
    sweep_batch: int = Field(500, ge=1, le=100_000, validation_alias="HITBOT_SWEEP_BATCH")
    log_level: str = Field("INFO", validation_alias="HITBOT_LOG_LEVEL")
    log_format: Literal["auto", "human", "json"] = Field("auto", validation_alias="HITBOT_LOG_FORMAT")
    payment_provider_token: SecretStr | None = Field(None, validation_alias="HITBOT_PAYMENT_PROVIDER_TOKEN")
    # Payouts (jobs/payouts): who sends the money out, and how hard to try.
    payout_provider: Literal["sandbox", "webhook"] = Field("sandbox", validation_alias="HITBOT_PAYOUT_PROVIDER")
    payout_webhook_url: str | None = Field(None, validation_alias="HITBOT_PAYOUT_WEBHOOK_URL")
    payout_webhook_secret: SecretStr | None = Field(None, validation_alias="HITBOT_PAYOUT_WEBHOOK_SECRET")
    payout_webhook_timeout_s: float = Field(10.0, gt=0, le=120, validation_alias="HITBOT_PAYOUT_WEBHOOK_TIMEOUT_S")
    payout_callback_port: int | None = Field(None, ge=1, le=65_535, validation_alias="HITBOT_PAYOUT_CALLBACK_PORT")
    payout_max_attempts: int = Field(8, ge=1, le=100, validation_alias="HITBOT_PAYOUT_MAX_ATTEMPTS")
    payout_stuck_s: int = Field(600, ge=10, le=DAY_S, validation_alias="HITBOT_PAYOUT_STUCK_S")
    payout_sandbox_failure_rate: float = Field(0.0, ge=0, le=1, validation_alias="HITBOT_PAYOUT_SANDBOX_FAILURE_RATE")
    payout_sandbox_delay_ms: int = Field(0, ge=0, le=60_000, validation_alias="HITBOT_PAYOUT_SANDBOX_DELAY_MS")
    # Payout methods and destinations (issue 19). Empty: no destinations, the provider decides (as before).
    payout_methods: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias="HITBOT_PAYOUT_METHODS")
    # Which provider each method goes to, e.g. "paypal=webhook,giftcard=sandbox". Unset: every method goes
    # to HITBOT_PAYOUT_PROVIDER; set: a method it does not list can't be chosen.
    payout_providers: Annotated[dict[str, str] | None, NoDecode] = Field(None, validation_alias="HITBOT_PAYOUT_PROVIDERS")
    payout_hold_s: int = Field(DAY_S, ge=0, le=30 * DAY_S, validation_alias="HITBOT_PAYOUT_HOLD_S")
    payout_min_cents_paypal: int | None = Field(None, ge=1, le=10**9, validation_alias="HITBOT_PAYOUT_MIN_CENTS_PAYPAL")
    payout_min_cents_sepa: int | None = Field(None, ge=1, le=10**9, validation_alias="HITBOT_PAYOUT_MIN_CENTS_SEPA")
    payout_min_cents_ach: int | None = Field(None, ge=1, le=10**9, validation_alias="HITBOT_PAYOUT_MIN_CENTS_ACH")
    payout_min_cents_giftcard: int | None = Field(None, ge=1, le=10**9,
                                                   validation_alias="HITBOT_PAYOUT_MIN_CENTS_GIFTCARD")
    payout_fee_cents_paypal: int = Field(0, ge=0, le=10**6, validation_alias="HITBOT_PAYOUT_FEE_CENTS_PAYPAL")
    payout_fee_cents_sepa: int = Field(0, ge=0, le=10**6, validation_alias="HITBOT_PAYOUT_FEE_CENTS_SEPA")
    payout_fee_cents_ach: int = Field(0, ge=0, le=10**6, validation_alias="HITBOT_PAYOUT_FEE_CENTS_ACH")
    payout_fee_cents_giftcard: int = Field(0, ge=0, le=10**6, validation_alias="HITBOT_PAYOUT_FEE_CENTS_GIFTCARD")
    tax_threshold_cents: int = Field(0, ge=0, le=10**12, validation_alias="HITBOT_TAX_THRESHOLD_CENTS")  # 0: off
    stars_rate_cents: int | None = Field(None, ge=1, le=10**6, validation_alias="HITBOT_STARS_RATE_CENTS")
    data_key_version: int = Field(1, ge=1, le=10_000, validation_alias="HITBOT_DATA_KEY_VERSION")
    batch_background_rows: int = Field(200, ge=1, le=100_000, validation_alias="HITBOT_BATCH_BACKGROUND_ROWS")
    # Processes and delivery (jobs/, hitbot/): the clock, the outbox relay, webhooks.
    review_digest_s: int = Field(DAY_S, ge=0, le=30 * DAY_S, validation_alias="HITBOT_REVIEW_DIGEST_S")
    clock_lock_ttl_s: int = Field(6, ge=2, le=300, validation_alias="HITBOT_CLOCK_LOCK_TTL_S")
    outbox_requeue_s: int = Field(300, ge=5, le=DAY_S, validation_alias="HITBOT_OUTBOX_REQUEUE_S")
    webhook_secret: SecretStr | None = Field(None, validation_alias="HITBOT_WEBHOOK_SECRET")
    redis_namespace: str = Field("hitbot", pattern=r"^[A-Za-z0-9_.-]{1,64}$", validation_alias="HITBOT_REDIS_NAMESPACE")
    # The MTurk-compatible API (api/): API secrets and WorkerIds derive from the secret key.
    secret_key: SecretStr | None = Field(None, min_length=32, validation_alias="HITBOT_SECRET_KEY")
    api_url: str | None = Field(None, max_length=200, validation_alias="HITBOT_API_URL")
    api_rate_per_s: float = Field(20.0, gt=0, le=10_000, validation_alias="HITBOT_API_RATE_PER_S")
    api_burst: int = Field(100, ge=1, le=100_000, validation_alias="HITBOT_API_BURST")
    # Web tasks' pages (api/taskpages.py) on an origin of their own, never the bot's or the API's.
    tasks_url: str | None = Field(None, max_length=200, pattern=r"^https?://[^/?#\s]+$",
                                  validation_alias="HITBOT_TASKS_URL")
    init_data_max_age_s: int = Field(DAY_S, ge=60, le=30 * DAY_S, validation_alias="HITBOT_INIT_DATA_MAX_AGE_S")
    # The plain link beside the Mini App (Open in browser): the worker's own, not bound to a Telegram account.
    task_links: bool = Field(True, validation_alias="HITBOT_TASK_LINKS")

    @field_validator("admins", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("payout_methods", mode="before")
    @classmethod
    def _split_methods(cls, value: object) -> object:
        if isinstance(value, str):
            value = [p.strip().lower() for p in value.split(",") if p.strip() and p.strip().lower() != "sandbox"]
        known = ("paypal", "sepa", "ach", "giftcard")
        methods = tuple(dict.fromkeys(value or ()))
        unknown = [m for m in methods if m not in known]
        if unknown:
            raise ValueError(f"unknown payout method(s) {', '.join(unknown)}; choose from {', '.join(known)}")
        return methods

    @field_validator("payout_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        pairs: dict[str, str] = {}
        for part in (p.strip() for p in value.split(",") if p.strip()):
            method, sep, provider = (x.strip().lower() for x in part.partition("="))
            if not sep or method not in ("paypal", "sepa", "ach", "giftcard") or provider not in ("sandbox", "webhook"):
                raise ValueError(f"{part[:40]!r} is not METHOD=PROVIDER (methods paypal, sepa, ach, giftcard; "
                                 "providers sandbox, webhook)")
            pairs[method] = provider
        return pairs

    @field_validator("tasks_url", mode="before")
    @classmethod
    def _origin_only(cls, value: object) -> object:
        return value.rstrip("/") or None if isinstance(value, str) else value

    @field_validator("tasks_url")
    @classmethod
    def _own_origin(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Requesters' HTML runs on the tasks origin: sharing one with the API would let it call the API as the page.
        api = urlsplit(info.data.get("api_url") or "")
        if value and api.netloc and urlsplit(value)[:2] == api[:2]:
            raise ValueError("must be another origin (host or port) than HITBOT_API_URL's: requesters' pages run there")
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        value = value.upper()
        if not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @property
    def currency_precision(self) -> int:
        return get_currency_precision(self.currency)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "hitbot.sqlite3"

    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"


def load_settings(**overrides: object) -> Settings:
    """Build settings; a bad value raises one ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = err["loc"][0] if err["loc"] else "?"
            problems.append(f"{_env_name(str(field))}: {err['msg']}")
        raise ConfigError("Invalid configuration: " + "; ".join(problems)) from None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, str):
        return info.validation_alias
    return field.upper()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
