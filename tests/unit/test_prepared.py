"""core.prepared: a query built once gives what peewee itself gives, with each call's values
(SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from peewee import JOIN

from core.db import db, is_sqlite, tx
from core.models import Assignment, Hit, User
from core.outbox import OutboxEvent
from core.prepared import Prepared, param
from tests import factories as f
from tests.conftest import NOW

_WITH_HIT = Prepared(lambda: Assignment.select(Assignment, Hit, User).join(Hit).switch(Assignment)
                     .join(User, on=(Assignment.worker == User.id)).where(Assignment.id == param("id")))
_LEFT = Prepared(lambda: Hit.select(Hit, Assignment.id)
                 .join(Assignment, JOIN.LEFT_OUTER, on=((Assignment.hit == Hit.id) & (Assignment.worker == param("w"))),
                       attr="mine").where((Hit.id == param("hit")) & (Hit.requester != param("w"))))
_DUE = Prepared(lambda: Hit.select(Hit.id).where(Hit.expires_at > param("now", Hit.expires_at)).order_by(Hit.id))
_PREFS = Prepared(lambda: User.update(prefs=param("prefs", User.prefs)).where(User.id == param("id")))
_EVENT = Prepared(lambda: OutboxEvent.insert(kind=param("kind"), user_id=None, payload=param("p", OutboxEvent.payload),
                                             created_at=param("now", OutboxEvent.created_at), attempts=0))


def test_rows_come_back_as_peewee_gives_them_with_each_calls_values(database):
    rita = f.requester()
    hits = [f.hit(rita.id, title=f"T{i}") for i in range(2)]
    wes, willa = f.user("Wes"), f.user("Willa")
    with tx():
        mine = [Assignment.create(hit=h.id, worker=w.id, accepted_at=NOW, deadline=NOW + timedelta(hours=1))
                for h, w in ((hits[0], wes), (hits[1], willa))]
    for a, h, w in ((mine[0], hits[0], wes), (mine[1], hits[1], willa)):
        got = _WITH_HIT.first(id=a.id)
        assert (got.id, got.hit.title, got.worker.first_name) == (a.id, h.title, w.first_name)
        assert got.deadline == NOW + timedelta(hours=1) and got.deadline.tzinfo is not None
    assert _WITH_HIT.first(id=10**9) is None
    # One name used twice; a left join that matches nothing gives no id.
    assert _LEFT.first(hit=hits[0].id, w=wes.id).mine.id == mine[0].id
    assert getattr(_LEFT.first(hit=hits[0].id, w=willa.id), "mine", None) is None  # as peewee leaves it
    assert _LEFT.first(hit=hits[0].id, w=rita.id) is None
    # A datetime parameter converted as its field converts it (aware UTC in, stored naive).
    assert [h.id for h in _DUE.rows(now=NOW)] == [h.id for h in hits]
    assert _DUE.rows(now=NOW + timedelta(days=365)) == []


def test_writes_convert_their_values_and_say_what_they_changed(database):
    wes = f.user("Wes")
    with tx():
        assert _PREFS.rowcount(prefs={"browse": {"f": {"sort": "reward"}}}, id=wes.id) == 1
        assert _PREFS.rowcount(prefs={}, id=10**9) == 0
        first = _EVENT.insert(kind="x.one", p={"n": 1}, now=NOW)
        second = _EVENT.insert(kind="x.two", p={"n": 2}, now=NOW)
    assert User.get_by_id(wes.id).prefs == {"browse": {"f": {"sort": "reward"}}}
    assert second > first
    assert (OutboxEvent.get_by_id(second).kind, OutboxEvent.get_by_id(second).payload) == ("x.two", {"n": 2})


def test_an_insert_may_not_freeze_a_default_computed_per_row(database):
    from peewee import DateTimeField, Model

    from core.db import db

    class Stamped(Model):
        at = DateTimeField(default=lambda: NOW)

        class Meta:
            database = db

    with pytest.raises(ValueError, match="at"):
        Prepared(lambda: Stamped.insert()).execute()


def _rename_quick():
    from peewee import fn

    from core.db import is_sqlite

    # On PostgreSQL the row also says whether its commit waited for the disk.
    said = [] if is_sqlite() else [fn.current_setting("synchronous_commit").alias("sync")]
    return User.update(first_name=param("name")).where(User.id == param("id")).returning(User.id, User.first_name, *said)


_RENAME_QUICK = Prepared(_rename_quick, durable=False)


def _synchronous_commit() -> str | None:
    from core.db import db, is_sqlite

    return None if is_sqlite() else db.execute_sql("SHOW synchronous_commit").fetchone()[0]


def test_a_statement_that_need_not_wait_for_the_disk_does_its_work_and_nothing_else_skips_the_wait(database):
    wes = f.user("Wes")
    before = _synchronous_commit()
    # On its own: its change is made and handed back, and the next statement waits for the disk again.
    [row] = _RENAME_QUICK.rows(name="Wesley", id=wes.id)
    assert (row.id, row.first_name, getattr(row, "sync", None)) == (wes.id, "Wesley", before and "off")
    assert User.get_by_id(wes.id).first_name == "Wesley"
    assert _synchronous_commit() == before
    # Inside a transaction it runs as written: the transaction's commit still waits for the disk.
    with tx():
        [row] = _RENAME_QUICK.rows(name="Wes", id=wes.id)
        assert getattr(row, "sync", None) == before
        assert _synchronous_commit() == before
    assert User.get_by_id(wes.id).first_name == "Wes"
    assert before in (None, "on")


_PLANNED = Prepared(lambda: Assignment.select(Assignment, Hit, User).join(Hit).switch(Assignment)
                    .join(User, on=(Assignment.worker == User.id)).where(Assignment.id == param("id")), planned=True)


def test_a_planned_query_gives_what_peewee_gives_on_every_connection(database):
    """planned=True: PREPAREd once per PostgreSQL connection, then EXECUTEd (SQLite runs it as written);
    a new connection (the pool's next, after a close) prepares it again."""
    rita = f.requester()
    hit = f.hit(rita.id, title="Planned")
    wes = f.user("Wes")
    with tx():
        a = Assignment.create(hit=hit.id, worker=wes.id, accepted_at=NOW, deadline=NOW + timedelta(hours=1))
    for _ in range(3):
        for _ in range(7):  # past PostgreSQL's five custom plans, onto its generic one
            got = _PLANNED.first(id=a.id)
            assert (got.id, got.hit.title, got.worker.first_name, got.deadline) == \
                (a.id, "Planned", "Wes", NOW + timedelta(hours=1))
            assert _PLANNED.first(id=10**9) is None
        with tx():  # inside a transaction too (PostgreSQL: its BEGIN goes out with the PREPARE or EXECUTE)
            assert _PLANNED.first(id=a.id).worker.first_name == "Wes"
        if not is_sqlite():  # the server holds it under its name on this connection
            names = {row[0] for row in db.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()}
            assert _PLANNED._planned in names
        db.close()
