"""A database handle that is dropped closes the connections it opened at once, without the
cyclic collector (a sqlite3.Connection is in a cycle with its statement cache, and a command
runs with the collector mostly idle: agentctl.gcpolicy)."""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

import pytest

from agentctl.config.sqlitedb import SqliteDb


class Db(SqliteDb):
    what = "the test database"

    def setup(self) -> None:
        with self.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)")


def test_a_dropped_handle_closes_its_connections_and_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "data" / "test.sqlite3"
    gc.disable()
    try:
        db = Db.shared(path)
        with db.write() as conn:
            conn.execute("INSERT INTO t DEFAULT VALUES")
        kept = db.connection()
        assert path.with_name("test.sqlite3-wal").exists()
        del db, conn
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            kept.execute("SELECT 1")
        # The last connection's close checkpointed the WAL into the file and removed it.
        assert not path.with_name("test.sqlite3-wal").exists()
    finally:
        gc.enable()
    check = sqlite3.connect(path)
    try:
        assert check.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1
    finally:
        check.close()
