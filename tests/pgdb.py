"""A throwaway database of one's own on a shared PostgreSQL server (tests and benchmarks),
so runs that share the server never see each other's rows."""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit


def private_database(url: str, prefix: str | None = None) -> tuple[str, Callable[[], None]]:
    """Create it; returns its URL and a function that closes our connections and drops it."""
    import psycopg2

    from core.db import db

    parts = urlsplit(url)
    name = f"{prefix or parts.path.lstrip('/') or 'test'}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        if db.obj is not None:
            db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return urlunsplit(parts._replace(path=f"/{name}")), drop
