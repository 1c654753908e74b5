"""Money: ledger accounts, transactions and entries; payouts and standing withdrawal orders."""
from __future__ import annotations

from peewee import (
    SQL,
    BigIntegerField,
    BooleanField,
    CharField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from core.db import BaseModel, UTCDateTimeField
from core.users.tables import User


class AccountKind:
    AVAILABLE = "available"  # a user's spendable / withdrawable money
    ESCROW = "escrow"  # a HIT's reserved rewards and fees
    PAYOUT = "payout"  # a worker's money on its way out
    FEES = "fees"  # the platform's revenue
    WORLD = "world"  # money outside hitbot: top-ups come from it, payouts go to it

class Account(BaseModel):
    code = CharField(max_length=64, unique=True)  # e.g. available:42, escrow:7, fees
    kind = CharField(max_length=10)
    user = ForeignKeyField(User, null=True, backref="accounts", on_delete="RESTRICT")
    hit_id = BigIntegerField(null=True, index=True)
    balance_cents = BigIntegerField(default=0)
    allow_negative = BooleanField(default=False)

    class Meta:
        constraints = [SQL("CHECK (allow_negative OR balance_cents >= 0)")]

class LedgerTxn(BaseModel):
    key = CharField(max_length=160, unique=True)  # idempotency key
    kind = CharField(max_length=24)
    memo = TextField(default="")
    created_at = UTCDateTimeField(index=True)

class Entry(BaseModel):
    txn = ForeignKeyField(LedgerTxn, backref="entries", on_delete="RESTRICT")
    account = ForeignKeyField(Account, backref="entries", on_delete="RESTRICT")
    amount_cents = BigIntegerField()

    class Meta:
        indexes = ((("account", "txn"), False),)

class PayoutStatus:
    REQUESTED = "requested"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"

    OPEN = (REQUESTED, PROCESSING)

class Payout(BaseModel):
    worker = ForeignKeyField(User, backref="payouts", on_delete="RESTRICT")
    amount_cents = BigIntegerField()
    status = CharField(max_length=10, default=PayoutStatus.REQUESTED)
    key = CharField(max_length=160, unique=True)
    attempts = IntegerField(default=0)
    provider_ref = CharField(max_length=128, null=True)
    failure_reason = TextField(null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    # Issue 19 (migration 10): how and where it goes; the fee went to the platform when requested.
    method = CharField(max_length=12, null=True)  # None: the operator's provider decides (no destination)
    destination_id = BigIntegerField(null=True)
    destination_masked = CharField(max_length=64, null=True)
    fee_cents = BigIntegerField(default=0)

    class Meta:
        indexes = ((("status", "updated_at"), False), (("worker", "created_at"), False))

class AutoWithdraw(BaseModel):
    """A worker's standing order: once the available balance reaches the threshold, withdraw it all."""

    user = ForeignKeyField(User, primary_key=True, backref="auto_withdraw", on_delete="CASCADE")
    threshold_cents = BigIntegerField()
    updated_at = UTCDateTimeField()

class PayoutDestination(BaseModel):
    """Where a worker's payouts go. The details are encrypted (core.payments.crypto); only the
    masked form is readable here. Removing one keeps the row (old payouts name it)."""

    user = ForeignKeyField(User, backref="payout_destinations", on_delete="CASCADE")
    method = CharField(max_length=12)
    masked = CharField(max_length=64)
    secret = TextField()  # AES-GCM ciphertext of the details, base64
    key_id = CharField(max_length=16)
    is_default = BooleanField(default=False)
    hold_until = UTCDateTimeField()  # payouts wait until then after this destination was added
    created_at = UTCDateTimeField()
    removed_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("user", "removed_at"), False),)

class TaxDetails(BaseModel):
    """A worker's country of tax residence and tax id, encrypted like payout destinations
    (core.payments.tax); only the masked form is readable here."""

    user = ForeignKeyField(User, primary_key=True, backref="tax_details", on_delete="CASCADE")
    country = CharField(max_length=2)
    masked = CharField(max_length=16)
    secret = TextField()
    key_id = CharField(max_length=16)
    updated_at = UTCDateTimeField()

class TopUpSource:
    CARD = "card"  # Telegram Payments through the operator's provider token
    STARS = "stars"  # Telegram Stars (currency XTR)

class TopUp(BaseModel):
    """Money paid in by a payment (not an admin's credit): spendable, never withdrawable, and
    refundable to the original payment by an admin while unspent (core.payments.topups)."""

    charge_id = CharField(max_length=128, unique=True)  # Telegram's telegram_payment_charge_id
    user = ForeignKeyField(User, backref="topups", on_delete="RESTRICT")
    source = CharField(max_length=8)
    amount_cents = BigIntegerField()  # what reached the balance
    paid_amount = BigIntegerField()  # what was charged, in paid_currency's units (stars for XTR)
    paid_currency = CharField(max_length=3)
    refund_state = CharField(max_length=8, null=True)  # None, "pending" (ledger moved, Telegram not yet), "done"
    created_at = UTCDateTimeField()
    refunded_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("user", "created_at"), False),)
