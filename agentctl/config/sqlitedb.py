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
- Writers queue on kernel locks, not on SQLite's busy handler (which *sleeps* 1, 2, 5, 10 …
  ms between polls, so a contended write cost milliseconds while the holder needed ~100 µs):
  `write()` first takes this process's turn (a `threading.Lock`), then an exclusive `flock`
  on the sidecar `<file>-wlock` (0600, O_NOFOLLOW), both released when COMMIT or ROLLBACK
  has finished. A waiter wakes the moment the holder lets go; a process that dies (SIGKILL
  included) lets go by itself, as the kernel drops its flock. `BEGIN IMMEDIATE` stays, for
  writers that do not take the flock (the sqlite3 shell, an older agentctl); with it held it
  normally does not wait at all. A writer that gets no turn within `busy_timeout`
  (BUSY_TIMEOUT_MS) fails with the same "stayed locked" ConfigError as SQLite's wait.
  The sidecar, not the database file, carries the flock: no other descriptor of the database
  may exist in the process (see the first rule).
- Connections never cross a `fork`: a child opens its own and never closes the inherited
  one (closing it would drop the child's own locks on the file, as above).
- A damaged, unreadable or misplaced file (a directory, not a database) is a ConfigError
  (exit 3) naming the file and what to do, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import queue
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
# Connections of dropped handles (see `_orphan`), at most _ORPHANS_KEPT, each process its own.
_orphans: list[sqlite3.Connection] = []
_ORPHANS_KEPT = 8
# Connections inherited across fork: kept referenced so they are never closed in the child.
_inherited: list[sqlite3.Connection] = []
# The write-lock helper waits for a contended flock; idle this long, it ends (a new one starts
# on the next contended write), so a dropped SqliteDb leaves no thread behind for long.
_WAITER_IDLE_S = 10.0
# Guards making a process's `_WriteLock`; made anew in a forked child, where a copy could be
# held by a thread that does not exist there.
_wlock_guard = threading.Lock()


def _new_guard_after_fork() -> None:
    global _wlock_guard
    _wlock_guard = threading.Lock()
    _inherited.extend(_orphans)  # the parent's: never closed in the child
    _orphans.clear()


os.register_at_fork(after_in_child=_new_guard_after_fork)


class SqliteDb:
    """Thread-safe, multi-process-safe access to one database file. Get it with `shared()`."""

    what: ClassVar[str] = "database"  # for messages: "the IdP database", ...
    damaged_hint: ClassVar[str] = "move the file away (or restore it from a backup) and retry"
    # Seconds any wait for a lock may last before the "stayed locked" ConfigError: the write
    # turn, SQLite's busy_timeout (connections made afterwards) and the retries around it.
    # An instance may set its own: tests make it short.
    busy_timeout: float = BUSY_TIMEOUT_MS / 1000
    # SQLite's own checkpoint at COMMIT (pages; SQLite's default 1000). It runs inside the
    # committing writer's transaction, holding every other writer up while it copies and
    # fsyncs; a served IdP turns it off (`background_checkpoints`) and checkpoints from a
    # thread of its own instead (agentctl.idp.prune.Housekeeper).
    autocheckpoint_pages: int = 1000

    def background_checkpoints(self) -> None:
        """Stop checkpointing at COMMIT on this process's connections, made and to come: the
        caller takes the job on (PASSIVE checkpoints from its own thread)."""
        self.autocheckpoint_pages = 0
        with self._conns_lock:
            mine = [c for p, c in self._conns if p == os.getpid()]
        for conn in mine:
            with self._mapped():
                conn.execute("PRAGMA wal_autocheckpoint = 0").fetchall()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._conns_lock = threading.Lock()
        self._conns: list[tuple[int, sqlite3.Connection]] = []
        # What a dropped handle opened is closed by agentctl, not left to the collector: a
        # sqlite3.Connection sits in a reference cycle with its own statement cache, so only
        # the cyclic collector would free it, and a command that rarely collects
        # (agentctl.gcpolicy) would end with it open: its WAL left behind.
        weakref.finalize(self, _orphan, self._conns, self._conns_lock).atexit = False
        self._wlock: _WriteLock | None = None
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
    def _error(cls, path: Path, reason: str, hint: str | None = None) -> ConfigError:
        return ConfigError(
            f"cannot use {cls.what} {path}: {reason}",
            hint=hint or cls.damaged_hint,
            details={"path": str(path)},
        )

    def _locked_error(self, text: str) -> ConfigError:
        return ConfigError(
            f"{self.what} {self.path} stayed locked by another process ({text})",
            hint="wait for the other agentctl command to finish, then retry",
        )

    @property
    def lock_path(self) -> Path:
        """The sidecar whose flock orders this database's writers (beside `-wal`, `-shm`)."""
        return self.path.with_name(self.path.name + "-wlock")

    def _open_lock_file(self) -> int:
        """The sidecar, 0600 from the first byte; never through a symlink, never anything
        but a regular file (a FIFO would hang the open: O_NONBLOCK)."""
        sidecar = self.lock_path
        hint = f"remove {sidecar} (agentctl makes it again) and retry"
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        try:
            fd = os.open(sidecar, flags, 0o600)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            if exc.errno == errno.ELOOP:
                reason = "it is a symbolic link"
            elif exc.errno == errno.EISDIR:
                reason = "it is not a regular file"
            raise self._error(sidecar, reason, hint) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self._error(sidecar, "it is not a regular file", hint)
            if stat.S_IMODE(info.st_mode) & 0o077:
                try:
                    os.fchmod(fd, 0o600)
                except OSError as exc:
                    reason = f"cannot make it private ({exc.strerror})"
                    raise self._error(sidecar, reason, hint) from None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _write_lock(self) -> _WriteLock:
        lock = self._wlock
        pid = os.getpid()
        if lock is not None and lock.pid == pid:
            return lock
        with _wlock_guard:
            lock = self._wlock
            if lock is None or lock.pid != pid:
                # A forked child never uses the parent's descriptor: it shares the parent's
                # open file description, hence the parent's flock (no exclusion between
                # them). The copy is closed when the old `_WriteLock` is dropped; closing a
                # copy never releases the parent's flock.
                lock = _WriteLock(self._open_lock_file())
                self._wlock = lock
        return lock

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
                raise self._locked_error(text) from None
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
        timeout = self.busy_timeout
        conn = sqlite3.connect(
            self.path,
            timeout=timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.row_factory = sqlite3.Row
            # Drain every PRAGMA's result: a statement left unfinished holds a read snapshot.
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}").fetchall()
            retry_locked(
                lambda: conn.execute("PRAGMA journal_mode = WAL").fetchall(), timeout=timeout
            )
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT_BYTES}").fetchall()
            conn.execute(f"PRAGMA wal_autocheckpoint = {self.autocheckpoint_pages}").fetchall()
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()  # SQLite's own close: its locks are released the way SQLite expects
            raise
        return conn

    @contextmanager
    def write_turn(self) -> Iterator[sqlite3.Connection]:
        """This process's write turn and the flock, without a transaction: for maintenance
        that must run with no writer appending (the tail of a checkpoint)."""
        lock = self._write_lock()
        try:
            acquired = lock.acquire(self.busy_timeout)
        except OSError as exc:
            raise self._error(self.lock_path, exc.strerror or str(exc)) from None
        if not acquired:
            raise self._locked_error(
                f"database is locked: no write turn within {self.busy_timeout:g} s"
            )
        try:
            yield self.connection()
        finally:
            lock.release()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back on error. Holds
        the process's turn and the sidecar's flock for exactly the transaction."""
        conn = self.connection()
        lock = self._write_lock()
        timeout = self.busy_timeout
        try:
            acquired = lock.acquire(timeout)
        except OSError as exc:  # flock refused (e.g. ENOLCK on a network file system)
            raise self._error(self.lock_path, exc.strerror or str(exc)) from None
        if not acquired:
            raise self._locked_error(f"database is locked: no write turn within {timeout:g} s")
        try:
            with self._mapped():
                retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"), timeout=timeout)
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            try:
                with self._mapped():
                    retry_locked(lambda: conn.execute("COMMIT"), timeout=timeout)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            lock.release()

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
                self._conns[:] = [(p, c) for p, c in self._conns if c is not conn]
            conn.close()
        self._local.conn = None

    def close_all(self) -> None:
        """Close every thread's connection made by this process."""
        pid = os.getpid()
        with self._conns_lock:
            mine = [c for p, c in self._conns if p == pid]
            self._conns[:] = [(p, c) for p, c in self._conns if p != pid]
        for conn in mine:
            conn.close()
        self._local.conn = None


