"""`SqliteDb.reading()`: the queries of a block read one snapshot; a write inside the block
ends it (never upgrades it); an error inside the block ends it too."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from agentctl.config.sqlitedb import SqliteDb


class Db(SqliteDb):
    what = "the test database"

    def setup(self) -> None:
        with self.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, who TEXT NOT NULL)")


def _open(tmp_path: Path) -> Db:
    return Db.shared(tmp_path / "data" / "test.sqlite3")


def _count(db: SqliteDb) -> int:
    row = db.row("SELECT COUNT(*) AS n FROM t")
    return int(row["n"]) if row else -1


def _insert_elsewhere(db: SqliteDb, who: str) -> None:
    """A write from another thread (its own connection), as another request would make."""
    thread = threading.Thread(target=lambda: _insert(db, who))
    thread.start()
    thread.join(10)


def _insert(db: SqliteDb, who: str) -> None:
    with db.write() as conn:
        conn.execute("INSERT INTO t (who) VALUES (?)", (who,))


def test_the_block_reads_one_snapshot(tmp_path: Path) -> None:
    db = _open(tmp_path)
    _insert(db, "before")
    with db.reading():
        assert _count(db) == 1
        _insert_elsewhere(db, "meanwhile")
        assert _count(db) == 1  # still the snapshot the block started with
    assert _count(db) == 2  # the next query sees the write
    assert not db.connection().in_transaction


def test_without_a_block_each_query_sees_the_latest_state(tmp_path: Path) -> None:
    db = _open(tmp_path)
    assert _count(db) == 0
    _insert_elsewhere(db, "meanwhile")
    assert _count(db) == 1


def test_a_write_inside_ends_the_snapshot_and_is_committed(tmp_path: Path) -> None:
    db = _open(tmp_path)
    with db.reading():
        assert _count(db) == 0
        _insert_elsewhere(db, "meanwhile")  # the snapshot is now stale
        _insert(db, "inside")  # would fail if it tried to upgrade the stale snapshot
        assert _count(db) == 2
        with db.reading():  # nested: the same (autocommit) state, no error
            assert _count(db) == 2
    other = sqlite3.connect(db.path)
    try:
        assert other.execute("SELECT who FROM t ORDER BY id").fetchall() == [
            ("meanwhile",),
            ("inside",),
        ]
    finally:
        other.close()


def _refused_while_reading(db: SqliteDb) -> None:
    with db.reading():
        _count(db)
        raise LookupError("refused")


def test_an_error_inside_ends_the_snapshot(tmp_path: Path) -> None:
    db = _open(tmp_path)
    with pytest.raises(LookupError):
        _refused_while_reading(db)
    assert not db.connection().in_transaction
    _insert_elsewhere(db, "after")
    assert _count(db) == 1
