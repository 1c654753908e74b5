"""Issue 19, methods and destinations: validation (IBAN, ABA, PayPal, gift card), masking,
encryption at rest, the hold and its lift, and each method's minimum and fee in literal cents."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core import ledger
from core.config import get_settings
from core.db import db
from core.errors import ConfigError, NotAllowed, NotFound, PayoutOnHold, PayoutTooSmall, ValidationFailed
from core.models import Entry, LedgerTxn, OutboxEvent, Payout, PayoutDestination
from core.payments import accounts, crypto, destinations, rules
from core.payments.payouts import maybe_auto_withdraw, set_auto_withdraw
from tests import factories as f
from tests.conftest import NOW
from tests.invariants import check_invariants
from tests.settings_env import PAYOUT_METHODS, settings_env

IBAN_DE = "DE89 3704 0044 0532 0130 00"
IBAN_DE_COMPACT = "DE89370400440532013000"


@pytest.fixture
def methods(monkeypatch):
    yield from settings_env(monkeypatch, undo=True, **PAYOUT_METHODS, HITBOT_PAYOUT_FEE_CENTS_PAYPAL="30",
                            HITBOT_PAYOUT_HOLD_S="86400")


# --- validation and masking (pure) ---------------------------------------------------------------

def test_iban_good_is_compacted_and_masked():
    checked = rules.check_iban(IBAN_DE)
    assert checked.details == {"iban": IBAN_DE_COMPACT}
    assert checked.masked == "DE89 **** **** **** 3000"
    assert rules.check_iban("gb82 west 1234 5698 7654 32").masked == "GB82 **** **** **** 5432"


@pytest.mark.parametrize("bad, why", [
    ("DE88 3704 0044 0532 0130 00", "check digits"),  # one check digit off
    ("DE89 3704 0044 0532 0130", "length or format"),  # too short for Germany
    ("XX89 3704 0044 0532 0130 00", "country"),
    ("", "Please give"),
    ("D" * 81, "too long"),
])
def test_iban_bad_is_refused_with_a_reason(bad, why):
    with pytest.raises(ValidationFailed, match=why):
        rules.check_iban(bad)


def test_aba_checksum():
    assert rules.aba_checksum_ok("011000015")  # 3·0 + 7·(1+0+1) + (1+0+5) = 20
    assert rules.aba_checksum_ok("021000021")
    assert not rules.aba_checksum_ok("011000016")
    assert not rules.aba_checksum_ok("01100001")  # 8 digits
    assert not rules.aba_checksum_ok("٠١١٠٠٠٠١٥")  # not ASCII digits


def test_ach_masked_and_refusals():
    checked = rules.check_ach("011000015", "12345678901")
    assert checked.details == {"routing": "011000015", "account": "12345678901"}
    assert checked.masked == "ACH ****8901 (routing 011000015)"
    with pytest.raises(ValidationFailed, match="check digit"):
        rules.check_ach("011000016", "12345678901")
    with pytest.raises(ValidationFailed, match="4 to 17 digits"):
        rules.check_ach("011000015", "123")


def test_paypal_and_giftcard():
    assert rules.check_paypal("Jane.Doe@Example.COM").masked == "PayPal J***@example.com"
    for bad in ("not-an-email", "a@b", "a b@example.com", "x" * 70 + "@example.com"):
        with pytest.raises(ValidationFailed):
            rules.check_paypal(bad)
    assert rules.check_giftcard("Amazon").masked == "Gift card: Amazon"
    with pytest.raises(ValidationFailed, match="amazon"):
        rules.check_giftcard("bitcoin")


def test_a_method_not_enabled_is_refused():
    with pytest.raises(ValidationFailed, match="not offered"):
        rules.check("sepa", [IBAN_DE], ("paypal",))


def test_minimum_and_fee_per_method(methods):
    assert rules.minimum_cents(methods, "sepa") == 500
    assert rules.minimum_cents(methods, "paypal") == 100  # HITBOT_MIN_PAYOUT_CENTS
    assert rules.fee_cents(methods, "sepa") == 25
    assert rules.fee_cents(methods, "ach") == 0
    assert rules.fee_cents(methods, None) == 0


# --- encryption at rest -------------------------------------------------------------------------

def test_encryption_round_trip_and_the_column_is_not_the_plaintext(database, methods):
    wes = f.user("Wes")
    d = destinations.add_destination(user_id=wes.id, method="sepa", parts=IBAN_DE.split(), now=NOW)
    assert d.masked == "DE89 **** **** **** 3000"
    row = PayoutDestination.get_by_id(d.id)
    assert row.key_id == "v1"
    assert IBAN_DE_COMPACT not in row.secret and "370400440532013000" not in row.secret
    assert destinations.reveal(destination_id=d.id, user_id=wes.id) == {"iban": IBAN_DE_COMPACT}
    # Nowhere in the database in the clear (outbox payloads included).
    table = PayoutDestination._meta.table_name
    dumped = " ".join(str(v) for r in db.execute_sql(f'SELECT * FROM "{table}"').fetchall() for v in r)
    events = " ".join(str(e.payload) for e in OutboxEvent.select())
    assert IBAN_DE_COMPACT not in dumped + events and "0532" not in dumped + events
    if database.startswith("sqlite:///"):  # and not in the database file's bytes
        path = Path(database.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
        assert IBAN_DE_COMPACT.encode() not in raw and b"DE89 **** **** **** 3000" in raw
    # Bound to its owner: the same ciphertext does not open for someone else.
    other = f.user("Eve")
    with pytest.raises(ConfigError):
        crypto.open_sealed(row.secret, row.key_id, owner_id=other.id)


def test_key_rotation_reencrypts_under_the_new_key_id(database, methods, monkeypatch):
    wes = f.user("Wes")
    d = destinations.add_destination(user_id=wes.id, method="paypal", parts=["wes@example.com"], now=NOW)
    old = PayoutDestination.get_by_id(d.id).secret
    monkeypatch.setenv("HITBOT_DATA_KEY_VERSION", "2")
    get_settings.cache_clear()
    assert destinations.reveal(destination_id=d.id, user_id=wes.id) == {"email": "wes@example.com"}  # old key
    assert destinations.reencrypt() == 1 and destinations.reencrypt() == 0
    row = PayoutDestination.get_by_id(d.id)
    assert row.key_id == "v2" and row.secret != old
    assert destinations.reveal(destination_id=d.id, user_id=wes.id) == {"email": "wes@example.com"}


# --- the hold, the default, withdrawals ----------------------------------------------------------

def funded(cents: int):
    wes = f.user("Wes")
    with db.atomic():
        ledger.post(key=f"seed:{wes.id}", kind="topup", legs=[(ledger.world(), -cents),
                                                              (ledger.available(wes.id), cents)], now=NOW)
    return wes


def snapshot():
    return (Payout.select().count(), LedgerTxn.select().count(), Entry.select().count(),
            [(d.id, d.is_default, d.hold_until) for d in PayoutDestination.select().order_by(PayoutDestination.id)])


def test_new_destination_holds_payouts_until_confirmed_or_expired(database, methods):
    wes = funded(10_00)
    d = destinations.add_destination(user_id=wes.id, method="sepa", parts=IBAN_DE.split(), now=NOW)
    assert d.hold_until == NOW + timedelta(hours=24)
    before = snapshot()
    with pytest.raises(PayoutOnHold, match="on hold until"):
        accounts.withdraw(worker_id=wes.id, now=NOW + timedelta(hours=1), key="k1")
    assert snapshot() == before and ledger.balance(ledger.available(wes.id)) == 10_00
    # Someone else can't lift it.
    eve = f.user("Eve")
    with pytest.raises(NotAllowed):
        destinations.confirm_destination(user_id=eve.id, destination_id=d.id, now=NOW)
    destinations.confirm_destination(user_id=wes.id, destination_id=d.id, now=NOW + timedelta(hours=1))
    payout = accounts.withdraw(worker_id=wes.id, now=NOW + timedelta(hours=1), key="k1")
    assert (payout.method, payout.destination_masked) == ("sepa", "DE89 **** **** **** 3000")
    check_invariants()


def test_the_hold_ends_by_itself_after_hitbot_payout_hold_s(database, methods):
    wes = funded(10_00)
    destinations.add_destination(user_id=wes.id, method="paypal", parts=["wes@example.com"], now=NOW)
    with pytest.raises(PayoutOnHold):
        accounts.withdraw(worker_id=wes.id, now=NOW + timedelta(hours=23, minutes=59), key="k1")
    payout = accounts.withdraw(worker_id=wes.id, now=NOW + timedelta(hours=24), key="k1")
    assert payout.method == "paypal"


def test_sepa_fee_and_minimum_in_cents(database, methods):
    wes = funded(4_99)
    d = destinations.add_destination(user_id=wes.id, method="sepa", parts=IBAN_DE.split(), now=NOW)
    destinations.confirm_destination(user_id=wes.id, destination_id=d.id, now=NOW)
    before = snapshot()
    with pytest.raises(PayoutTooSmall, match=r"\$5\.00"):  # SEPA's own minimum, not the global $1.00
        accounts.withdraw(worker_id=wes.id, now=NOW, key="k1")
    assert snapshot() == before
    with db.atomic():
        ledger.post(key="more", kind="topup", legs=[(ledger.world(), -1_01), (ledger.available(wes.id), 1_01)], now=NOW)
    quote = accounts.withdrawal_quote(worker_id=wes.id, now=NOW)
    assert (quote.available_cents, quote.minimum_cents, quote.fee_cents, quote.net_cents) == (6_00, 5_00, 25, 5_75)
    payout = accounts.withdraw(worker_id=wes.id, now=NOW, key="k1")
    assert (payout.amount_cents, payout.fee_cents) == (5_75, 25)
    assert ledger.balance(ledger.available(wes.id)) == 0
    assert ledger.balance(ledger.payout_pending(wes.id)) == 5_75
    assert ledger.balance(ledger.fees()) == 25
    check_invariants()
    # A failed payout gives the whole $6.00 back, fee included.
    accounts.start_payout(payout_id=payout.id, now=NOW)
    assert accounts.fail_payout(payout_id=payout.id, now=NOW, reason="bank said no")
    assert ledger.balance(ledger.available(wes.id)) == 6_00 and ledger.balance(ledger.fees()) == 0
    check_invariants()


def test_default_destination_is_used_and_can_be_changed(database, methods):
    wes = funded(10_00)
    sepa = destinations.add_destination(user_id=wes.id, method="sepa", parts=IBAN_DE.split(), now=NOW)
    paypal = destinations.add_destination(user_id=wes.id, method="paypal", parts=["wes@example.com"], now=NOW)
    assert [d.is_default for d in destinations.list_destinations(user_id=wes.id)] == [True, False]
    assert destinations.default_destination(user_id=wes.id).id == paypal.id  # the newest
    destinations.set_default(user_id=wes.id, destination_id=sepa.id, now=NOW)
    later = NOW + timedelta(days=2)
    payout = accounts.withdraw(worker_id=wes.id, now=later, key="k1")
    assert (payout.method, payout.amount_cents, payout.fee_cents) == ("sepa", 9_75, 25)
    destinations.remove_destination(user_id=wes.id, destination_id=sepa.id, now=later)
    assert destinations.reveal(destination_id=sepa.id, user_id=wes.id) == {"iban": IBAN_DE_COMPACT}  # still payable
    check_invariants()


def test_no_destination_refuses_and_auto_withdraw_waits(database, methods):
    wes = funded(10_00)
    before = snapshot()
    with pytest.raises(NotFound, match="/payout"):
        accounts.withdraw(worker_id=wes.id, now=NOW, key="k1")
    set_auto_withdraw(user_id=wes.id, threshold_cents=5_00, now=NOW)
    assert maybe_auto_withdraw(user_id=wes.id, now=NOW) is None
    assert snapshot() == before
    destinations.add_destination(user_id=wes.id, method="ach", parts=["011000015", "12345678"], now=NOW)
    assert maybe_auto_withdraw(user_id=wes.id, now=NOW) is None  # on hold
    payout = maybe_auto_withdraw(user_id=wes.id, now=NOW + timedelta(days=1))
    assert payout is not None and payout.method == "ach" and payout.amount_cents == 10_00


def test_bounds_on_destinations(database, methods):
    wes = f.user("Wes")
    for n in range(destinations.MAX_DESTINATIONS):
        destinations.add_destination(user_id=wes.id, method="paypal", parts=[f"w{n}@example.com"], now=NOW)
    before = snapshot()
    with pytest.raises(ValidationFailed, match="at most 5"):
        destinations.add_destination(user_id=wes.id, method="paypal", parts=["w9@example.com"], now=NOW)
    with pytest.raises(ValidationFailed):
        destinations.add_destination(user_id=wes.id, method="sepa", parts=["DE88370400440532013000"], now=NOW)
    assert snapshot() == before


def test_without_methods_withdraw_is_as_before(database):
    wes = funded(3_00)
    payout = accounts.withdraw(worker_id=wes.id, now=NOW, key="k1")
    assert (payout.amount_cents, payout.fee_cents, payout.method, payout.destination_id) == (3_00, 0, None, None)
    check_invariants()
