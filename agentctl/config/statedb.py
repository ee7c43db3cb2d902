"""agentctl's own local state: registered agents, in SQLite (`<data dir>/agentctl.sqlite3`).

One row per agent, keyed by (layout, profile, name); `layout` is where its credential lives:

- `embedded`: the credential is in the row (profiles of the embedded IdP; the file is 0600
  in the 0700 data dir, like the IdP's own database beside it);
- `index`: the row names the secret's key (`secret_ref`) in the profile's secret store.

Writes are transactions (`BEGIN IMMEDIATE`), so parallel commands never lose each other's
agents. A command that changes one agent at the IdP first *claims* its row (`claim`), so the
IdP and this database change together: a second `register` of the same name waits and then
finds the agent, a `rotate` never races another `rotate`. A claim held by a process that
died (SIGKILL) is taken over; a row a `register` created but never completed (no client id)
is invisible to lookups.

The old JSON files (`<data dir>/agents.json`, `<config dir>/agents.json`) are migrated on
first use: in one transaction, verified, then renamed to `agents.json.migrated`. A migration
cut short at any point is simply done again (`migrations` remembers each file by its hash).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentctl.config import paths
from agentctl.config.sqlitedb import SqliteDb
from agentctl.errors import ConfigError

DB_FILE = "agentctl.sqlite3"
OLD_FILE = "agents.json"
EMBEDDED, INDEX = "embedded", "index"
# How long a claim may be held (the slowest IdP: Entra's registration waits for replication).
CLAIM_MAX_AGE = 15 * 60
CLAIM_WAIT = 120.0

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS agents (
        layout TEXT NOT NULL, profile TEXT NOT NULL, name TEXT NOT NULL,
        client_id TEXT, record TEXT NOT NULL, credential TEXT, secret_ref TEXT,
        claim_owner TEXT, claim_pid INTEGER, claim_since INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (layout, profile, name))""",
    "CREATE INDEX IF NOT EXISTS agents_client_id ON agents(layout, profile, client_id)",
    """CREATE TABLE IF NOT EXISTS migrations (
        source TEXT NOT NULL, sha256 TEXT NOT NULL, agents INTEGER NOT NULL,
        migrated_at INTEGER NOT NULL, PRIMARY KEY (source, sha256))""",
)


class StateDb(SqliteDb):
    what = "agentctl's state database"
    damaged_hint = (
        "move it away and register the agents again (an agents.json.migrated beside it "
        "holds what agentctl kept before it moved to SQLite)"
    )

    def setup(self) -> None:
        with self.write() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute("PRAGMA user_version = 1")


def db_path() -> Path:
    return paths.data_dir() / DB_FILE


def old_files() -> dict[str, Path]:
    return {EMBEDDED: paths.data_dir() / OLD_FILE, INDEX: paths.config_dir() / OLD_FILE}


def open_db() -> StateDb:
    """The process's handle on the state database, with any old JSON file migrated."""
    db = StateDb.shared(db_path())
    for layout, source in old_files().items():
        if source.exists() or source.is_symlink():
            migrate(db, layout, source)
    return db


@dataclass(frozen=True)
class AgentRow:
    """One agent record row of the state database, decoded."""

    layout: str
    profile: str
    name: str
    client_id: str | None
    record: dict[str, Any]
    credential: dict[str, Any] | None
    secret_ref: str | None


def _row(raw: Any) -> AgentRow:
    def doc(text: str | None) -> dict[str, Any] | None:
        if text is None:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    return AgentRow(
        layout=raw["layout"],
        profile=raw["profile"],
        name=raw["name"],
        client_id=raw["client_id"],
        record=doc(raw["record"]) or {},
        credential=doc(raw["credential"]),
        secret_ref=raw["secret_ref"],
    )


def _dump(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


# -- reads (complete agents only) --------------------------------------------------------------


def find(db: StateDb, layout: str, profile: str, name_or_client_id: str) -> AgentRow | None:
    raw = db.row(
        "SELECT * FROM agents WHERE layout = ? AND profile = ? AND name = ? "
        "AND client_id IS NOT NULL",
        (layout, profile, name_or_client_id),
    ) or db.row(
        "SELECT * FROM agents WHERE layout = ? AND profile = ? AND client_id = ? "
        "ORDER BY name LIMIT 1",
        (layout, profile, name_or_client_id),
    )
    return _row(raw) if raw is not None else None


def list_rows(
    db: StateDb, layout: str, profile: str, *, limit: int | None = None, after: str | None = None
) -> list[AgentRow]:
    """The profile's agents by name; `after` a name and `limit` make one keyset page (the
    primary key serves it, so a page costs the same wherever it starts)."""
    # No credential column: a listing never needs the secret, nor the cost of parsing it.
    sql = (
        "SELECT layout, profile, name, client_id, record, NULL AS credential, secret_ref "
        "FROM agents WHERE layout = ? AND profile = ? AND client_id IS NOT NULL"
    )
    params: list[Any] = [layout, profile]
    if after is not None:
        sql += " AND name > ?"
        params.append(after)
    sql += " ORDER BY name"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_row(raw) for raw in db.rows(sql, params)]


