"""Fixtures the race tests share."""
from __future__ import annotations

import pytest

from tests.integration.racing import ProcessRacer, run_threads


# At most 12 connections at a time: the PostgreSQL server is shared with other test runs.
@pytest.fixture(scope="module")
def process_racer(_schema: str):
    racer = ProcessRacer(_schema, processes=3, threads=4)
    yield racer
    racer.close()


@pytest.fixture(params=["threads", "processes"])
def race(request):
    """race(calls) -> outcomes, with threads in this process or with spawned processes."""
    if request.param == "threads":
        return lambda calls: run_threads(calls, threads=12)
    return request.getfixturevalue("process_racer").run
