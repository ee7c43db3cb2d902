"""One SQLite database file, shared safely by every thread and process (the plumbing under the
embedded IdP's `Store` and agentctl's own state database).

Rules that keep several processes safe on one file:

- Exactly one `SqliteDb` per database file per process (`SqliteDb.shared`), with one SQLite
  connection per thread. Nothing else in the process opens the file: POSIX advisory locks
  belong to the process, and closing *any* descriptor of the file drops every lock the process
  holds on it — another process may then checkpoint and delete the WAL under a live connection
  ("How To Corrupt An SQLite Database File" §2.2). A missing file is created 0600 with
  O_EXCL before any connection exists; an existing one is never opened beside SQLite.
- WAL journal, `synchronous=NORMAL` (a killed process loses nothing it committed),
  `busy_timeout` so writers queue instead of failing.
- Every write runs in `write()`: `BEGIN IMMEDIATE` takes the write lock up front, so a read
  snapshot is never upgraded mid-transaction (the case `busy_timeout` cannot wait out).
- Connections never cross a `fork`: a child opens its own and never closes the inherited
  one (closing it would drop the child's own locks on the file, as above).
- A damaged, unreadable or misplaced file (a directory, not a database) is a ConfigError
  (exit 3) naming the file and what to do, never a traceback.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from agentctl.errors import ConfigError

BUSY_TIMEOUT_MS = 30_000
# After a checkpoint resets the WAL, SQLite truncates the file to this size: a WAL that grew
# under load (readers holding old snapshots starve checkpoints) shrinks again.
WAL_LIMIT_BYTES = 16 * 1024 * 1024

_Db = TypeVar("_Db", bound="SqliteDb")
_registry: weakref.WeakValueDictionary[Path, SqliteDb] = weakref.WeakValueDictionary()
_registry_lock = threading.RLock()
# Connections inherited across fork: kept referenced so they are never closed in the child.
_inherited: list[sqlite3.Connection] = []


class SqliteDb:
    """Thread-safe, multi-process-safe access to one database file. Get it with `shared()`."""

    what: ClassVar[str] = "database"  # for messages: "the IdP database", ...
    damaged_hint: ClassVar[str] = "move the file away (or restore it from a backup) and retry"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._conns_lock = threading.Lock()
        self._conns: list[tuple[int, sqlite3.Connection]] = []
        self._create_private_file()
        with self._mapped():
            self.setup()

    @classmethod
    def shared(cls: type[_Db], path: Path) -> _Db:
        """The process's one handle on `path` (made on first use; dropped when unused)."""
        from agentctl.config.paths import ensure_private_dir

        path = Path(path).expanduser()
        try:
            ensure_private_dir(path.parent)
        except OSError as exc:
            raise cls._error(path, f"cannot create its directory ({exc.strerror})") from None
        key = path.resolve()
        with _registry_lock:
            found = _registry.get(key)
            if found is not None:
                if not isinstance(found, cls):
                    raise TypeError(f"{key} is already open as {type(found).__name__}")
                return found
            db = cls(path)
            _registry[key] = db
            return db

    @classmethod
    def forget(cls, path: Path) -> None:
        """Close this process's connections to `path` and drop its handle (before the file is
        deleted, e.g. `idp reset`)."""
        with _registry_lock:
            db = _registry.pop(Path(path).expanduser().resolve(), None)
        if db is not None:
            db.close_all()

    def setup(self) -> None:
        """Create the schema (subclasses); runs once per process, inside the error mapping."""

    # -- the file ------------------------------------------------------------------------------

    def _create_private_file(self) -> None:
        """0600 from the first byte, without ever opening an existing file beside SQLite."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise self._error(self.path, exc.strerror or str(exc)) from None
        else:
            # Safe: the file did not exist, so no connection of this process holds a lock on it.
            os.close(fd)
            return
        try:
            info = self.path.stat()
        except OSError as exc:
            raise self._error(self.path, exc.strerror or str(exc)) from None
        if not stat.S_ISREG(info.st_mode):
            raise self._error(self.path, "it is not a regular file")
        if stat.S_IMODE(info.st_mode) & 0o077:
            try:  # by path: no descriptor is opened
                os.chmod(self.path, 0o600)
            except OSError as exc:
                raise self._error(self.path, f"cannot make it private ({exc.strerror})") from None

    @classmethod
    def _error(cls, path: Path, reason: str) -> ConfigError:
        return ConfigError(
            f"cannot use {cls.what} {path}: {reason}",
            hint=cls.damaged_hint,
            details={"path": str(path)},
        )

    @contextmanager
    def _mapped(self) -> Iterator[None]:
        """SQLite errors that mean the file itself is unusable become one ConfigError."""
        try:
            yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if any(word in text for word in ("locked", "busy")):
                raise ConfigError(
                    f"{self.what} {self.path} stayed locked by another process ({text})",
                    hint="wait for the other agentctl command to finish, then retry",
                ) from None
            if isinstance(exc, sqlite3.OperationalError) and not _is_damage(text):
                raise
            raise self._error(self.path, text) from None

    # -- connections ---------------------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        pid = os.getpid()
        if conn is not None:
            if getattr(self._local, "pid", None) == pid:
                return conn
            _inherited.append(conn)  # made before a fork: never close it here
        with self._mapped():
            conn = self._connect()
        self._local.conn = conn
        self._local.pid = pid
        with self._conns_lock:
            self._conns.append((pid, conn))
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.row_factory = sqlite3.Row
            # Drain every PRAGMA's result: a statement left unfinished holds a read snapshot.
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}").fetchall()
            retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchall())
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}").fetchall()
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()  # SQLite's own close: its locks are released the way SQLite expects
            raise
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back on error."""
        conn = self.connection()
        with self._mapped():
            retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            with self._mapped():
                retry_locked(lambda: conn.execute("COMMIT"))
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._mapped():
            return list(self.connection().execute(sql, params).fetchall())

    def row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        # Close the cursor: an unfinished SELECT keeps its read snapshot open, and this
        # connection would go on seeing the database as it was.
        with self._mapped():
            cursor = self.connection().execute(sql, params)
            try:
                row: sqlite3.Row | None = cursor.fetchone()
            finally:
                cursor.close()
        return row

    def close(self) -> None:
        """Close this thread's connection (the next call opens a new one)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            with self._conns_lock:
                self._conns = [(p, c) for p, c in self._conns if c is not conn]
            conn.close()
        self._local.conn = None

    def close_all(self) -> None:
        """Close every thread's connection made by this process."""
        pid = os.getpid()
        with self._conns_lock:
            mine = [c for p, c in self._conns if p == pid]
            self._conns = [(p, c) for p, c in self._conns if p != pid]
        for conn in mine:
            conn.close()
        self._local.conn = None


def _is_damage(text: str) -> bool:
    return any(
        word in text
        for word in ("not a database", "malformed", "unable to open", "disk I/O", "readonly")
    )


def retry_locked(action: Callable[[], Any], attempts: int = 50) -> Any:
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


__all__ = ["BUSY_TIMEOUT_MS", "WAL_LIMIT_BYTES", "SqliteDb", "retry_locked"]
