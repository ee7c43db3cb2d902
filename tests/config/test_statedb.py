"""agentctl's state database: the migration from agents.json, claims, and a SIGKILL at any
point of a migration."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agentctl.config import paths, statedb
from agentctl.config.resolve import resolve_settings
from agentctl.errors import ConfigError
from agentctl.services import agents


def _old_doc(n: int, profile: str = "local", *, secrets_inline: bool = True) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for i in range(n):
        record: dict[str, Any] = {
            "name": f"bot-{i}",
            "client_id": f"agt_{i:05d}",
            "profile": profile,
            "kind": "local" if secrets_inline else "oidc",
            "issuer": "http://127.0.0.1:8400/i/enterprise",
            "credential_type": "client_secret",
            "extra": {},
        }
        entry: dict[str, Any] = {"record": record}
        if secrets_inline:
            entry["credential"] = {"client_id": record["client_id"], "secret": f"s-{i}"}
        else:
            entry["secret_ref"] = f"{profile}/agent/bot-{i}"
        entries[f"bot-{i}"] = entry
    return {"format": 1, "profiles": {profile: entries}}


def _write_old(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def _names(layout: str = statedb.EMBEDDED, profile: str = "local") -> list[str]:
    return [r.name for r in statedb.list_rows(statedb.open_db(), layout, profile)]


def test_both_old_files_move_into_the_database_and_are_kept_aside() -> None:
    embedded = paths.data_dir() / "agents.json"
    index = paths.config_dir() / "agents.json"
    _write_old(embedded, _old_doc(3))
    _write_old(index, _old_doc(2, "corp", secrets_inline=False))
    settings = resolve_settings()
    assert [r.name for r in agents.list_agents(settings)] == ["bot-0", "bot-1", "bot-2"]
    assert agents.load_agent(settings, "bot-1")[1].secret == "s-1"
    assert _names(statedb.INDEX, "corp") == ["bot-0", "bot-1"]
    assert not embedded.exists()
    assert not index.exists()
    assert json.loads((embedded.parent / "agents.json.migrated").read_text()) == _old_doc(3)
    assert (index.parent / "agents.json.migrated").exists()
    db = statedb.db_path()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_migrating_again_adds_nothing_twice_and_keeps_newer_records() -> None:
    embedded = paths.data_dir() / "agents.json"
    _write_old(embedded, _old_doc(2))
    settings = resolve_settings()
    agents.list_agents(settings)
    agents.forget_agent(settings, "bot-0")
    # An older agentctl (or a restored backup) writes the same file again.
    _write_old(embedded, _old_doc(2))
    assert _names() == ["bot-1"]  # same content: already migrated, bot-0 stays forgotten
    doc = _old_doc(3)
    doc["profiles"]["local"]["bot-1"]["credential"]["secret"] = "older"
    _write_old(embedded, doc)
    assert _names() == ["bot-0", "bot-1", "bot-2"]  # new content: its agents come back
    assert agents.load_agent(settings, "bot-1")[1].secret == "s-1"  # the database's wins
    kept = sorted(p.name for p in embedded.parent.glob("agents.json.migrated*"))
    assert kept == ["agents.json.migrated", "agents.json.migrated.1", "agents.json.migrated.2"]


def test_a_damaged_old_file_is_a_config_error_and_stays_where_it_is() -> None:
    embedded = paths.data_dir() / "agents.json"
    doc = _old_doc(2)
    doc["profiles"]["local"]["bot-1"] = {"record": {"name": "bot-1"}}
    _write_old(embedded, doc)
    with pytest.raises(ConfigError) as err:
        agents.list_agents(resolve_settings())
    assert "bot-1" in err.value.message
    assert str(embedded) in err.value.message
    assert embedded.exists()
    with pytest.raises(ConfigError):  # and nothing half-migrated meanwhile
        agents.find_record(resolve_settings(), "bot-0")


MIGRATE = """
import sys
from agentctl.config import statedb
statedb.open_db()
print("done", flush=True)
"""


@pytest.mark.slow
def test_sigkill_at_any_point_of_a_migration_loses_nothing(tmp_path: Path) -> None:
    """Kill a migrating process at spread-out moments; after every kill the old file is
    either still there (and the database holds none or all of it), or it was renamed and the
    database holds all of it. A last run always finishes the job."""
    home = Path(os.environ["AGENTCTL_HOME"])
    embedded = paths.data_dir() / "agents.json"
    n = 3000
    env = {**os.environ, "AGENTCTL_HOME": str(home)}
    killed_before_done = 0
    for delay in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6):
        for leftover in embedded.parent.glob("agents.json.migrated*"):
            leftover.unlink()
        for db_file in embedded.parent.glob("agentctl.sqlite3*"):
            db_file.unlink()
        _write_old(embedded, _old_doc(n))
        proc = subprocess.Popen(
            [sys.executable, "-c", MIGRATE], env=env, stdout=subprocess.PIPE, text=True
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        killed_before_done += "done" not in out
        _check_all_or_nothing(embedded, n)
        # Whatever happened, the next run completes the migration.
        rerun = subprocess.run(
            [sys.executable, "-c", MIGRATE], env=env, capture_output=True, text=True, timeout=60
        )
        assert rerun.returncode == 0, rerun.stderr
        assert not embedded.exists()
        assert _count_in_db() == n
    assert killed_before_done >= 2  # the kills did land mid-way


def _count_in_db() -> int:
    import sqlite3

    conn = sqlite3.connect(statedb.db_path())
    try:
        return int(
            conn.execute("SELECT count(*) FROM agents WHERE client_id IS NOT NULL").fetchone()[0]
        )
    except sqlite3.OperationalError:  # killed before the schema was made
        return 0
    finally:
        conn.close()


def _check_all_or_nothing(embedded: Path, n: int) -> None:
    count = _count_in_db() if statedb.db_path().exists() else 0
    if embedded.exists():
        assert count in (0, n)
    else:
        assert (embedded.parent / "agents.json.migrated").exists()
        assert count == n


def test_a_claim_makes_a_second_claimant_wait_and_a_dead_owner_is_taken_over() -> None:
    db = statedb.open_db()
    with statedb.claim(db, statedb.EMBEDDED, "local", "bot") as first:
        assert first.existing is None
        with (
            pytest.raises(ConfigError, match="being changed by another agentctl command"),
            statedb.claim(db, statedb.EMBEDDED, "local", "bot", wait=0.2),
        ):
            pass
        # A pending registration is invisible to lookups.
        assert statedb.find(db, statedb.EMBEDDED, "local", "bot") is None
    # Released without completing: the placeholder is gone.
    assert db.row("SELECT * FROM agents") is None
    # A claim whose process died (SIGKILL) is taken over at once.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with db.write() as conn:
        conn.execute(
            "INSERT INTO agents (layout, profile, name, client_id, record, claim_owner, "
            "claim_pid, claim_since, updated_at) VALUES ('embedded', 'local', 'bot', NULL, "
            "'{}', 'ghost', ?, ?, 0)",
            (int(dead.stdout), int(time.time())),
        )
    with statedb.claim(db, statedb.EMBEDDED, "local", "bot", wait=0.2) as taken:
        assert taken.existing is None
