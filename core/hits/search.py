"""Keyword search over HITs' titles and keywords: a case-insensitive substring of either.

PostgreSQL answers ILIKE '%word%' from pg_trgm indexes (migration 6). SQLite has no such
index, so a word no HIT has scanned every open HIT (100k: 33-121 ms); migration 13 gives it
an FTS5 table with the trigram tokenizer (SQLite 3.34+) holding the open HITs, kept in step
by triggers on the hit table, so every writer (a bulk batch included) keeps it true. A
trigram index needs 3 characters: shorter words, words so common that the scan meets a page
of them at once, and SQLite builds without FTS5 or the trigram tokenizer, scan as before
(with a case fold that knows non-ASCII letters, as FTS5's and PostgreSQL's ILIKE do)."""
from __future__ import annotations

import logging

from peewee import SQL, DatabaseError, Expression, fn

from core.db import db, is_sqlite
from core.models import Hit, HitStatus

log = logging.getLogger(__name__)

FTS_TABLE = "hit_fts"
MIN_TRIGRAM = 3
_READY = "_hitbot_keyword_fts"  # attribute on the database object: the table exists

# Only open HITs are indexed (what browse shows); a HIT leaves the index when it closes or goes.
_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS hit_fts_insert AFTER INSERT ON hit WHEN new.status = '{HitStatus.OPEN}'
    BEGIN
        INSERT INTO {FTS_TABLE} (rowid, title, keywords) VALUES (new.id, new.title, new.keywords);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS hit_fts_delete AFTER DELETE ON hit WHEN old.status = '{HitStatus.OPEN}'
    BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS hit_fts_update AFTER UPDATE OF status, title, keywords ON hit
    WHEN old.status IS NOT new.status OR old.title IS NOT new.title OR old.keywords IS NOT new.keywords
    BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        INSERT INTO {FTS_TABLE} (rowid, title, keywords)
            SELECT new.id, new.title, new.keywords WHERE new.status = '{HitStatus.OPEN}';
    END""",
)


def install() -> bool:
    """SQLite: create the trigram table, its triggers and its rows (migration 13; safe to run
    again). False, with a warning, where FTS5 or its trigram tokenizer is missing."""
    if not is_sqlite():
        return False
    try:
        with db.atomic():  # a savepoint: a refusal must not abort the migration
            db.execute_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, keywords, "
                           "tokenize = 'trigram')")
    except DatabaseError as error:
        log.warning("SQLite has no FTS5 trigram tokenizer (%s; needs 3.34+); keyword search will scan open HITs",
                    error)
        return False
    for sql in _TRIGGERS:
        db.execute_sql(sql)
    db.execute_sql(f"DELETE FROM {FTS_TABLE}")
    db.execute_sql(f"INSERT INTO {FTS_TABLE} (rowid, title, keywords) SELECT id, title, keywords FROM hit "
                   "WHERE status = ?", (HitStatus.OPEN,))
    setattr(db.obj, _READY, True)
    return True


def _indexed() -> bool:
    """Whether this SQLite database has the trigram table (looked up once per database)."""
    ready = getattr(db.obj, _READY, None)
    if ready is None:
        ready = db.execute_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (FTS_TABLE,)).fetchone() is not None
        setattr(db.obj, _READY, ready)
    return ready


FEW = 500  # matches worth fetching by id; a keyword this common is found faster by the scan


def few_matches(keyword: str) -> list[int] | None:
    """SQLite: the ids of the open HITs whose title or keywords contain `keyword` (lower-case),
    from the trigram index, when there are at most FEW of them (none at all for a word no HIT
    has); None when the index cannot answer (short word, common word, no FTS5): scan instead."""
    if not (is_sqlite() and len(keyword) >= MIN_TRIGRAM and _indexed()):
        return None
    phrase = '"' + keyword.replace('"', '""') + '"'  # one FTS5 string: every character literal
    ids = [i for (i,) in db.execute_sql(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
                                        "ORDER BY rowid DESC LIMIT ?", (phrase, FEW + 1))]
    return ids if len(ids) <= FEW else None


def hit_in(ids: list[int]) -> Expression:
    """Hit.id IN these ids, as one SQL fragment (peewee's IN of thousands of values costs more to build)."""
    return Hit.id.in_(SQL("(" + ", ".join("?" * len(ids)) + ")", ids))


def keyword_matches(keyword: str) -> Expression:
    """The condition 'the title or the keywords contain `keyword`', case-insensitively
    (`keyword` is already lower-case)."""
    ids = few_matches(keyword)
    if ids is not None:  # a rare word (the scan's worst case): the HITs by id
        return hit_in(ids)
    # A common word: the browse order's index meets matches at once, and stops after a page.
    if is_sqlite():
        if not keyword.isascii():
            return fn.hitbot_contains(Hit.title, keyword) | fn.hitbot_contains(Hit.keywords, keyword)
        # instr, not LIKE: '%' and '_' in a worker's keyword are text (lower() folds ASCII, as LIKE did)
        return (fn.instr(fn.lower(Hit.title), keyword) > 0) | (fn.instr(fn.lower(Hit.keywords), keyword) > 0)
    return pattern_matches(like_pattern(keyword))


def like_pattern(keyword: str) -> str:
    """PostgreSQL: the ILIKE pattern of a keyword. LIKE escapes with a backslash by default; pg_trgm
    still answers the escaped pattern."""
    return "%" + keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def pattern_matches(pattern) -> Expression:
    """PostgreSQL: the title or the keywords match this ILIKE pattern (a value, or a prepared query's param)."""
    return (Hit.title ** pattern) | (Hit.keywords ** pattern)
