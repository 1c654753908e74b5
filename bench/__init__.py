"""Benchmarks that print figures and keep their section of BENCHMARKS.md up to date."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
INTRO = """# Benchmarks

Figures written by the scripts in `bench/` (each owns the section between its
`<!-- bench:NAME -->` markers and rewrites only that). Re-run a script to refresh its
section; the machine and database each figure came from are stated with it.
"""


def _replace(text: str, start: str, end: str, body: str) -> str:
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    return text.rstrip("\n") + "\n\n" + block + "\n"


def write_section(name: str, body: str, *, part: str | None = None, path: Path = BENCHMARKS) -> None:
    """Replace (or append) the `<!-- bench:NAME -->` section of BENCHMARKS.md, keeping the rest.
    With `part`, only that part of the section (e.g. one database's figures) is replaced."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text() if path.exists() else INTRO
    if part is not None:
        found = re.search(re.escape(start) + r"(.*?)" + re.escape(end), text, re.S)
        inner = found.group(1) if found else ""
        body = _replace(inner, f"<!-- {name}:{part} -->", f"<!-- /{name}:{part} -->", body)
    path.write_text(_replace(text, start, end, body))


def open_database(pg_url: str | None, workdir: str, prefix: str = "hitbot_bench") -> tuple[str, Callable[[], None]]:
    """A fresh, migrated database: a private one on the PostgreSQL server `pg_url` (dropped by
    the returned function), or an SQLite file in `workdir`."""
    from core.db import init_db
    from core.migrations import migrate
    from tests.pgdb import private_database

    url, drop = private_database(pg_url, prefix) if pg_url else (f"sqlite:///{workdir}/bench.sqlite3", lambda: None)
    init_db(url)
    migrate()
    return url, drop