def _orphan(conns: list[tuple[int, sqlite3.Connection]], lock: threading.Lock) -> None:
    """A handle was dropped: keep the connections this process made among the last few
    orphans, closing older ones, and close the rest at exit (`close_every_db`). Closing on the
    spot would make the next handle on the same file open it again, and the last connection's
    close checkpoint and delete the WAL each time (measured: store calls 3x slower)."""
    pid = os.getpid()
    with lock:
        mine = [c for p, c in conns if p == pid]
        _inherited.extend(c for p, c in conns if p != pid)  # never closed here
        conns.clear()
    with _registry_lock:
        _orphans.extend(mine)
        extra = _orphans[: max(0, len(_orphans) - _ORPHANS_KEPT)]
        del _orphans[: len(extra)]
    _close_quietly(extra)


def _close_quietly(conns: list[sqlite3.Connection]) -> None:
    for conn in conns:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


class _Wait:
    """One contended flock, handed to the waiter thread."""

    __slots__ = ("abandoned", "done", "error", "finished", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.finished = False  # the waiter's flock call returned (see `error`)
        self.abandoned = False  # the writer gave up: the waiter must undo and pass the turn on
        self.error: OSError | None = None


# Before the waiter thread: up to _FLOCK_POLLS naps of _FLOCK_POLL_SECONDS (~0.3 ms in all).
_FLOCK_POLLS = 6
_FLOCK_POLL_SECONDS = 50e-6


class _WriteLock:
    """One process's write lock on one database: a turn among its threads, then the flock.

    Why a helper thread: a blocking `flock` wakes the moment the holder lets go, but it has
    no timeout and cannot be interrupted from Python in a thread (EINTR is retried, PEP 475;
    SIGALRM reaches only the main thread). Polling `LOCK_NB` would bring back the sleep
    granularity this lock exists to remove. So: `LOCK_NB` first (uncontended: one syscall),
    then a few 50 µs naps (a transaction is ~0.1 ms: most waits end here); when another
    process still holds it, a long-lived waiter thread makes the blocking call while
    the writer waits on an Event with its deadline (~100 µs hand-over, measured). When the
    deadline passes (a SIGSTOPped holder), the writer raises and leaves the turn with the
    waiter, which releases flock and turn once its call returns; until then this process's
    other writers time out on the turn instead of flocking beside a stale waiter (flock
    locks belong to the open file description: two threads flocking the same descriptor
    would both "hold" it)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pid = os.getpid()
        self._turn = threading.Lock()
        self._owner: int | None = None
        self._requests: queue.SimpleQueue[_Wait] = queue.SimpleQueue()
        self._waiter: threading.Thread | None = None
        self._waiter_lock = threading.Lock()
        # Closed once nothing references it: a waiter blocked on it keeps it referenced.
        finalizer = weakref.finalize(self, os.close, fd)
        finalizer.atexit = False  # at exit a daemon waiter may still be inside flock(fd)

    def acquire(self, timeout: float) -> bool:
        """Take the turn and the flock within `timeout` seconds; False if they stayed
        held. Entering again from the thread that holds them is a bug, not a wait."""
        me = threading.get_ident()
        if self._owner == me:
            raise RuntimeError(
                "SqliteDb.write() entered inside another write() on the same thread "
                "(SQLite has no nested transactions; it would wait for itself)"
            )
        deadline = time.monotonic() + timeout
        # Threads of this process queue here: a Lock wakes its next waiter at once.
        if not self._turn.acquire(timeout=max(0.0, timeout)):
            return False
        try:
            # _wait_for_flock hands the turn on when it fails.
            if not self._try_flock() and not self._wait_for_flock(deadline):
                return False
        except BaseException:
            self._turn.release()
            raise
        self._owner = me
        return True

    def _try_flock(self) -> bool:
        """The flock without waiting on the helper thread, if it comes free soon. A write
        transaction holds it ~0.1 ms, so another process's holder is usually done within a few
        short naps; handing over to the waiter thread costs two thread switches and, in a
        served worker, the GIL twice over (measured: the delegation exchange ~5-10% faster)."""
        for attempt in range(_FLOCK_POLLS + 1):
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if attempt < _FLOCK_POLLS:
                    time.sleep(_FLOCK_POLL_SECONDS)
        return False

    def release(self) -> None:
        self._owner = None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self._turn.release()

    def _wait_for_flock(self, deadline: float) -> bool:
        wait = _Wait()
        with self._waiter_lock:
            self._requests.put(wait)
            if self._waiter is None:
                self._waiter = threading.Thread(
                    target=self._wait_loop, name="sqlitedb-write-lock", daemon=True
                )
                self._waiter.start()
        try:
            wait.done.wait(max(0.0, deadline - time.monotonic()))
        except BaseException:  # e.g. KeyboardInterrupt: nobody will use the lock
            if not self._abandon(wait):
                if wait.error is None:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
                self._turn.release()
            raise
        if self._abandon(wait):
            return False  # the waiter passes the turn on when the holder lets go
        if wait.error is not None:
            self._turn.release()
            raise wait.error
        return True

    @staticmethod
    def _abandon(wait: _Wait) -> bool:
        """Give up `wait` unless its flock call has already returned; True if given up."""
        with wait.lock:
            wait.abandoned = not wait.finished
            return wait.abandoned

    def _wait_loop(self) -> None:
        while True:
            try:
                wait = self._requests.get(timeout=_WAITER_IDLE_S)
            except queue.Empty:
                with self._waiter_lock:  # requests are put under it: none can slip past
                    if self._requests.empty():
                        self._waiter = None
                        return
                continue
            error: OSError | None = None
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            except OSError as exc:
                error = exc
            with wait.lock:
                wait.finished = True
                wait.error = error
                abandoned = wait.abandoned
            if abandoned:
                if error is None:
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
                self._turn.release()
            else:
                wait.done.set()


def _is_damage(text: str) -> bool:
    return any(
        word in text
        for word in ("not a database", "malformed", "unable to open", "disk I/O", "readonly")
    )


def close_every_db() -> None:
    """Close this process's connections to every database it opened, dropped handles' too (a
    command ending: the last connection's close checkpoints the WAL, as it would when
    collected at exit)."""
    with _registry_lock:
        dbs = list(_registry.values())
        orphans = list(_orphans)
        _orphans.clear()
    for db in dbs:
        db.close_all()
    _close_quietly(orphans)


def retry_locked(
    action: Callable[[], Any], attempts: int = 50, timeout: float = BUSY_TIMEOUT_MS / 1000
) -> Any:
    """busy_timeout covers nearly every wait; this covers the few SQLite answers at once
    (e.g. switching to WAL while another process opens the file). No retry once `timeout`
    has passed: an answer that came after busy_timeout's whole wait is final (retrying it
    50 times made a stuck holder cost 25 minutes instead of 30 s)."""
    deadline = time.monotonic() + timeout
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == attempts - 1 or time.monotonic() >= deadline:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None


__all__ = ["BUSY_TIMEOUT_MS", "WAL_LIMIT_BYTES", "SqliteDb", "close_every_db", "retry_locked"]
