"""Keyword search in /browse (issue 21): a case-insensitive substring of the title or the
keywords, the same on SQLite (FTS5 trigram table, migration 13) and PostgreSQL (pg_trgm):
inside a word, any case, Cyrillic, two letters, quotes; closed and deleted HITs are not found,
an edited title is found by its new words, a bulk batch's HITs are found, and SQLite without
the trigram tokenizer still searches."""
from __future__ import annotations

import pytest

from core.db import db, is_sqlite
from core.hits import publishing, search
from core.migrations import SchemaVersion, migrate
from core.models import Hit, HitStatus
from core.work.browse import Filters, list_open_hits
from tests import factories as f

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def hits():
    r = f.requester(1_000_00)
    made = {
        "signs": f.hit(r.id, title="Transcribe STREET signs", keywords=["photos", "ocr"]),
        "receipts": f.hit(r.id, title="Copy totals", keywords=["receipts", "money"]),
        "cats": f.hit(r.id, title="Разметка Кошек на фото", keywords=["животные"]),
        "quote": f.hit(r.id, title='Rate the "best" answer', keywords=["ab testing"]),
    }
    return f.user(), made


def found(worker, keyword: str, now) -> set[int]:
    page = list_open_hits(worker_id=worker.id, filters=Filters(keyword=keyword), now=now, limit=50)
    return {c.hit.id for c in page.cards}


@pytest.fixture(params=["index", "scan"])
def way(request, monkeypatch):
    """Each case both ways on SQLite: from the trigram table, and by the scan a common word takes."""
    if request.param == "scan":
        monkeypatch.setattr(search, "FEW", 0)
    return request.param


@pytest.mark.parametrize(("keyword", "expected"), [
    ("reet", {"signs"}),  # inside a word, in the title
    ("street", {"signs"}),  # the title says STREET
    ("StReEt SiGnS", {"signs"}),  # typed in any case, across a space
    ("eipt", {"receipts"}),  # inside a keyword
    ("кошек", {"cats"}),  # Cyrillic, the title capitalised
    ("КОШ", {"cats"}),
    ("вотн", {"cats"}),
    ("ко", {"cats"}),  # two letters: no trigram, the scan
    ("ab", {"quote"}),
    ('"best"', {"quote"}),  # quotes are text, not search syntax
    ("o", {"signs", "receipts"}),  # one letter (Latin: фото has a Cyrillic о)
    ("zebra-crossing", set()),
])
def test_a_keyword_matches_case_insensitive_substrings_of_title_or_keywords(hits, way, keyword, expected, now):
    worker, made = hits
    assert found(worker, keyword, now) == {made[name].id for name in expected}


@pytest.mark.parametrize(("keyword", "expected"), [
    ("%", {"grade"}),  # LIKE's wildcards are the worker's text, not pattern syntax
    ("0%", {"grade"}),
    ("50%", {"grade"}),
    ("_", {"file"}),
    ("e_n", {"file"}),
    ("_0", set()),  # as a pattern it would match "100" and "50"
    ("1_0", set()),
    ("\\", set()),  # a backslash (the escape character) is text too
])
def test_percent_underscore_and_backslash_are_searched_literally(way, keyword, expected, now):
    r, worker = f.requester(1_000_00), f.user()
    made = {"grade": f.hit(r.id, title="Grade 50% of samples"), "rate": f.hit(r.id, title="Rate 100 photos"),
            "file": f.hit(r.id, title="Check file_name fields")}
    assert found(worker, keyword, now) == {made[name].id for name in expected}


def test_closed_deleted_and_edited_hits_are_searched_as_they_are_now(hits, way, now):
    worker, made = hits
    Hit.update(status=HitStatus.CLOSED, available=0).where(Hit.id == made["signs"].id).execute()
    Hit.delete().where(Hit.id == made["receipts"].id).execute()
    Hit.update(title="Разметка собак").where(Hit.id == made["cats"].id).execute()
    assert found(worker, "street", now) == set()
    assert found(worker, "eipt", now) == set()
    assert found(worker, "кошек", now) == set()
    assert found(worker, "собак", now) == {made["cats"].id}
    assert found(worker, "вотн", now) == {made["cats"].id}  # its keywords are unchanged
    Hit.update(status=HitStatus.OPEN, available=1).where(Hit.id == made["signs"].id).execute()
    assert found(worker, "street", now) == {made["signs"].id}  # open again, found again


