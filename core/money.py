"""Money is integer minor units (cents). Parsing, fees and formatting live here."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from core.errors import ValidationFailed

_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def fee_for(amount_cents: int, fee_percent: int) -> int:
    """The platform fee on an amount: percent of it, rounded half up to the cent, and at
    least one cent when there is a fee at all (so tiny rewards are not free to post)."""
    if amount_cents <= 0 or fee_percent <= 0:
        return 0
    fee = (Decimal(amount_cents) * fee_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(1, int(fee))


def parse_amount(text: str | int | float | Decimal, currency: str, *, field: str = "amount") -> int:
    """'0.05' -> 5 (USD). Refuses more decimals than the currency has, signs and junk."""
    precision = get_currency_precision(currency)
    raw = str(text).strip().lstrip("$€£").replace(",", ".").strip()
    if len(raw) > 20:
        raise ValidationFailed(f"The {field} is too long to be an amount.")
    # ASCII digits only: Decimal also reads "١٠", "１", "1_000", "NaN" and "Infinity".
    if not _AMOUNT.fullmatch(raw):
        raise ValidationFailed(f"The {field} must be a number such as 0.50.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(f"The {field} must be a number such as 0.50.") from None
    if not value.is_finite():
        raise ValidationFailed(f"The {field} must be a number such as 0.50.")
    if value.adjusted() > 15:  # "1e999999999" would build a billion-digit integer below
        raise ValidationFailed(f"The {field} is too large.")
    if value <= 0:
        raise ValidationFailed(f"The {field} must be more than zero.")
    scaled = value.scaleb(precision)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(f"The {field} can have at most {precision} decimal places.")
    return int(scaled)


def format_money(cents: int, currency: str, locale: str | None = "en") -> str:
    precision = get_currency_precision(currency)
    amount = Decimal(cents).scaleb(-precision)
    try:
        return format_currency(amount, currency, locale=locale or "en")
    except Exception:  # an unknown locale code from a Telegram client
        return format_currency(amount, currency, locale="en")
