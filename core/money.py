"""Money is integer minor units (cents). Parsing, fees and formatting live here."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

from core.errors import ValidationFailed
from core.texts import N_, Text

_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def fee_for(amount_cents: int, fee_percent: int) -> int:
    """The platform fee on an amount: percent of it, rounded half up to the cent, and at
    least one cent when there is a fee at all (so tiny rewards are not free to post)."""
    if amount_cents <= 0 or fee_percent <= 0:
        return 0
    fee = (Decimal(amount_cents) * fee_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(1, int(fee))


# The amounts people type, named in their language ("The reward must be ..."); others show as given.
_FIELDS = {"amount": N_("amount"), "reward": N_("reward"), "bonus": N_("bonus"), "threshold": N_("threshold")}


def parse_amount(text: str | int | float | Decimal, currency: str, *, field: str = "amount") -> int:
    """'0.05' -> 5 (USD). Refuses more decimals than the currency has, signs and junk."""
    precision = get_currency_precision(currency)
    named = Text(_FIELDS[field]) if field in _FIELDS else field
    raw = str(text).strip().lstrip("$€£").replace(",", ".").strip()
    if len(raw) > 20:
        raise ValidationFailed(N_("The {field} is too long to be an amount."), field=named)
    # ASCII digits only: Decimal also reads "١٠", "１", "1_000", "NaN" and "Infinity".
    if not _AMOUNT.fullmatch(raw):
        raise ValidationFailed(N_("The {field} must be a number such as 0.50."), field=named)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(N_("The {field} must be a number such as 0.50."), field=named) from None
    if not value.is_finite():
        raise ValidationFailed(N_("The {field} must be a number such as 0.50."), field=named)
    if value.adjusted() > 15:  # "1e999999999" would build a billion-digit integer below
        raise ValidationFailed(N_("The {field} is too large."), field=named)
    if value <= 0:
        raise ValidationFailed(N_("The {field} must be more than zero."), field=named)
    scaled = value.scaleb(precision)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(N_("The {field} can have at most {precision} decimal places."), field=named,
                               precision=precision)
    return int(scaled)


@lru_cache(maxsize=8192)  # babel re-reads the locale's patterns on every call; screens repeat amounts
def format_money(cents: int, currency: str, locale: str | None = "en") -> str:
    precision = get_currency_precision(currency)
    amount = Decimal(cents).scaleb(-precision)
    try:
        return format_currency(amount, currency, locale=locale or "en")
    except Exception:  # an unknown locale code from a Telegram client
        return format_currency(amount, currency, locale="en")
