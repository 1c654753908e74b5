"""core.outbox.emit_together: a change's few events in one statement, each with its own id (SQLite's
consecutive ids and PostgreSQL's RETURNING), relayed after the commit like any emit."""
from __future__ import annotations

from core import outbox
from core.db import tx
from core.models import OutboxEvent
from tests.conftest import NOW


def test_events_emitted_together_come_back_with_the_ids_of_their_own_rows(database):
    heard: list[list[int]] = []
    outbox.subscribe(heard.append)
    try:
        with tx():
            outbox.emit("before", user_id=1, now=NOW)
            got = outbox.emit_together(NOW, ("a.one", 7, {"n": 1}), ("b.two", None, {"n": 2}),
                                       ("c.three", 9, {"n": 3}))
    finally:
        outbox.unsubscribe(heard.append)
    rows = {e.id: e for e in OutboxEvent.select()}
    assert [(rows[e.id].kind, rows[e.id].user_id, rows[e.id].payload) for e in got] == \
        [("a.one", 7, {"n": 1}), ("b.two", None, {"n": 2}), ("c.three", 9, {"n": 3})]
    assert len({e.id for e in got}) == 3 and heard and set(heard[-1]) >= {e.id for e in got}