def all_rows(db: StateDb, layout: str, *, named: str | None = None) -> list[AgentRow]:
    """Every profile's agents; `named`: only those with that name or client id (filtered in
    SQL, so a lookup parses no other row)."""
    sql = "SELECT * FROM agents WHERE layout = ? AND client_id IS NOT NULL"
    params: list[Any] = [layout]
    if named is not None:
        sql += " AND (name = ? OR client_id = ?)"
        params += [named, named]
    return [_row(raw) for raw in db.rows(sql + " ORDER BY profile, name", params)]


# -- writes ------------------------------------------------------------------------------------


def put(db: StateDb, row: AgentRow, *, claim: Claim | None = None) -> None:
    """Insert or replace the agent's row. Under a claim, only while the claim still holds."""
    if not row.client_id:
        raise ConfigError(f"agent {row.name} has no client id; nothing was stored")
    with db.write() as conn:
        if claim is not None:
            claim.check(conn)
        conn.execute(
            """INSERT INTO agents (layout, profile, name, client_id, record, credential,
                   secret_ref, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (layout, profile, name) DO UPDATE SET client_id = excluded.client_id,
                   record = excluded.record, credential = excluded.credential,
                   secret_ref = excluded.secret_ref, updated_at = excluded.updated_at""",
            (
                row.layout,
                row.profile,
                row.name,
                row.client_id,
                _dump(row.record),
                _dump(row.credential),
                row.secret_ref,
                int(time.time()),
            ),
        )


def delete(db: StateDb, layout: str, profile: str, name: str, *, claim: Claim | None) -> bool:
    with db.write() as conn:
        if claim is not None:
            claim.check(conn)
        gone = conn.execute(
            "DELETE FROM agents WHERE layout = ? AND profile = ? AND name = ?",
            (layout, profile, name),
        ).rowcount
    return bool(gone)


# -- claims ------------------------------------------------------------------------------------


@dataclass
class Claim:
    """This process is changing one agent (at the IdP and here); others wait."""

    db: StateDb
    layout: str
    profile: str
    name: str
    owner: str
    existing: AgentRow | None  # the complete agent when claimed, else None

    def check(self, conn: Any) -> None:
        raw = conn.execute(
            "SELECT claim_owner FROM agents WHERE layout = ? AND profile = ? AND name = ?",
            (self.layout, self.profile, self.name),
        ).fetchone()
        if raw is None or raw["claim_owner"] != self.owner:
            raise ConfigError(
                f"agent {self.name} was taken over by another agentctl command meanwhile",
                hint=f"`agentctl agent show {self.name}` shows what is stored now",
            )


