"""SQLite storage for the embedded IdP.

One database file (default `<data_dir>/idp.sqlite3`, dir 0700, file 0600) shared by every
process that serves or administers the IdP. Rules that keep several processes safe on it:

- WAL journal, `synchronous=NORMAL` (a killed process loses nothing it committed; only a power
  cut can drop the last transactions), `busy_timeout` so writers queue instead of failing.
- Every write runs in `Store.write()`: `BEGIN IMMEDIATE` takes the write lock up front, so a
  read snapshot is never upgraded mid-transaction (the case `busy_timeout` cannot wait out).
  Before it, writers queue on a thread lock and a `flock` on the sidecar `<file>-wlock`,
  which wake the next writer at once (SQLite's busy handler sleeps between polls); keep
  transactions short, nothing slow inside them.
- One `Store` per database file per process (`Store.open`), shared by every layer, one
  connection per thread; nothing else opens the file (agentctl.config.sqlitedb says why).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from agentctl.config.sqlitedb import BUSY_TIMEOUT_MS, SqliteDb
from agentctl.idp.constants import DB_FILENAME

# 2: `tokens_parent` dropped (nothing looks tokens up by parent: revocation walks up a chain by
# primary key); `tokens` and `grant_tokens` are one b-tree each, keyed by jti (WITHOUT ROWID),
# instead of a rowid table plus a jti index; `audit` ids without AUTOINCREMENT. Every exchanged
# token written touches four fewer b-tree pages.
SCHEMA_VERSION = 2

# Both keyed by jti, WITHOUT ROWID: one b-tree each, where a rowid table keeps the rows in one
# and a jti index in another. Token ids sort by issue time (agentctl.idp.tokens.new_jti), so
# jti order is also the order prune looks for expired records in.
_TOKENS = """CREATE TABLE IF NOT EXISTS {name} (
        jti TEXT PRIMARY KEY, issuer TEXT NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL,
        sub TEXT NOT NULL, parent_jti TEXT, actor_jti TEXT, iat INTEGER NOT NULL,
        exp INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID"""
_GRANT_TOKENS = """CREATE TABLE IF NOT EXISTS {name} (
        jti TEXT PRIMARY KEY, issuer TEXT NOT NULL, user_sub TEXT NOT NULL,
        agent_client_id TEXT NOT NULL, kind TEXT NOT NULL) WITHOUT ROWID"""
# Ids come from max(id) + 1, not AUTOINCREMENT (which updates `sqlite_sequence` on every
# insert: one more page per token written). They still only grow, because the audit retention
# never deletes the newest line (agentctl.idp.prune), and `idp audit --follow` relies on that.
_AUDIT = """CREATE TABLE IF NOT EXISTS {name} (
        id INTEGER PRIMARY KEY, time INTEGER NOT NULL, issuer TEXT NOT NULL,
        event TEXT NOT NULL, grant_type TEXT, client_id TEXT, subject TEXT,
        actor_chain TEXT NOT NULL, audience TEXT NOT NULL, scope TEXT, jti TEXT,
        parent_jti TEXT, detail TEXT NOT NULL)"""
_GRANT_TOKENS_INDEX = (
    "CREATE INDEX IF NOT EXISTS grant_tokens_grant ON grant_tokens(issuer, user_sub,"
    " agent_client_id, kind)"
)

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
    # `idp agents list` pages in this order (agentctl.idp.listing): every page costs the same.
    "CREATE INDEX IF NOT EXISTS agents_listing ON agents(created_at, name, client_id, issuer)",
    """CREATE TABLE IF NOT EXISTS users (
        issuer TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
        password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (issuer, name))""",
    """CREATE TABLE IF NOT EXISTS delegations (
        issuer TEXT NOT NULL, user_sub TEXT NOT NULL, agent_client_id TEXT NOT NULL,
        scopes TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, user_sub, agent_client_id))""",
    _TOKENS.format(name="tokens"),
    """CREATE TABLE IF NOT EXISTS assertion_jtis (
        issuer TEXT NOT NULL, client_id TEXT NOT NULL, jti TEXT NOT NULL, exp INTEGER NOT NULL,
        PRIMARY KEY (issuer, client_id, jti))""",
    _AUDIT.format(name="audit"),
    # Impersonation is its own permission, apart from `delegations` (issue: a delegation grant
    # must never yield a token without `act`).
    """CREATE TABLE IF NOT EXISTS impersonations (
        issuer TEXT NOT NULL, user_sub TEXT NOT NULL, agent_client_id TEXT NOT NULL,
        scopes TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, user_sub, agent_client_id))""",
    # Which tokens a grant authorised, so withdrawing the grant revokes them.
    _GRANT_TOKENS.format(name="grant_tokens"),
    _GRANT_TOKENS_INDEX,
    # The scope a user consented to at sign-in, per ID token: an ID token carries no `scope`,
    # and as a subject token it may never grant more than this.
    """CREATE TABLE IF NOT EXISTS signin_scopes (
        jti TEXT PRIMARY KEY, scope TEXT NOT NULL)""",
    # RFC 7591 §3 initial access tokens (hash only) with the policy they give a client.
    """CREATE TABLE IF NOT EXISTS registration_tokens (
        token_hash TEXT PRIMARY KEY, issuer TEXT NOT NULL, policy TEXT NOT NULL,
        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, uses_left INTEGER NOT NULL)""",
    # Failure counters and rate windows (password guessing, registration floods), shared by
    # every worker process.
    """CREATE TABLE IF NOT EXISTS throttle (
        key TEXT PRIMARY KEY, count INTEGER NOT NULL, window_start INTEGER NOT NULL,
        blocked_until INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS idp_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)""",
)


def default_db_path() -> Path:
    """`<agentctl data dir>/idp.sqlite3` (AGENTCTL_HOME is read now, not at import)."""
    from agentctl.config.paths import data_dir

    return data_dir() / DB_FILENAME


class Store(SqliteDb):
    """Thread-safe, multi-process-safe access to one IdP database file. `Store.open(path)`
    gives the process's one handle on it (see agentctl.config.sqlitedb for why only one)."""

    what = "the IdP database"
    damaged_hint = (
        "move it away (or restore it from a backup) to keep its agents, or start a new IdP "
        "with `agentctl idp reset --yes`"
    )

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        return cls.shared(Path(path) if path is not None else default_db_path())

    def ensure_tables(self, name: str, statements: Sequence[str]) -> None:
        """A plugin's own tables (`CREATE ... IF NOT EXISTS` statements), created once per
        process: a write transaction only the first time `name` is asked for."""
        done: set[str] = self.__dict__.setdefault("_tables_ensured", set())
        if name in done:
            return
        with self.write() as db:
            for statement in statements:
                db.execute(statement)
        done.add(name)

    def setup(self) -> None:
        # One transaction: a process killed mid-upgrade leaves the database as it was.
        with self.write() as db:
            found = int(db.execute("PRAGMA user_version").fetchone()[0])
            if found > SCHEMA_VERSION:
                raise self._error(
                    self.path,
                    f"it was written by a newer agentctl (schema {found}; this one knows up "
                    f"to {SCHEMA_VERSION})",
                    hint="upgrade agentctl, or point AGENTCTL_HOME at another directory",
                )
            for statement in _SCHEMA:
                db.execute(statement)
            if found < SCHEMA_VERSION:
                _upgrade(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _upgrade(db: sqlite3.Connection) -> None:
    """Bring a schema-1 database to schema 2, inside setup's transaction. Checks what is
    there rather than trusting user_version: an older agentctl that opened the file since
    wrote its own version number back but kept the new table."""
    db.execute("DROP INDEX IF EXISTS tokens_parent")
    _rebuild(db, "tokens", _TOKENS, unless="WITHOUT ROWID")
    _rebuild(db, "grant_tokens", _GRANT_TOKENS, _GRANT_TOKENS_INDEX, unless="WITHOUT ROWID")
    _rebuild(db, "audit", _AUDIT, only_if="AUTOINCREMENT")


def _rebuild(
    db: sqlite3.Connection,
    table: str,
    create: str,
    *indexes: str,
    unless: str | None = None,
    only_if: str | None = None,
) -> None:
    """Rebuild `table` from `create` (a template with {name}) when its current definition
    lacks `unless` or has `only_if`: copy the rows (ids included) into a new table, drop the
    old one with its indexes, rename, and make `indexes` again."""
    row = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if row is None:
        return
    sql = str(row[0]).upper()
    if (unless is not None and unless in sql) or (only_if is not None and only_if not in sql):
        return
    new = f"{table}_v2"
    db.execute(create.format(name=new))
    columns = ", ".join(r[1] for r in db.execute(f"PRAGMA table_info({table})"))
    db.execute(f"INSERT INTO {new} ({columns}) SELECT {columns} FROM {table}")  # noqa: S608 - names from our schema
    db.execute(f"DROP TABLE {table}")  # and its indexes
    db.execute(f"ALTER TABLE {new} RENAME TO {table}")
    for statement in indexes:
        db.execute(statement)


__all__ = ["BUSY_TIMEOUT_MS", "SCHEMA_VERSION", "Store", "default_db_path"]
