"""The IdP database's schema upgrade (1 -> 2): a schema-1 file keeps every row and keeps
working, a file from a newer agentctl is refused without being touched, and an upgrade
SIGKILLed while it writes leaves the file as it was, for the next open to finish."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agentctl.errors import ConfigError
from agentctl.idp.inprocess import in_process_client
from agentctl.idp.service import IdpService
from agentctl.idp.store import SCHEMA_VERSION, Store, default_db_path
from tests.idp.conftest import Idp, serving

# What schema 1 had and schema 2 changed: `tokens` and `grant_tokens` as rowid tables with a
# jti index each, an index on tokens(parent_jti), and AUTOINCREMENT audit ids.
_AS_SCHEMA_1 = """
BEGIN;
CREATE TABLE audit_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, issuer TEXT NOT NULL,
    event TEXT NOT NULL, grant_type TEXT, client_id TEXT, subject TEXT,
    actor_chain TEXT NOT NULL, audience TEXT NOT NULL, scope TEXT, jti TEXT,
    parent_jti TEXT, detail TEXT NOT NULL);
INSERT INTO audit_old SELECT * FROM audit;
DROP TABLE audit;
ALTER TABLE audit_old RENAME TO audit;
CREATE TABLE tokens_old (
    jti TEXT PRIMARY KEY, issuer TEXT NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL,
    sub TEXT NOT NULL, parent_jti TEXT, actor_jti TEXT, iat INTEGER NOT NULL,
    exp INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
INSERT INTO tokens_old SELECT * FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_old RENAME TO tokens;
CREATE TABLE grant_tokens_old (
    jti TEXT PRIMARY KEY, issuer TEXT NOT NULL, user_sub TEXT NOT NULL,
    agent_client_id TEXT NOT NULL, kind TEXT NOT NULL);
INSERT INTO grant_tokens_old SELECT jti, issuer, user_sub, agent_client_id, kind FROM grant_tokens;
DROP TABLE grant_tokens;
ALTER TABLE grant_tokens_old RENAME TO grant_tokens;
CREATE INDEX grant_tokens_grant ON grant_tokens(issuer, user_sub, agent_client_id, kind);
CREATE INDEX tokens_parent ON tokens(parent_jti);
PRAGMA user_version = 1;
COMMIT;
"""


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _as_schema_1(path: Path) -> None:
    Store.forget(path)
    conn = _connect(path)
    try:
        conn.executescript(_AS_SCHEMA_1)
    finally:
        conn.close()


def _shape(path: Path) -> tuple[int, bool, bool]:
    """(user_version, tokens_parent exists, tokens and grant_tokens are WITHOUT ROWID)."""
    conn = _connect(path)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        tables = [
            conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()[0]
            for name in ("tokens", "grant_tokens")
        ]
        audit = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit'"
        ).fetchone()[0]
        clustered = {"WITHOUT ROWID" in sql.upper() for sql in tables}
        clustered.add("AUTOINCREMENT" not in audit.upper())
        assert len(clustered) == 1, (tables, audit)  # all of schema 2's changes, or none
        return version, "tokens_parent" in names, clustered.pop()
    finally:
        conn.close()


def _rows(path: Path, table: str) -> set[tuple[str, ...]]:
    conn = _connect(path)
    try:
        return {tuple(r) for r in conn.execute(f"SELECT * FROM {table}")}  # noqa: S608
    finally:
        conn.close()


def _grant_rows(path: Path) -> set[tuple[str, ...]]:
    conn = _connect(path)
    try:
        return {tuple(r) for r in conn.execute("SELECT * FROM grant_tokens")}
    finally:
        conn.close()


@contextmanager
def reopened(base_url: str) -> Iterator[Idp]:
    svc = IdpService.open(base_url=base_url)
    http = in_process_client(svc)
    try:
        yield Idp(svc, http, base_url)
    finally:
        http.close()


def test_a_schema_1_database_is_upgraded_and_keeps_working() -> None:
    with serving() as idp:
        creds = idp.agent()
        idp.user()
        idp.svc.grant("alice", creds.client_id)
        subject = idp.user_tokens(creds)["access_token"]
        r = idp.exchange(creds, subject, actor=idp.cc(creds))
        assert r.status_code == 200, r.text
        exchanged = r.json()["access_token"]
        path, base_url = idp.svc.store.path, idp.base_url
    before = _grant_rows(path)
    tokens_before, audit_before = _rows(path, "tokens"), _rows(path, "audit")
    assert before  # the grant authorised tokens: there is something to carry over
    _as_schema_1(path)
    assert _shape(path) == (1, True, False)

    with reopened(base_url) as idp:  # the same issuer URLs: its tokens stay valid
        assert _shape(path) == (SCHEMA_VERSION, False, True)
        assert _grant_rows(path) == before
        assert _rows(path, "tokens") == tokens_before
        assert _rows(path, "audit") == audit_before  # ids included
        last = max(int(r[0]) for r in audit_before)
        assert idp.introspect(exchanged, creds)["active"] is True
        # The carried-over rows still do their job: withdrawing the grant revokes its tokens.
        withdrawn = idp.svc.revoke_grant("alice", creds.client_id)
        assert withdrawn["tokens_revoked"] >= 1
        assert idp.introspect(exchanged, creds)["active"] is False
        # And new tokens are recorded in the new table.
        idp.svc.grant("alice", creds.client_id)
        again = idp.user_tokens(creds)["access_token"]
        assert idp.exchange(creds, again, actor=idp.cc(creds)).status_code == 200
        assert len(_grant_rows(path)) > len(before)
        assert min(e["id"] for e in idp.svc.audit(limit=1000) if e["id"] > last) == last + 1


def test_a_database_from_a_newer_agentctl_is_refused_untouched() -> None:
    IdpService.open()
    path = default_db_path()
    Store.forget(path)
    conn = _connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ConfigError, match="written by a newer agentctl") as caught:
        Store.open(path)
    assert "upgrade agentctl" in (caught.value.hint or "")
    assert _shape(path)[0] == SCHEMA_VERSION + 1
    # The command line says the same in one line, with the configuration exit code.
    run = subprocess.run(
        [sys.executable, "-m", "agentctl", "idp", "agents", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert run.returncode == 3, run.stderr
    assert "written by a newer agentctl" in run.stderr
    assert "Traceback" not in run.stderr


_OPEN = "from agentctl.idp.store import Store; Store.open(); print('done')"


def test_an_upgrade_killed_while_it_writes_leaves_the_database_as_it_was() -> None:
    IdpService.open()
    path = default_db_path()
    _as_schema_1(path)
    # Enough rows that the copy spills pages into the WAL before its COMMIT.
    rows = 150_000
    conn = _connect(path)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO grant_tokens VALUES (?, 'enterprise', 'alice', 'agt_x', 'delegation')",
        ((f"jti-{i:07d}",) for i in range(rows)),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = Path(f"{path}-wal")
    landed = 0
    for _ in range(3):
        start = wal.stat().st_size if wal.exists() else 0
        proc = subprocess.Popen([sys.executable, "-c", _OPEN], stdout=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        # Kill it as soon as the upgrade's transaction has written a megabyte to the WAL.
        while proc.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size > start + 1024 * 1024:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.001)
        out, _ = proc.communicate(timeout=60)
        if "done" in out:
            break  # finished before the WAL grew that much: nothing was cut short this time
        landed += 1
        check = _connect(path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()
        assert _shape(path) == (1, True, False)
        assert len(_grant_rows(path)) == rows
    assert landed >= 1  # at least one kill came mid-upgrade
    rerun = subprocess.run(
        [sys.executable, "-c", _OPEN], capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _shape(path) == (SCHEMA_VERSION, False, True)
    assert len(_grant_rows(path)) == rows
