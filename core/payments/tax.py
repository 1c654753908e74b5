"""Tax details: a worker's country of tax residence and tax id, given once in chat, validated
where python-stdnum knows the country's formats, stored encrypted like payout destinations,
and required before the year's payouts pass HITBOT_TAX_THRESHOLD_CENTS (0: never)."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from peewee import fn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import get_cc_module

from core.config import get_settings
from core.csvsafe import safe_row
from core.db import tx
from core.errors import TaxDetailsRequired, ValidationFailed
from core.models import OutboxEvent, Payout, PayoutStatus as P, TaxDetails, User
from core.outbox import emit
from core.payments import crypto
from core.quals.countries import is_country
from core.texts import N_, Amount
from core.users.commands import get_user

PURPOSE = "tax-details"
MAX_TAX_ID = 30  # characters as typed, checked before parsing
NEAR_SHARE = 0.8  # the worker is asked once the year's payouts reach this share of the threshold
NEEDED_KIND = "tax.details_needed"
# python-stdnum's modules for personal and business tax ids, tried in turn for the country.
_STDNUM_IDS = ("tin", "idnr", "stnr", "ssn", "itin", "ein", "utr", "nif", "nir", "spi", "codicefiscale", "cf", "dni",
               "nie", "pesel", "nip", "bsn", "cpf", "cnpj", "pan", "rfc", "curp", "rut", "cuit", "sin", "bn", "tfn",
               "abn", "ird", "personnummer", "hetu", "cpr", "fodselsnummer", "egn", "oib", "cnp", "inn", "vat")
_ANY_ID = re.compile(r"[A-Z0-9]{4,20}")


@dataclass(frozen=True)
class TaxInfo:
    """What the worker (and the operator's report) may see: never the full id."""

    country: str
    masked: str
    updated_at: datetime


def mask_tax_id(compact: str) -> str:
    return "****" + compact[-4:] if len(compact) > 6 else "****" + compact[-2:]


def check_tax_id(country: str, tax_id: str) -> tuple[str, str]:
    """(country, compact id) or ValidationFailed. A country python-stdnum knows must match one of
    its formats (check digits included); for others 4-20 letters and digits."""
    country = (country or "").strip().upper()
    raw = (tax_id or "").strip()
    if not is_country(country):
        raise ValidationFailed(N_("Give the two-letter code of your country of tax residence first, e.g. /payout tax "
                                  "DE 36574261809."))
    if not raw:
        raise ValidationFailed(N_("Please give your tax id after the country, e.g. /payout tax DE 36574261809."))
    if len(raw) > MAX_TAX_ID:
        raise ValidationFailed(N_("That tax id is too long (at most {max_tax_id} characters)."), max_tax_id=MAX_TAX_ID)
    modules = [m for m in (get_cc_module(country.lower(), name) for name in _STDNUM_IDS) if m is not None]
    for module in modules:
        try:
            return country, str(module.validate(raw)).upper().replace(" ", "")
        except StdnumError:
            continue
    compact = re.sub(r"[\s./-]", "", raw).upper()
    if modules:
        raise ValidationFailed(N_("That is not a valid tax id for {country}: check the digits (a typo?)."),
                               country=country)
    if not _ANY_ID.fullmatch(compact):
        raise ValidationFailed(N_("A tax id has 4 to 20 letters and digits."))
    return country, compact


def set_tax_details(*, user_id: int, country: str, tax_id: str, now: datetime) -> TaxInfo:
    """Validate, encrypt and store (replacing earlier ones)."""
    country, compact = check_tax_id(country, tax_id)
    secret, key_id = crypto.seal({"country": country, "tax_id": compact}, owner_id=user_id, purpose=PURPOSE)
    masked = mask_tax_id(compact)
    with tx():
        get_user(user_id)
        TaxDetails.insert(user=user_id, country=country, masked=masked, secret=secret, key_id=key_id,
                          updated_at=now).on_conflict(
            conflict_target=[TaxDetails.user],
            update={TaxDetails.country: country, TaxDetails.masked: masked, TaxDetails.secret: secret,
                    TaxDetails.key_id: key_id, TaxDetails.updated_at: now}).execute()
    return TaxInfo(country, masked, now)


def tax_details(*, user_id: int) -> TaxInfo | None:
    row = TaxDetails.get_or_none(TaxDetails.user == user_id)
    return TaxInfo(row.country, row.masked, row.updated_at) if row else None


def reveal_tax_details(*, user_id: int) -> dict[str, str] | None:
    """The full details, for the operator's report only."""
    row = TaxDetails.get_or_none(TaxDetails.user == user_id)
    return crypto.open_sealed(row.secret, row.key_id, owner_id=user_id, purpose=PURPOSE) if row else None


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def paid_in_year(*, user_id: int, year: int) -> int:
    """Withdrawn this calendar year (UTC), fees included, not counting payouts that failed."""
    start, end = _year_bounds(year)
    total = (Payout.select(fn.COALESCE(fn.SUM(Payout.amount_cents + Payout.fee_cents), 0))
             .where((Payout.worker == user_id) & (Payout.status != P.FAILED) & (Payout.created_at >= start)
                    & (Payout.created_at < end)).scalar())
    return int(total or 0)


def check_tax_gate(*, worker_id: int, amount_cents: int, now: datetime, ask: bool = False) -> None:
    """Refuse a withdrawal that takes the year's payouts past the threshold without tax details;
    with `ask` (inside the withdrawal's transaction) ask once a year when the total nears it."""
    threshold = get_settings().tax_threshold_cents
    if not threshold or TaxDetails.get_or_none(TaxDetails.user == worker_id) is not None:
        return
    paid = paid_in_year(user_id=worker_id, year=now.year)
    currency = get_settings().currency
    if paid + amount_cents > threshold:
        raise TaxDetailsRequired(
            N_("Payouts past {threshold} a year need your tax details (you have been paid {paid} this year). "
               "Give them once: /payout tax COUNTRY TAX_ID, e.g. /payout tax DE 36574261809."),
            threshold=Amount(threshold, currency), paid=Amount(paid, currency))
    if ask and paid + amount_cents >= threshold * NEAR_SHARE:
        ask_for_tax_details(worker_id=worker_id, paid_cents=paid + amount_cents, now=now)


def ask_for_tax_details(*, worker_id: int, paid_cents: int, now: datetime) -> bool:
    """Tell the worker (once a year) that payouts past the threshold need their tax details."""
    with tx():
        if _asked_this_year(worker_id, now):
            return False
        emit(NEEDED_KIND, user_id=worker_id, now=now, paid_cents=paid_cents,
             threshold_cents=get_settings().tax_threshold_cents, year=now.year)
        return True


def _asked_this_year(worker_id: int, now: datetime) -> bool:
    start, _ = _year_bounds(now.year)
    return OutboxEvent.select().where((OutboxEvent.kind == NEEDED_KIND) & (OutboxEvent.user_id == worker_id)
                                      & (OutboxEvent.created_at >= start)).exists()


REPORT_COLUMNS = ("worker_id", "name", "payouts", "paid_cents", "fees_cents", "currency", "tax_country",
                  "tax_id_masked")


def payouts_report(*, year: int, limit: int = 1_000_000) -> list[tuple]:
    """For the operator: each worker's payouts of the year (not failed), with tax details masked."""
    start, end = _year_bounds(year)
    rows = (Payout.select(Payout.worker, fn.COUNT(Payout.id), fn.SUM(Payout.amount_cents), fn.SUM(Payout.fee_cents))
            .where((Payout.status != P.FAILED) & (Payout.created_at >= start) & (Payout.created_at < end))
            .group_by(Payout.worker).order_by(Payout.worker).limit(limit).tuples())
    currency = get_settings().currency
    out = []
    for worker_id, count, net, fees in rows:
        user = User.get_or_none(User.id == worker_id)
        tax = TaxDetails.get_or_none(TaxDetails.user == worker_id)
        out.append((worker_id, user.display_name if user else "", int(count), int(net or 0) + int(fees or 0),
                    int(fees or 0), currency, tax.country if tax else "", tax.masked if tax else ""))
    return out


def write_payouts_csv(*, year: int, out: TextIO) -> int:
    """`hitbot report payouts --year N`: the report as CSV (amounts in minor units). Returns the rows."""
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    rows = payouts_report(year=year)
    writer.writerows(safe_row(r) for r in rows)  # names are what people typed into Telegram
    return len(rows)
