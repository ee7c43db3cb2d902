"""Writers of one SQLite file queue on kernel locks (a thread lock, then flock on the sidecar
`<file>-wlock`), not on SQLite's busy handler, which sleeps up to 100 ms between polls.

Real threads, real processes, real files: a holder is a child process inside `write()`,
SIGKILLed or SIGSTOPped there."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agentctl.config.sqlitedb import SqliteDb
from agentctl.errors import ConfigError


class Db(SqliteDb):
    what = "the test database"

    def setup(self) -> None:
        with self.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, who TEXT NOT NULL)")


def _open(tmp_path: Path) -> Db:
    return Db.shared(tmp_path / "data" / "test.sqlite3")


def _insert(db: SqliteDb, who: str) -> None:
    with db.write() as conn:
        conn.execute("INSERT INTO t (who) VALUES (?)", (who,))


class _Background:
    """A writer in a thread of this process; `done` is set (and `at` holds the wall clock)
    once its row is committed or `error` raised. A daemon: a writer that would wait far too
    long fails its test instead of hanging it."""

    def __init__(self, db: SqliteDb, who: str) -> None:
        self.done = threading.Event()
        self.at = 0.0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(db, who), daemon=True)
        self.thread.start()

    def _run(self, db: SqliteDb, who: str) -> None:
        try:
            _insert(db, who)
        except BaseException as exc:
            self.error = exc
        finally:
            self.at = time.time()
            self.done.set()


def _count(db: SqliteDb, who: str | None = None) -> int:
    if who is None:
        row = db.row("SELECT count(*) FROM t")
    else:
        row = db.row("SELECT count(*) FROM t WHERE who = ?", (who,))
    assert row is not None
    return int(row[0])


# A child holding the write lock: it inserts a row, says "held", waits for a line on stdin,
# commits, then prints when it let go (wall clock, comparable across processes).
HOLD = """
import sys, time
from pathlib import Path
from agentctl.config.sqlitedb import SqliteDb
db = SqliteDb.shared(Path(sys.argv[1]))
with db.write() as conn:
    conn.execute("INSERT INTO t (who) VALUES ('holder')")
    print("held", flush=True)
    sys.stdin.readline()
print(f"released {time.time():.6f}", flush=True)
sys.stdin.readline()
"""

PLAIN_HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO t (who) VALUES ('other')")
print("held", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""

WRITE_MANY = """
import sys
from pathlib import Path
from agentctl.config.sqlitedb import SqliteDb
db = SqliteDb.shared(Path(sys.argv[1]))
who, n = sys.argv[2], int(sys.argv[3])
sys.stdin.readline()  # start together
for _ in range(n):
    with db.write() as conn:
        conn.execute("INSERT INTO t (who) VALUES (?)", (who,))
