"""SQLite storage for the embedded IdP.

One database file (default `<data_dir>/idp.sqlite3`, dir 0700, file 0600) shared by every
process that serves or administers the IdP. Rules that keep several processes safe on it:

- WAL journal, `synchronous=NORMAL` (a killed process loses nothing it committed; only a power
  cut can drop the last transactions), `busy_timeout` so writers queue instead of failing.
- Every write runs in `Store.write()`: `BEGIN IMMEDIATE` takes the write lock up front, so a
  read snapshot is never upgraded mid-transaction (the case `busy_timeout` cannot wait out).
- One connection per thread and per process (connections never cross a `fork`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agentctl.idp.constants import DB_FILENAME

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS issuers (
        name TEXT PRIMARY KEY, kind TEXT NOT NULL, settings TEXT NOT NULL,
        created_at INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS keys (
        kid TEXT PRIMARY KEY, issuer TEXT NOT NULL, alg TEXT NOT NULL,
        private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL, created_at INTEGER NOT NULL,
        retired_at INTEGER, publish_until INTEGER)""",
    "CREATE INDEX IF NOT EXISTS keys_issuer ON keys(issuer)",
    """CREATE TABLE IF NOT EXISTS clients (
        issuer TEXT NOT NULL, client_id TEXT NOT NULL, secret_hash TEXT,
        metadata TEXT NOT NULL, registration_token_hash TEXT,
        client_id_issued_at INTEGER NOT NULL, PRIMARY KEY (issuer, client_id))""",
    """CREATE TABLE IF NOT EXISTS agents (
        issuer TEXT NOT NULL, client_id TEXT NOT NULL, name TEXT NOT NULL,
        description TEXT NOT NULL, sponsor TEXT NOT NULL, credential_type TEXT NOT NULL,
        may_act_for TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, client_id))""",
    """CREATE TABLE IF NOT EXISTS users (
        issuer TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
        password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (issuer, name))""",
    """CREATE TABLE IF NOT EXISTS delegations (
        issuer TEXT NOT NULL, user_sub TEXT NOT NULL, agent_client_id TEXT NOT NULL,
        scopes TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, user_sub, agent_client_id))""",
    """CREATE TABLE IF NOT EXISTS tokens (
        jti TEXT PRIMARY KEY, issuer TEXT NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL,
        sub TEXT NOT NULL, parent_jti TEXT, actor_jti TEXT, iat INTEGER NOT NULL,
        exp INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS tokens_parent ON tokens(parent_jti)",
    """CREATE TABLE IF NOT EXISTS assertion_jtis (
        issuer TEXT NOT NULL, client_id TEXT NOT NULL, jti TEXT NOT NULL, exp INTEGER NOT NULL,
        PRIMARY KEY (issuer, client_id, jti))""",
    """CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, issuer TEXT NOT NULL,
        event TEXT NOT NULL, grant_type TEXT, client_id TEXT, subject TEXT,
        actor_chain TEXT NOT NULL, audience TEXT NOT NULL, scope TEXT, jti TEXT,
        parent_jti TEXT, detail TEXT NOT NULL)""",
)


def default_db_path() -> Path:
    """`<agentctl data dir>/idp.sqlite3` (AGENTCTL_HOME is read now, not at import)."""
    from agentctl.config.paths import data_dir

    return data_dir() / DB_FILENAME


class Store:
    """Thread-safe, multi-process-safe access to one IdP database file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._local = threading.local()
        self._prepare_file()
        with self.write() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _prepare_file(self) -> None:
        from agentctl.config.paths import ensure_private_dir

        ensure_private_dir(self.path.parent)
        # Create the file ourselves so it is 0600 from the first byte; SQLite gives the -wal
        # and -shm files the database file's mode.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        # Drain every PRAGMA's result: a statement left unfinished holds a read snapshot.
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}").fetchall()
        _retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchall())
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back on error."""
        conn = self.connection()
        _retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            _retry_locked(lambda: conn.execute("COMMIT"))
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(self.connection().execute(sql, params).fetchall())

    def row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        # Close the cursor: an unfinished SELECT keeps its read snapshot open, and this
        # connection would go on seeing the database as it was.
        cursor = self.connection().execute(sql, params)
        try:
            row: sqlite3.Row | None = cursor.fetchone()
        finally:
            cursor.close()
        return row

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None


def _retry_locked(action: Any, attempts: int = 50) -> Any:
    """busy_timeout covers nearly every wait; this covers the few SQLite answers at once
    (e.g. switching to WAL while another process opens the file)."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None


__all__ = ["SCHEMA_VERSION", "Store", "default_db_path"]
