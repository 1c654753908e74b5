"""core.db.tx(durable=False): a person's own progress commits without waiting for the disk, and
nothing that others are told of (an outbox event, money) may ride in such a commit (SQLite and
PostgreSQL)."""
from __future__ import annotations

import pytest

from core import ledger
from core.db import db, is_sqlite, tx
from core.models import OutboxEvent, User
from core.outbox import emit
from core.users.commands import get_user, write_prefs
from tests import factories as f
from tests.conftest import NOW


def _flush_setting() -> str:
    if is_sqlite():
        return {0: "off", 1: "normal", 2: "full", 3: "extra"}[db.execute_sql("PRAGMA synchronous").fetchone()[0]]
    return db.execute_sql("SHOW synchronous_commit").fetchone()[0]


def test_a_relaxed_commit_is_kept_and_the_connection_is_durable_again(database):
    wes = f.user("Wes")
    durable = _flush_setting()
    assert durable in ("full", "on")
    with tx(durable=False):
        assert _flush_setting() in ("normal", "off")  # this commit does not wait for the disk
        write_prefs(get_user(wes.id), {"browse": {"f": {"sort": "reward"}}})
    assert User.get_by_id(wes.id).prefs == {"browse": {"f": {"sort": "reward"}}}
    assert _flush_setting() == durable  # the next transaction waits again
    with tx():
        assert _flush_setting() == durable


def test_an_event_or_money_in_a_relaxed_transaction_is_refused_and_nothing_is_kept(database):
    rita = f.requester(10_00)
    wes = f.user("Wes")
    events = OutboxEvent.select().count()
    with pytest.raises(RuntimeError, match="durable"), tx(durable=False):
        write_prefs(get_user(wes.id), {"browse": {"f": {"sort": "reward"}}})
        emit("submission.received", user_id=rita.id, now=NOW, assignment_id=1, hit_id=1)
    assert OutboxEvent.select().count() == events and not User.get_by_id(wes.id).prefs
    before = ledger.balance(ledger.available(rita.id))
    with pytest.raises(RuntimeError, match="durable"), tx(durable=False):
        ledger.post(key="relaxed-test", kind="test", legs=[(ledger.available(rita.id), -100),
                                                            (ledger.available(wes.id), 100)], now=NOW)
    assert ledger.balance(ledger.available(rita.id)) == before
    # The same in an ordinary transaction goes through (the refusal is about the commit, not the change).
    with tx():
        emit("submission.received", user_id=rita.id, now=NOW, assignment_id=1, hit_id=1)
    assert OutboxEvent.select().count() == events + 1


def test_inside_a_durable_transaction_a_relaxed_one_changes_nothing(database):
    rita = f.requester(10_00)
    events = OutboxEvent.select().count()
    with tx():
        with tx(durable=False):
            emit("submission.received", user_id=rita.id, now=NOW, assignment_id=1, hit_id=1)
        assert _flush_setting() in ("full", "on")
    assert OutboxEvent.select().count() == events + 1


def test_a_transaction_that_opens_the_connection_keeps_its_work(database):
    """PostgreSQL sends BEGIN with the transaction's first statement (core.db): a transaction begun on
    a closed (pooled) connection opens it first, so its work is one transaction that commits, or none."""
    wes = f.user("Wes")
    db.close()
    with tx():
        write_prefs(get_user(wes.id), {"browse": {"f": {"sort": "reward"}}})
    assert User.get_by_id(wes.id).prefs == {"browse": {"f": {"sort": "reward"}}}
    db.close()
    with pytest.raises(ZeroDivisionError), tx():
        write_prefs(get_user(wes.id), {"browse": {"f": {"sort": "newest"}}})
        1 / 0  # noqa: B018
    assert User.get_by_id(wes.id).prefs == {"browse": {"f": {"sort": "reward"}}}
    db.close()
    with tx():  # nothing ran: nothing is sent, the connection is fit for the next one
        pass
    with tx():
        assert User.get_by_id(wes.id).first_name == "Wes"


def test_a_first_statement_refused_before_the_server_keeps_the_transaction_whole(database):
    """A value the driver can't send (a NUL in a string) fails the first statement before anything goes
    out; the deferred BEGIN waits for the next one, so a rollback still undoes what followed."""
    wes = f.user("Wes")
    with pytest.raises(ZeroDivisionError), tx():
        with pytest.raises(ValueError):
            db.execute_sql('UPDATE "user" SET first_name = %s WHERE id = %s' if not is_sqlite() else
                           'UPDATE "user" SET first_name = ? WHERE id = ?', (_unsendable(), wes.id))
        write_prefs(get_user(wes.id), {"browse": {"f": {"sort": "reward"}}})
        1 / 0  # noqa: B018
    assert not User.get_by_id(wes.id).prefs and User.get_by_id(wes.id).first_name == "Wes"


def _unsendable():
    """A parameter both drivers refuse before sending: psycopg2 a NUL in a string, sqlite3 a type it can't bind."""
    return "a\x00b" if not is_sqlite() else ValueErrorOnBind()


class ValueErrorOnBind:
    def __conform__(self, protocol):
        raise ValueError("not bindable")