def _alive(pid: int | None, since: int | None, now: float) -> bool:
    if not pid or since is None or now - since > CLAIM_MAX_AGE:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def claim(
    db: StateDb, layout: str, profile: str, name: str, *, wait: float = CLAIM_WAIT
) -> Iterator[Claim]:
    """Claim the agent `name` (creating an invisible placeholder row when it does not exist),
    waiting while a live process holds it. Released when the block ends; a placeholder that
    was never completed is removed again."""
    owner = f"{os.getpid()}:{secrets.token_hex(8)}"
    deadline = time.monotonic() + wait
    delay = 0.02
    while True:
        got, holder = _try_claim(db, layout, profile, name, owner)
        if got is not None:
            break
        if time.monotonic() > deadline:
            raise ConfigError(
                f"agent {name} is being changed by another agentctl command (pid {holder})",
                hint="wait for it to finish, then retry",
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    try:
        yield got
    finally:
        _release(db, got)


def _try_claim(
    db: StateDb, layout: str, profile: str, name: str, owner: str
) -> tuple[Claim | None, int | None]:
    now = time.time()
    with db.write() as conn:
        raw = conn.execute(
            "SELECT * FROM agents WHERE layout = ? AND profile = ? AND name = ?",
            (layout, profile, name),
        ).fetchone()
        if raw is None:
            conn.execute(
                """INSERT INTO agents (layout, profile, name, client_id, record, claim_owner,
                       claim_pid, claim_since, updated_at)
                   VALUES (?, ?, ?, NULL, '{}', ?, ?, ?, ?)""",
                (layout, profile, name, owner, os.getpid(), int(now), int(now)),
            )
            return Claim(db, layout, profile, name, owner, None), None
        if raw["claim_owner"] and _alive(raw["claim_pid"], raw["claim_since"], now):
            return None, raw["claim_pid"]
        conn.execute(
            "UPDATE agents SET claim_owner = ?, claim_pid = ?, claim_since = ? "
            "WHERE layout = ? AND profile = ? AND name = ?",
            (owner, os.getpid(), int(now), layout, profile, name),
        )
        existing = _row(raw) if raw["client_id"] is not None else None
        return Claim(db, layout, profile, name, owner, existing), None


def _release(db: StateDb, got: Claim) -> None:
    with db.write() as conn:
        conn.execute(
            "DELETE FROM agents WHERE layout = ? AND profile = ? AND name = ? "
            "AND claim_owner = ? AND client_id IS NULL",
            (got.layout, got.profile, got.name, got.owner),
        )
        conn.execute(
            "UPDATE agents SET claim_owner = NULL, claim_pid = NULL, claim_since = NULL "
            "WHERE layout = ? AND profile = ? AND name = ? AND claim_owner = ?",
            (got.layout, got.profile, got.name, got.owner),
        )


# -- migration from agents.json ------------------------------------------------------------------


def _damaged(source: Path, what: str) -> ConfigError:
    return ConfigError(
        f"cannot move the agent index {source} into {DB_FILE}: {what}",
        hint="fix that in the file, or move the file away and register the agents again",
        details={"path": str(source)},
    )


def _parse_old(source: Path, layout: str, raw: bytes) -> list[AgentRow]:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _damaged(source, f"not JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("profiles"), dict):
        raise _damaged(source, "it is not an agentctl agent file")
    rows: list[AgentRow] = []
    for profile, entries in doc["profiles"].items():
        if not isinstance(entries, dict):
            raise _damaged(source, f"the entry for profile {profile!r} is not an object")
        for name, entry in entries.items():
            record = entry.get("record") if isinstance(entry, dict) else None
            if not isinstance(record, dict) or not isinstance(record.get("client_id"), str):
                raise _damaged(source, f"agent {name!r} of profile {profile!r} is damaged")
            credential = entry.get("credential")
            ref = entry.get("secret_ref")
            rows.append(
                AgentRow(
                    layout=layout,
                    profile=str(profile),
                    name=str(name),
                    client_id=record["client_id"],
                    record=record,
                    credential=credential if isinstance(credential, dict) else None,
                    secret_ref=ref if isinstance(ref, str) else None,
                )
            )
    return rows


def migrate(db: StateDb, layout: str, source: Path) -> int:
    """Move one old agents.json into the database (see the module docstring); returns how
    many agents it held. Agents already in the database are kept as they are."""
    from agentctl.config.filelock import locked
    from agentctl.files import MAX_CONFIG_FILE, read_bytes

    with locked(source):  # one migrating process at a time; the others wait, then skip
        raw = read_bytes(
            source,
            what="the agent index",
            limit=MAX_CONFIG_FILE,
            error=ConfigError,
            missing_ok=True,
        )
        if raw is None:
            return 0  # another process migrated it meanwhile
        digest = hashlib.sha256(raw).hexdigest()
        rows = _parse_old(source, layout, raw)
        with db.write() as conn:
            done = conn.execute(
                "SELECT 1 FROM migrations WHERE source = ? AND sha256 = ?", (str(source), digest)
            ).fetchone()
            if done is None:
                for row in rows:
                    conn.execute(
                        """INSERT OR IGNORE INTO agents (layout, profile, name, client_id,
                               record, credential, secret_ref, updated_at)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                        (
                            row.layout,
                            row.profile,
                            row.name,
                            row.client_id,
                            _dump(row.record),
                            _dump(row.credential),
                            row.secret_ref,
                            int(time.time()),
                        ),
                    )
                # Verified inside the transaction: every agent of the file is here now.
                for row in rows:
                    if not conn.execute(
                        "SELECT 1 FROM agents WHERE layout = ? AND profile = ? AND name = ? "
                        "AND client_id IS NOT NULL",
                        (row.layout, row.profile, row.name),
                    ).fetchone():
                        raise _damaged(source, f"agent {row.name!r} did not arrive")
                conn.execute(
                    "INSERT INTO migrations (source, sha256, agents, migrated_at) "
                    "VALUES (?, ?, ?, ?)",
                    (str(source), digest, len(rows), int(time.time())),
                )
        _keep_aside(source)
    return len(rows)


def _keep_aside(source: Path) -> None:
    """Rename the migrated file (never delete it): `agents.json.migrated`, or `.migrated.N`."""
    target = source.with_name(source.name + ".migrated")
    n = 1
    while target.exists():
        target = source.with_name(f"{source.name}.migrated.{n}")
        n += 1
    os.replace(source, target)
    try:
        fd = os.open(source.parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = [
    "DB_FILE",
    "EMBEDDED",
    "INDEX",
    "AgentRow",
    "Claim",
    "StateDb",
    "all_rows",
    "claim",
    "db_path",
    "delete",
    "find",
    "list_rows",
    "migrate",
    "old_files",
    "open_db",
    "put",
]
