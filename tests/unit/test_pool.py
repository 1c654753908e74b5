"""The PostgreSQL pool hands out a connection without a round trip, and never one the server ended
while it sat in the pool (a restart, pg_terminate_backend, an idle timeout)."""
from __future__ import annotations

import os
import resource
import socket
import time

import psycopg2
import pytest

from core.db import _readable, db, is_sqlite, release

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
def admin(database):
    if is_sqlite():
        pytest.skip("PostgreSQL's connection pool")
    conn = psycopg2.connect(database)
    conn.autocommit = True
    yield conn.cursor()
    conn.close()


def _backend() -> int:
    return db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def test_a_connection_the_server_ended_while_pooled_is_replaced_not_handed_out(admin):
    pid = _backend()
    release()
    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
        if admin.fetchone()[0] == 0:
            break
        time.sleep(0.02)
    new_pid = _backend()  # no error: the ended connection was left behind, a new one opened
    assert new_pid != pid
    release()


def test_handing_out_a_pooled_connection_sends_nothing_to_the_server(admin):
    db.execute_sql("SELECT 'the last thing this connection ran'")
    pid = db.connection().info.backend_pid
    release()
    db.connect()  # the pool's check-out: the same connection, as it was
    assert db.connection().info.backend_pid == pid
    admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,))
    assert admin.fetchone()[0] == "SELECT 'the last thing this connection ran'"
    release()


def test_a_socket_numbered_past_select_s_limit_is_judged_too():
    """A busy bot holds hundreds of HTTP connections, so its database sockets can be numbered past 1023,
    where select() refuses them (and every check-out would then open a new connection)."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] <= 1500:
        pytest.skip("this process may not open descriptor 1500")
    a, b = socket.socketpair()
    high = os.dup2(a.fileno(), 1500)
    try:
        assert not _readable(high)
        b.send(b"x")  # the server's goodbye, say
        assert _readable(high)
    finally:
        os.close(high)
        a.close()
        b.close()
