"""One Store per IdP database per process, and nothing else touching the file: what keeps a
committed write from vanishing ("How To Corrupt An SQLite Database File" §2.2)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agentctl.idp.service import IdpService
from agentctl.idp.store import Store
from tests.helpers import run


def _in_child(code: str, path: Path) -> str:
    """Run `code` in another process (its own POSIX locks) with the database path as argv[1]."""
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


CHECKPOINT_AND_CLOSE = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1])\n"
    "c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchall()\n"
    "c.close()\n"
)
WRITE_AND_CLOSE = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    'c.execute("INSERT INTO audit (time, issuer, event, actor_chain, audience, detail) '
    "VALUES (1, 'enterprise', 'other-process', '[]', '[]', '{}')\")\n"
    "c.close()\n"
)
READ_USERS = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1])\n"
    "print(','.join(sorted(r[0] for r in c.execute('SELECT name FROM users'))))\n"
)


def test_a_second_handle_in_the_process_does_not_drop_the_first_ones_locks(
    tmp_path: Path,
) -> None:
    """The reproduction: a process holds a connection, opens the database a second time (as
    register, agent rotate and demo did), another process checkpoints and closes, a third
    writes; then the first process commits. Before the fix its commit went to a WAL that had
    been deleted under it: exit 0, and the user was missing from the database."""
    path = tmp_path / "idp.sqlite3"
    first = IdpService.open(path)
    first.add_user("before", "before@example.com", "pw-1")
    IdpService.open(path)  # a second layer opening "its own" store, same process
    _in_child(CHECKPOINT_AND_CLOSE, path)
    # Had this process lost its locks, the other process (believing itself the last
    # connection) would have deleted the WAL on close.
    assert Path(f"{path}-wal").exists()
    _in_child(WRITE_AND_CLOSE, path)
    first.add_user("after", "after@example.com", "pw-2")  # committed: "exit 0"
    assert _in_child(READ_USERS, path).strip() == "after,before"


def test_every_layer_shares_one_store_per_database(tmp_path: Path) -> None:
    path = tmp_path / "idp.sqlite3"
    a = IdpService.open(path)
    b = IdpService.open(tmp_path / "." / "idp.sqlite3")
    assert a.store is b.store
    assert Store.open(path) is a.store
    assert IdpService.open(tmp_path / "other.sqlite3").store is not a.store


def test_the_database_is_private_from_the_first_byte(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = Store.open(tmp_path / "new" / "idp.sqlite3")
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def _damage(path: Path, how: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "directory":
        path.mkdir()
    elif how == "garbage":
        path.write_bytes(b"this is not an SQLite database, just text " * 200)
    elif how == "unreadable":
        sqlite3.connect(path).close()
        path.chmod(0)


@pytest.mark.parametrize("how", ["directory", "garbage", "unreadable"])
def test_an_unusable_idp_database_is_one_line_and_exit_3(how: str) -> None:
    if how == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads any file")
    from agentctl.config import paths

    path = paths.data_dir() / "idp.sqlite3"
    _damage(path, how)
    res = run("idp", "issuers")
    assert res.exit_code == 3, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    first = res.stderr.strip().splitlines()[0]
    assert str(path) in first
    assert "the IdP database" in first
    assert "reset" in res.stderr  # the hint says how to start again
    res = run("idp", "issuers", "--json")
    assert res.json()["errors"][0]["code"] == "config"


def test_reset_forgets_the_agents_whose_clients_it_deleted() -> None:
    assert run("register", "bot").exit_code == 0
    res = run("idp", "reset", "--yes", "--json")
    assert res.exit_code == 0, res.stderr
    assert [a["name"] for a in res.json()["data"]["agents_forgotten"]] == ["bot"]
    assert run("agent", "list", "--json").json()["data"]["agents"] == []
    # And the same name registers again at the new IdP.
    again = run("register", "bot", "--json")
    assert again.json()["data"]["action"] == "created"