def test_a_bulk_published_batch_is_found_by_keyword(way, now):
    r, worker = f.requester(1_000_00), f.user()
    rows = [{"name": f"heron{i:03d}"} for i in range(120)]
    batch = publishing.publish_batch(requester_id=r.id, title="birds", template=f.spec(title="Find the ${name}"),
                                     rows=rows, now=now)
    ids = [h.id for h in Hit.select(Hit.id).where(Hit.batch == batch.id).order_by(Hit.id)]
    slots = Hit.get_by_id(ids[0]).max_assignments

    def entry(keyword: str):
        (card,) = list_open_hits(worker_id=worker.id, filters=Filters(keyword=keyword), now=now, limit=50).cards
        return card.hit.id, card.available

    # A batch is one group (issue #17): one entry, shown by its first matching HIT, with the group's open slots.
    assert entry("heron07") == (ids[70], 120 * slots)
    assert entry("ERON119") == (ids[119], 120 * slots)
    assert entry("find the") == (ids[0], 120 * slots)  # the common phrase: every row


def test_the_trigram_table_holds_exactly_the_open_hits(hits, now):
    if not is_sqlite():
        pytest.skip("SQLite's FTS5 table; PostgreSQL indexes the hit table itself")
    _, made = hits
    Hit.update(status=HitStatus.CLOSED).where(Hit.id == made["quote"].id).execute()
    indexed = {i for (i,) in db.execute_sql(f"SELECT rowid FROM {search.FTS_TABLE}")}
    assert indexed == {h.id for h in Hit.select(Hit.id).where(Hit.status == HitStatus.OPEN)}
    assert made["quote"].id not in indexed and len(indexed) == 3


def test_sqlite_without_the_trigram_tokenizer_migrates_and_still_searches(hits, monkeypatch, caplog, now):
    if not is_sqlite():
        pytest.skip("SQLite only")
    worker, made = hits
    db.execute_sql(f"DROP TABLE {search.FTS_TABLE}")
    for trigger in ("hit_fts_insert", "hit_fts_delete", "hit_fts_update"):
        db.execute_sql(f"DROP TRIGGER {trigger}")
    SchemaVersion.delete().where(SchemaVersion.version == 13).execute()
    real = db.obj.execute_sql

    def no_trigram(sql, *args, **kwargs):  # an SQLite before 3.34: a real error from the server
        if sql.startswith("CREATE VIRTUAL TABLE"):
            sql = sql.replace("'trigram'", "'hitbot_no_such_tokenizer'")
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", no_trigram)
    vars(db.obj).pop(search._READY, None)  # what a process starting on this database knows
    assert 13 in migrate()
    monkeypatch.undo()
    vars(db.obj).pop(search._READY, None)
    assert "no FTS5 trigram tokenizer" in caplog.text
    assert found(worker, "кошек", now) == {made["cats"].id} and found(worker, "reet", now) == {made["signs"].id}
    # A later deploy on an SQLite that has it: the table back, filled, for the other tests.
    SchemaVersion.delete().where(SchemaVersion.version == 13).execute()
    vars(db.obj).pop(search._READY, None)
    assert 13 in migrate()
    assert found(worker, "кошек", now) == {made["cats"].id}
    assert db.execute_sql(f"SELECT count(*) FROM {search.FTS_TABLE}").fetchone()[0] == 4


def test_a_rare_word_reads_its_groups_by_id_not_every_group(hits, now):
    from core.work import browse

    if not is_sqlite():
        pytest.skip("SQLite's FTS5 table; PostgreSQL answers from its trigram indexes")
    worker, made = hits
    for word, expected in (("zebra-crossing", set()), ("eipt", {made["receipts"].id})):
        query = browse._groups_for(worker.id, now, word).order_by(browse.HitGroup.newest_hit_id.desc())
        sql, params = query.sql()
        plan = [str(r[-1]) for r in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
        assert plan[0].startswith("SEARCH") and "PRIMARY KEY" in plan[0], plan  # not a SCAN of hit_group
        assert found(worker, word, now) == expected
