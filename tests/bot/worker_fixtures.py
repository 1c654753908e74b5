"""Shared by the tests/bot/test_worker_*.py modules."""
from __future__ import annotations

import pytest

from core.db import db


@pytest.fixture(autouse=True)
def release_connections(database):
    """Give back the pooled PostgreSQL connections this test's executor threads checked out.

    Each test runs on a new event loop whose worker threads die with it, without returning
    their connections; left alone they pile up until the pool (or the server) is full."""
    yield
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
