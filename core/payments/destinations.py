"""Payout destinations: a worker adds (a hold starts), lists (masked), picks a default,
removes, confirms from the notice (the hold lifts), and the payout worker reveals one
right before paying. The details are never returned to anyone else and never logged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.config import get_settings
from core.db import tx
from core.errors import NotAllowed, NotFound, ValidationFailed
from core.models import AutoWithdraw, PayoutDestination as D
from core.outbox import emit
from core.payments import crypto, rules, tax
from core.texts import N_
from core.users.commands import get_user

MAX_DESTINATIONS = 5


@dataclass(frozen=True)
class Destination:
    """What the worker (and only the worker) may see of a destination."""

    id: int
    method: str
    masked: str
    is_default: bool
    hold_until: datetime


def _view(row: D) -> Destination:
    return Destination(row.id, row.method, row.masked, row.is_default, row.hold_until)


def _live(user_id: int):
    return D.select().where((D.user == user_id) & D.removed_at.is_null())


def list_destinations(*, user_id: int) -> list[Destination]:
    return [_view(d) for d in _live(user_id).order_by(D.is_default.desc(), D.id)]


@dataclass(frozen=True)
class PayoutOverview:
    """What /payout shows: the worker's destinations, the hold, auto-withdraw, the methods offered."""

    destinations: list[Destination]
    hold_until: datetime | None
    auto_cents: int | None
    methods: tuple[str, ...]
    tax: tax.TaxInfo | None = None
    tax_threshold_cents: int = 0  # 0: tax details are not asked for


def overview(*, user_id: int, now: datetime) -> PayoutOverview:
    order = AutoWithdraw.get_or_none(AutoWithdraw.user == user_id)
    settings = get_settings()
    return PayoutOverview(list_destinations(user_id=user_id), hold_until(user_id=user_id, now=now),
                          order.threshold_cents if order else None, rules.offered_methods(settings),
                          tax.tax_details(user_id=user_id), settings.tax_threshold_cents)


def hold_until(*, user_id: int, now: datetime) -> datetime | None:
    """When the worker's payouts may go again after a destination was added, or None if they may now."""
    row = D.select().where(D.user == user_id).order_by(D.hold_until.desc()).first()
    return row.hold_until if row is not None and row.hold_until > now else None


def add_destination(*, user_id: int, method: str, parts: list[str], now: datetime) -> Destination:
    """Validate, encrypt and store; it becomes the default. New payouts wait HITBOT_PAYOUT_HOLD_S,
    and the worker is told through the outbox (payout.destination_added, with a confirm button)."""
    settings = get_settings()
    checked = rules.check(method, parts, rules.offered_methods(settings))
    secret, key_id = crypto.seal(checked.details, owner_id=user_id)
    with tx():
        get_user(user_id)
        if _live(user_id).count() >= MAX_DESTINATIONS:
            raise ValidationFailed(N_("You can keep at most {max_destinations} payout destinations; remove one first."),
                                   max_destinations=MAX_DESTINATIONS)
        D.update(is_default=False).where(D.user == user_id).execute()
        row = D.create(user=user_id, method=checked.method, masked=checked.masked, secret=secret, key_id=key_id,
                       is_default=True, hold_until=now + timedelta(seconds=settings.payout_hold_s), created_at=now)
        emit("payout.destination_added", user_id=user_id, now=now, destination_id=row.id, masked=row.masked,
             hold_until=row.hold_until.isoformat())
        return _view(row)


def owned_destination(user_id: int, destination_id: int) -> D:
    row = D.get_or_none((D.id == destination_id) & (D.user == user_id) & D.removed_at.is_null())
    if row is None:
        raise NotAllowed()
    return row


def set_default(*, user_id: int, destination_id: int, now: datetime) -> Destination:
    with tx():
        row = owned_destination(user_id, destination_id)
        D.update(is_default=(D.id == destination_id)).where(D.user == user_id).execute()
        return _view(D.get_by_id(row.id))


def remove_destination(*, user_id: int, destination_id: int, now: datetime) -> Destination:
    """Gone for new payouts; payouts already requested to it still go there."""
    with tx():
        row = owned_destination(user_id, destination_id)
        D.update(removed_at=now, is_default=False).where(D.id == row.id).execute()
        return _view(row)


def confirm_destination(*, user_id: int, destination_id: int, now: datetime) -> Destination:
    """'Yes, that was me' from the notice: the hold lifts now. Only the owner, only a live destination."""
    with tx():
        row = owned_destination(user_id, destination_id)
        if row.hold_until > now:
            D.update(hold_until=now).where((D.id == row.id) & (D.hold_until > now)).execute()
        return _view(D.get_by_id(row.id))


def default_destination(*, user_id: int) -> Destination | None:
    row = _live(user_id).where(D.is_default).first()
    return _view(row) if row else None


def pick(*, user_id: int, destination_id: int | None) -> Destination:
    """The worker's chosen (or default) live destination, for a withdrawal."""
    if destination_id is not None:
        return _view(owned_destination(user_id, destination_id))
    found = default_destination(user_id=user_id)
    if found is None:
        raise NotFound(N_("Add where your money should go first: /payout"))
    return found


def reveal(*, destination_id: int, user_id: int) -> dict[str, str]:
    """The full details, for the payout worker only, right before it calls the provider.
    Works for a removed destination too (a payout requested before the removal)."""
    row = D.get_or_none((D.id == destination_id) & (D.user == user_id))
    if row is None:
        raise NotFound()
    return crypto.open_sealed(row.secret, row.key_id, owner_id=user_id)


def reencrypt(*, limit: int = 500) -> int:
    """Rotation: rewrite up to `limit` destinations sealed under an older key id. Returns how many."""
    current = crypto.current_key_id()
    rows = list(D.select().where(D.key_id != current).limit(max(1, min(limit, 10_000))))
    for row in rows:
        details = crypto.open_sealed(row.secret, row.key_id, owner_id=row.user_id)
        secret, key_id = crypto.seal(details, owner_id=row.user_id)
        with tx():
            D.update(secret=secret, key_id=key_id).where((D.id == row.id) & (D.key_id == row.key_id)).execute()
    return len(rows)
