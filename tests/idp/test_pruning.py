"""Bounded storage (issue 16): expired token records are pruned on a schedule, live ones and
the revocation chain are untouched, the WAL is checkpointed, the database stays under a stated
size under sustained load, and a prune killed with SIGKILL loses nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentctl.idp import prune
from agentctl.idp.constants import DEFAULT_ACCESS_TTL
from tests.idp.conftest import Clock, Idp, serving

# A token record goes this long after its token was issued (its lifetime, then the margin).
GONE_AFTER = DEFAULT_ACCESS_TTL + prune.PRUNE_MARGIN + 10


def _count(idp: Idp, table: str) -> int:
    row = idp.svc.store.row(f"SELECT COUNT(*) AS n FROM {table}")  # noqa: S608 - test tables
    return int(row["n"]) if row else 0


def _jtis(idp: Idp) -> set[str]:
    return {r["jti"] for r in idp.svc.store.rows("SELECT jti FROM tokens")}


def test_expired_records_go_live_ones_and_the_audit_log_stay() -> None:
    clock = Clock()
    with serving(clock) as idp:
        creds = idp.agent()
        old = idp.cc(creds)
        clock.advance(GONE_AFTER)
        live = idp.cc(creds)
        audit_before = _count(idp, "audit")
        assert len(_jtis(idp)) == 2
        report = prune.prune(idp.svc.store, int(clock()))
        assert report.tokens == 1
        assert len(_jtis(idp)) == 1
        assert idp.introspect(live, creds)["active"] is True
        assert idp.introspect(old, creds)["active"] is False
        assert _count(idp, "audit") == audit_before  # nothing of the audit log went


def test_a_revoked_subject_still_cuts_off_its_exchanged_token_after_a_prune() -> None:
    clock = Clock()
    with serving(clock) as idp:
        creds = idp.agent()
        idp.user()
        idp.svc.grant("alice", creds.client_id)
        stale = idp.cc(creds)  # expires and is pruned; the chain below must not care
        clock.advance(GONE_AFTER)
        subject = idp.user_tokens(creds)["access_token"]
        actor = idp.cc(creds)
        r = idp.exchange(creds, subject, actor=actor)
        assert r.status_code == 200, r.text
        derived = r.json()["access_token"]
        assert prune.prune(idp.svc.store, int(clock())).tokens >= 1
        assert idp.introspect(stale, creds)["active"] is False
        assert idp.introspect(derived, creds)["active"] is True
        revoked = idp.http.post(
            idp.url("enterprise", "revoke"),
            data={"token": actor},
            auth=(creds.client_id, creds.client_secret or ""),
        )
        assert revoked.status_code == 200
        assert idp.introspect(derived, creds)["active"] is False


def test_one_prune_per_interval_among_every_process() -> None:
    clock = Clock()
    with serving(clock) as idp:
        now = int(clock())
        first = prune.housekeeping(idp.svc.store, now)
        assert first is not None  # due: nothing pruned yet
        assert prune.housekeeping(idp.svc.store, now + 1) is None  # claimed by the first
        assert prune.housekeeping(idp.svc.store, now + prune.PRUNE_INTERVAL) is not None


def test_audit_retention_prunes_only_old_audit_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    with serving(clock) as idp:
        creds = idp.agent()
        idp.cc(creds)
        clock.advance(2 * 86400)
        idp.cc(creds)
        monkeypatch.setenv(prune.RETENTION_ENV, "1")
        report = prune.prune(idp.svc.store, int(clock()), retention=prune.audit_retention())
        assert report.audit == 1
        assert [e["event"] for e in idp.svc.audit(limit=10)] == ["issue:access_token"]
        monkeypatch.setenv(prune.RETENTION_ENV, "soon")
        assert prune.audit_retention() is None  # unreadable: keep everything


def test_audit_retention_keeps_the_newest_line_so_ids_keep_growing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Audit ids are max(id) + 1: were the newest line pruned, the next one would reuse its
    id, and `idp audit --follow` (which asks for ids after the last it showed) would miss it."""
    clock = Clock()
    with serving(clock) as idp:
        creds = idp.agent()
        idp.cc(creds)
        idp.cc(creds)
        newest = max(e["id"] for e in idp.svc.audit(limit=100))
        clock.advance(2 * 86400)  # every line is now past the retention
        monkeypatch.setenv(prune.RETENTION_ENV, "1")
        prune.prune(idp.svc.store, int(clock()), retention=prune.audit_retention())
        assert [e["id"] for e in idp.svc.audit(limit=100)] == [newest]
        idp.cc(creds)
        assert [e["id"] for e in idp.svc.audit(limit=100)] == [newest, newest + 1]


# Stated bound for the sustained-load test below: a token every 30 s for 15 token lifetimes
# (~600 tokens issued, ~40 live at a time, the audit log kept for 2 hours).
SUSTAINED_LIMIT_BYTES = 1024 * 1024


