"""Connections of a dropped database handle are closed by agentctl, not left to the cyclic
collector (a sqlite3.Connection is in a cycle with its statement cache, and a command runs with
the collector mostly idle: agentctl.gcpolicy): the last few stay open for reuse of the file's
WAL, older ones are closed, and `close_every_db()` closes the rest when a command ends."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentctl.config import sqlitedb
from agentctl.config.sqlitedb import SqliteDb, close_every_db


class Db(SqliteDb):
    what = "the test database"

    def setup(self) -> None:
        with self.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")


@pytest.fixture(autouse=True)
def _no_collector() -> Iterator[None]:
    close_every_db()  # start with no orphans of other tests
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _dropped(path: Path) -> sqlite3.Connection:
    """Open a handle on `path`, write through it, drop it; its connection."""
    db = Db.shared(path)
    with db.write() as conn:
        conn.execute("INSERT INTO t DEFAULT VALUES")
    kept = db.connection()
    del db, conn
    return kept


def _is_open(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return False
    return True


def test_a_dropped_handles_connection_is_closed_when_the_command_ends(tmp_path: Path) -> None:
    path = tmp_path / "data" / "test.sqlite3"
    kept = _dropped(path)
    assert _is_open(kept)  # kept for a while: the next handle on the file finds its WAL
    close_every_db()
    assert not _is_open(kept)
    # The last connection's close checkpointed the WAL into the file and removed it.
    assert not path.with_name("test.sqlite3-wal").exists()
    check = sqlite3.connect(path)
    try:
        assert check.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1
    finally:
        check.close()


def test_only_the_last_few_dropped_connections_stay_open(tmp_path: Path) -> None:
    kept = [_dropped(tmp_path / f"d{i}" / "test.sqlite3") for i in range(12)]
    still_open = [_is_open(conn) for conn in kept]
    assert still_open == [False] * (12 - sqlitedb._ORPHANS_KEPT) + [True] * sqlitedb._ORPHANS_KEPT
    close_every_db()
    assert not any(_is_open(conn) for conn in kept)