print("done", flush=True)
"""


@contextmanager
def _holder(db: SqliteDb, code: str = HOLD) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
        proc.communicate(timeout=30)


def _say(proc: subprocess.Popen[str], line: str = "") -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


# -- many writers -----------------------------------------------------------------------------


def test_threads_of_one_process_write_every_row(tmp_path: Path) -> None:
    db = _open(tmp_path)
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            for _ in range(150):
                _insert(db, f"thread-{k}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [_count(db, f"thread-{k}") for k in range(8)] == [150] * 8


@pytest.mark.slow
def test_three_processes_write_every_row(tmp_path: Path) -> None:
    db = _open(tmp_path)
    n = 400
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITE_MANY, str(db.path), f"proc-{k}", str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    for proc in procs:
        _say(proc)
    results = [proc.communicate(timeout=120) for proc in procs]
    assert [(p.returncode, out.strip()) for p, (out, _) in zip(procs, results, strict=True)] == [
        (0, "done")
    ] * 3, [err for _, err in results]
    assert [_count(db, f"proc-{k}") for k in range(3)] == [n] * 3


# -- waking up --------------------------------------------------------------------------------


def test_a_waiting_writer_gets_in_as_soon_as_the_holder_lets_go(tmp_path: Path) -> None:
    """SQLite's busy handler polls 1, 2, 5, … 100 ms apart: released 335 ms into the wait,
    its writer would get in at 428 ms, ~90 ms late. A flock waiter wakes at once."""
    db = _open(tmp_path)
    with _holder(db) as holder:
        waiter = _Background(db, "waiter")
        time.sleep(0.335)
        assert not waiter.done.is_set()  # it did wait
        _say(holder)
        assert holder.stdout is not None
        word, released = holder.stdout.readline().split()
        assert word == "released"
        assert waiter.done.wait(timeout=30)
        _say(holder)
    late = waiter.at - float(released)
    assert late < 0.04, f"the waiter got in {late * 1000:.1f} ms after the holder let go"
    assert (_count(db, "holder"), _count(db, "waiter")) == (1, 1)


@pytest.mark.slow
def test_a_holder_killed_mid_transaction_lets_the_next_writer_in_at_once(
    tmp_path: Path,
) -> None:
    db = _open(tmp_path)
    _insert(db, "before")
    with _holder(db) as holder:
        waiter = _Background(db, "waiter")
        time.sleep(0.2)
        assert not waiter.done.is_set()  # queued behind the holder
        os.kill(holder.pid, signal.SIGKILL)
        killed = time.monotonic()
        assert waiter.done.wait(timeout=10)
        assert time.monotonic() - killed < 1.0
    # The killed transaction left nothing behind; everything committed is there.
    assert (_count(db, "holder"), _count(db, "before"), _count(db, "waiter")) == (0, 1, 1)
    row = db.row("PRAGMA integrity_check")
    assert row is not None
    assert row[0] == "ok"
    _insert(db, "after")  # and writing goes on
    assert _count(db) == 3


@pytest.mark.slow
def test_a_stopped_holder_ends_in_the_locked_error_and_writing_resumes_after_sigcont(
    tmp_path: Path,
) -> None:
    db = _open(tmp_path)
    db.busy_timeout = 0.3
    with _holder(db) as holder:
        os.kill(holder.pid, signal.SIGSTOP)
        for _ in range(2):  # the second writer waits for this process's turn, not the flock
            started = time.time()
            writer = _Background(db, "waiter")
            assert writer.done.wait(timeout=5), "the writer went on waiting past its timeout"
            assert 0.25 < writer.at - started < 3.0
            assert isinstance(writer.error, ConfigError)
            assert writer.error.message.startswith(
                f"the test database {db.path} stayed locked by another process ("
            )
            assert writer.error.exit_code == 3
        os.kill(holder.pid, signal.SIGCONT)
        _say(holder)  # it commits and lets go
        assert holder.stdout is not None
        assert holder.stdout.readline().startswith("released")
        db.busy_timeout = 5.0
        started = time.monotonic()
        _insert(db, "after")
        assert time.monotonic() - started < 1.0
        _say(holder)
    assert (_count(db, "holder"), _count(db, "waiter"), _count(db, "after")) == (1, 0, 1)


def test_a_forked_child_takes_its_own_lock_not_its_parents(tmp_path: Path) -> None:
    """flock belongs to the open file description: a child flocking the inherited descriptor
    would share the parent's lock, and exclude nobody."""
    db = _open(tmp_path)
    _insert(db, "parent")  # this process has its lock file open before the fork
    db.busy_timeout = 0.3
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(ready_r)
            with db.write() as conn:
                conn.execute("INSERT INTO t (who) VALUES ('child')")
                os.write(ready_w, b"x")
                time.sleep(1.5)
            code = 0
        finally:
            os._exit(code)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"x"
        with pytest.raises(ConfigError, match="stayed locked"):
            _insert(db, "parent-while-child-writes")
    finally:
        os.close(ready_r)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    db.busy_timeout = 5.0
    _insert(db, "parent-after")
    assert (_count(db, "child"), _count(db, "parent-while-child-writes")) == (1, 0)


# -- misuse and the sidecar -------------------------------------------------------------------


