"""Payout methods, pure: validating a destination a worker typed, masking it, and each
method's minimum and fee from the settings. No database."""
from __future__ import annotations

import re
from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from core.config import Settings
from core.errors import ValidationFailed
from core.texts import N_, Text

METHODS = ("paypal", "sepa", "ach", "giftcard")
GIFTCARD_KINDS = ("amazon", "google_play", "apple", "steam")
MAX_INPUT = 80  # characters of any one typed detail, checked before parsing
MAX_EMAIL = 254
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")


@dataclass(frozen=True)
class Checked:
    """A valid destination: its details (to encrypt) and what the worker sees."""

    method: str
    details: dict[str, str]
    masked: str


def _bounded(value: str, what: str) -> str:  # `what`: an N_() text naming the field
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(N_("Please give the {what}."), what=Text(what))
    if len(value) > MAX_INPUT:
        raise ValidationFailed(N_("That {what} is too long (at most {max} characters)."), what=Text(what),
                               max=MAX_INPUT)
    return value


def check_paypal(email: str) -> Checked:
    email = _bounded(email, N_("PayPal email"))
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise ValidationFailed(N_("That is not an email address PayPal can pay, e.g. name@example.com."))
    local, domain = email.rsplit("@", 1)
    email = f"{local}@{domain.lower()}"
    return Checked("paypal", {"email": email}, f"PayPal {local[0]}***@{domain.lower()}")


def mask_iban(compact: str) -> str:
    """DE89370400440532013000 -> 'DE89 **** **** **** 3000'."""
    groups = max(1, (len(compact) - 8) // 4)
    return " ".join([compact[:4], *["****"] * groups, compact[-4:]])


def check_iban(value: str) -> Checked:
    value = _bounded(value, N_("IBAN"))
    try:
        iban = IBAN(value)
    except SchwiftyException as exc:
        raise ValidationFailed(N_("That IBAN is not valid ({reason}). It starts with the country code, e.g. DE89 3704 "
                                  "0044 0532 0130 00."), reason=_iban_reason(exc)) from None
    return Checked("sepa", {"iban": iban.compact}, mask_iban(iban.compact))


def _iban_reason(exc: Exception) -> Text:
    name = type(exc).__name__
    if "Checksum" in name:
        return Text(N_("its check digits are wrong: a typo?"))
    if "CountryCode" in name:
        return Text(N_("unknown country code"))
    if "Length" in name or "Structure" in name:
        return Text(N_("wrong length or format for its country"))
    return Text(N_("wrong format"))


def aba_checksum_ok(routing: str) -> bool:
    """The ABA routing number's check digit: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    if not re.fullmatch(r"[0-9]{9}", routing):
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def check_ach(routing: str, account: str) -> Checked:
    routing = _bounded(routing, N_("routing number")).replace(" ", "")
    account = _bounded(account, N_("account number")).replace(" ", "").replace("-", "")
    if not re.fullmatch(r"[0-9]{9}", routing):
        raise ValidationFailed(N_("An ACH routing number has exactly 9 digits."))
    if not aba_checksum_ok(routing):
        raise ValidationFailed(N_("That routing number's check digit is wrong: a typo?"))
    if not re.fullmatch(r"[0-9]{4,17}", account):
        raise ValidationFailed(N_("An account number has 4 to 17 digits."))
    return Checked("ach", {"routing": routing, "account": account}, f"ACH ****{account[-4:]} (routing {routing})")


def check_giftcard(kind: str) -> Checked:
    kind = _bounded(kind, N_("gift card kind")).lower().replace("-", "_").replace(" ", "_")
    if kind not in GIFTCARD_KINDS:
        raise ValidationFailed(N_("Choose a gift card kind: {kinds}."), kinds=", ".join(GIFTCARD_KINDS))
    return Checked("giftcard", {"kind": kind}, f"Gift card: {kind.replace('_', ' ').title()}")


def check(method: str, parts: list[str], enabled: tuple[str, ...]) -> Checked:
    """Validate what the worker typed for `method` (already split into words)."""
    method = (method or "").strip().lower()
    if method not in enabled:
        offered = ", ".join(enabled) or "none"
        raise ValidationFailed(N_("Payouts by {method} are not offered here; methods: {offered}."),
                               method=method[:20] or "?", offered=offered)
    if len(parts) > 12:
        raise ValidationFailed(N_("That is too many words for a payout destination."))
    if method == "paypal":
        return check_paypal(" ".join(parts))
    if method == "sepa":
        return check_iban("".join(parts))
    if method == "ach":
        if len(parts) != 2:
            raise ValidationFailed(N_("Give the routing number and the account number, e.g. ach 011000015 123456789."))
        return check_ach(parts[0], parts[1])
    return check_giftcard(" ".join(parts))


def minimum_cents(settings: Settings, method: str | None) -> int:
    """The method's minimum payout (HITBOT_PAYOUT_MIN_CENTS_<METHOD>, else HITBOT_MIN_PAYOUT_CENTS)."""
    if method in METHODS:
        own = getattr(settings, f"payout_min_cents_{method}")
        if own is not None:
            return int(own)
    return settings.min_payout_cents


def fee_cents(settings: Settings, method: str | None) -> int:
    """The method's flat fee (HITBOT_PAYOUT_FEE_CENTS_<METHOD>), taken from the amount withdrawn."""
    return int(getattr(settings, f"payout_fee_cents_{method}")) if method in METHODS else 0



def provider_of(settings: Settings, method: str | None) -> str | None:
    """The payout provider a method's withdrawals go to, or None when the operator routed it nowhere."""
    if settings.payout_providers is None:
        return settings.payout_provider
    return settings.payout_providers.get(method or "")


def offered_methods(settings: Settings) -> tuple[str, ...]:
    """The methods a worker may choose: enabled, and with a provider to send them."""
    return tuple(m for m in settings.payout_methods if provider_of(settings, m) is not None)