def _on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def test_the_database_stays_under_a_stated_size_under_sustained_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(prune.RETENTION_ENV, str(2 / 24))
    clock = Clock()
    with serving(clock) as idp:
        creds = idp.agent()
        path = Path(idp.svc.store.path)
        sizes: list[int] = []
        live_max = 0
        lifetimes = 15
        steps = lifetimes * GONE_AFTER // 30
        for step in range(steps):
            clock.advance(30)
            idp.cc(creds)
            if step % 2 == 0:  # the workers' housekeeping, every simulated minute
                prune.housekeeping(idp.svc.store, int(clock()))
                live_max = max(live_max, _count(idp, "tokens"))
            if step % 20 == 0:
                sizes.append(_on_disk(path))
        assert max(sizes) < SUSTAINED_LIMIT_BYTES, sizes
        # Flat once the first lifetimes have passed: what is pruned is reused.
        settled = sizes[len(sizes) // 3 :]
        assert max(settled) <= min(settled) * 1.25, sizes
        assert live_max <= (GONE_AFTER + prune.PRUNE_INTERVAL) // 30 + 2
        # Without pruning every record would still be here.
        assert _count(idp, "tokens") < steps // 10


# A prune of many expired records in small batches, killed half-way.
PRUNER = r"""
import sys
from pathlib import Path
from agentctl.idp import prune
from agentctl.idp.store import Store
prune.PRUNE_BATCH = 50
store = Store.open(Path(sys.argv[1]))
print("started", flush=True)
prune.prune(store, int(sys.argv[2]))
print("done", flush=True)
"""


def test_a_prune_killed_with_sigkill_loses_nothing_and_the_next_one_finishes() -> None:
    clock = Clock()
    with serving(clock) as idp:
        store = idp.svc.store
        creds = idp.agent()
        now = int(clock())
        # 20k expired records (as a long-running server leaves them), one live token.
        with store.write() as db:
            db.executemany(
                "INSERT INTO tokens(jti, issuer, kind, client_id, sub, iat, exp, revoked)"
                " VALUES (?, 'enterprise', 'access_token', ?, ?, ?, ?, 0)",
                [
                    (f"old-{i}", creds.client_id, creds.client_id, now - 7200, now - 3600)
                    for i in range(20_000)
                ],
            )
        live = idp.cc(creds)
        path = str(store.path)
        child = subprocess.Popen(
            [sys.executable, "-c", PRUNER, path, str(now)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 30
        while _count(idp, "tokens") > 15_000 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        left = _count(idp, "tokens")
        assert 1 < left <= 15_001  # killed part-way: whole batches gone, no half batch
        assert (left - 1) % 50 == 0  # the child's batch size
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert idp.introspect(live, creds)["active"] is True
        prune.prune(store, now)
        assert _jtis(idp) == {idp.introspect(live, creds)["jti"]}


def test_an_in_process_command_prunes_when_it_is_due() -> None:
    from agentctl.idp.inprocess import in_process_app
    from agentctl.idp.service import IdpService

    svc = IdpService.open()
    creds = svc.create_agent("bot")
    now = svc.ctx.now()
    with svc.store.write() as db:
        db.execute(
            "INSERT INTO tokens(jti, issuer, kind, client_id, sub, iat, exp, revoked)"
            " VALUES ('old', 'enterprise', 'access_token', ?, ?, ?, ?, 0)",
            (creds.client_id, creds.client_id, now - 7200, now - 3600),
        )
    in_process_app(svc)  # what every embedded-IdP command builds first
    assert svc.store.row("SELECT 1 FROM tokens WHERE jti = 'old'") is None


def _log_frames(path: Path) -> int:
    """Frames in the WAL since it last started over (a fresh connection asks)."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()
    return int(row[1])


def _fill(store: object, rows: int) -> None:
    from agentctl.idp.store import Store

    assert isinstance(store, Store)
    blob = "x" * 3000
    for i in range(rows):
        with store.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO idp_settings(name, value) VALUES (?, ?)", (f"t{i}", blob)
            )


@pytest.mark.parametrize("background", [False, True])
def test_a_served_worker_checkpoints_from_its_housekeeping_thread(
    tmp_path: Path, background: bool
) -> None:
    """`idp serve` workers take checkpoints off the COMMIT path: their connections stop
    checkpointing at commit, and the housekeeping thread's two-pass checkpoint lets the WAL
    start over. Without that thread (and autocheckpoint off) the WAL would only grow."""
    from agentctl.idp.store import Store

    store = Store.open(tmp_path / "idp.sqlite3")
    keeper = prune.Housekeeper(store, time.time, checkpoints=True)
    if background:
        keeper.start()
    else:
        store.background_checkpoints()  # autocheckpoint off, and nobody checkpointing
    try:
        assert store.connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        _fill(store, 3000)  # ~9 MB through the WAL, over CHECKPOINT_BYTES twice
        time.sleep(5 * prune.CHECKPOINT_TICK)
        _fill(store, 5)
        frames = _log_frames(store.path)
    finally:
        keeper.stopped.set()
        store.close_all()
    if background:
        assert frames < 1000, frames  # started over since the bulk
    else:
        assert frames > 2000, frames