def test_a_nested_write_fails_loudly_instead_of_waiting_for_itself(tmp_path: Path) -> None:
    db = _open(tmp_path)
    db.busy_timeout = 30.0
    started = time.monotonic()

    def nested() -> None:
        with db.write() as conn:
            conn.execute("INSERT INTO t (who) VALUES ('outer')")
            _insert(db, "inner")

    with pytest.raises(RuntimeError, match="inside another write"):
        nested()
    assert time.monotonic() - started < 5.0
    assert _count(db) == 0  # the outer transaction was rolled back
    _insert(db, "next")  # and the lock was let go
    assert _count(db) == 1


def test_the_lock_file_sits_beside_the_database_and_is_private(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        db = _open(tmp_path)
    finally:
        os.umask(old)
    sidecar = db.path.parent / "test.sqlite3-wlock"
    assert db.lock_path == sidecar
    info = sidecar.lstat()
    assert stat.S_ISREG(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600


def test_a_lock_file_made_public_is_made_private_again(tmp_path: Path) -> None:
    sidecar = tmp_path / "data" / "test.sqlite3-wlock"
    sidecar.parent.mkdir(mode=0o700)
    sidecar.touch()
    sidecar.chmod(0o666)
    _insert(_open(tmp_path), "x")
    assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600


@pytest.mark.parametrize("planted", ["symlink", "dangling symlink", "directory", "fifo"])
def test_anything_but_a_regular_lock_file_is_refused_and_not_followed(
    tmp_path: Path, planted: str
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    sidecar = data / "test.sqlite3-wlock"
    target = tmp_path / "elsewhere"
    if planted == "symlink":
        target.write_text("keep me")
        target.chmod(0o644)
        sidecar.symlink_to(target)
    elif planted == "dangling symlink":
        sidecar.symlink_to(target)
    elif planted == "directory":
        sidecar.mkdir()
    else:
        os.mkfifo(sidecar)
    with pytest.raises(ConfigError) as err:
        _open(tmp_path)
    message = err.value.message
    assert message.startswith(f"cannot use the test database {sidecar}: ")
    reason = "it is a symbolic link" if "symlink" in planted else "it is not a regular file"
    assert message.endswith(reason)
    assert str(sidecar) in (err.value.hint or "")
    assert err.value.exit_code == 3
    if planted == "symlink":
        assert target.read_text() == "keep me"
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
    if planted == "dangling symlink":
        assert not target.exists()  # not created through the link


def test_a_database_written_without_agentctl_still_queues_on_sqlites_lock(
    tmp_path: Path,
) -> None:
    """Other SQLite users of the file do not take the flock (here the sqlite3 module in
    another process): BEGIN IMMEDIATE still orders them and agentctl's writers."""
    db = _open(tmp_path)
    with _holder(db, PLAIN_HOLD) as other:
        waiter = _Background(db, "waiter")
        assert not waiter.done.wait(timeout=0.3)
        _say(other)
        assert waiter.done.wait(timeout=10)
    assert (_count(db, "other"), _count(db, "waiter")) == (1, 1)


class QuickDb(Db):
    busy_timeout = 0.4  # SQLite's busy_timeout too: connections are made with it


def test_a_stuck_writer_that_takes_no_flock_ends_in_the_locked_error_once(
    tmp_path: Path,
) -> None:
    """A stopped sqlite3 holder: SQLite's own wait runs out after busy_timeout, and that
    answer is final (retrying it 50 times turned 30 s into 25 minutes)."""
    db = QuickDb.shared(tmp_path / "data" / "quick.sqlite3")
    with _holder(db, PLAIN_HOLD) as other:
        os.kill(other.pid, signal.SIGSTOP)
        started = time.time()
        writer = _Background(db, "waiter")
        assert writer.done.wait(timeout=5), "the writer went on waiting past its timeout"
        assert writer.at - started < 3.0
        assert isinstance(writer.error, ConfigError)
        assert writer.error.message == (
            f"the test database {db.path} stayed locked by another process (database is locked)"
        )
        os.kill(other.pid, signal.SIGCONT)
        _say(other)
        assert other.wait(timeout=30) == 0  # committed
    _insert(db, "after")
    assert (_count(db, "other"), _count(db, "waiter"), _count(db, "after")) == (1, 0, 1)
