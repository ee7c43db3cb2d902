"""Bounded storage for the embedded IdP: expired records pruned on a schedule, the WAL
checkpointed with a size limit.

Every issued token leaves a record (`tokens`, and `grant_tokens` / `signin_scopes` beside it)
that revocation and introspection need while the token lives — and nothing needs after. A
record is pruned `PRUNE_MARGIN` seconds after its token expired (beyond the validators'
clock leeway). That is safe for the revocation chain: an exchanged token never outlives its
subject or actor token (exchange.py narrows `exp` to both), so when a record expires every
token derived from it has expired too.

The audit log is kept: it is what the IdP is for. `AGENTCTL_IDP_AUDIT_RETENTION_DAYS` (read
when pruning) bounds it too, for a server that runs for months.

Scheduling: `housekeeping(store, now)` is cheap to call often. It prunes when the last prune
(any process: the time is claimed in `idp_settings` inside a write transaction, so of several
granian workers one does it) is `PRUNE_INTERVAL` old, one short transaction per batch so the
token endpoint never waits long; and it checkpoints the WAL (TRUNCATE) when the WAL is over
`WAL_LIMIT` or after a prune. Each connection also sets `journal_size_limit` (see
agentctl.config.sqlitedb), so a WAL that grew under load shrinks back at the next reset.
`agentctl idp serve` runs it from a thread in each worker; an in-process command runs it once
when it opens the IdP. A prune cut short (SIGKILL) loses nothing: each batch commits whole and
the next prune goes on.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from agentctl.config.sqlitedb import WAL_LIMIT_BYTES
from agentctl.idp.constants import CLOCK_LEEWAY
from agentctl.idp.store import Store

log = logging.getLogger(__name__)
PRUNE_INTERVAL = 60  # seconds between prunes
PRUNE_MARGIN = 300  # seconds past a token's exp (and the leeway) before its record goes
PRUNE_BATCH = 2000  # rows per transaction
TICK = 5.0  # seconds between housekeeping checks in a served worker
# A served worker's checkpoints (Housekeeper(checkpoints=True)): at 4 MiB of WAL, as SQLite's
# own default of 1000 pages would, looked at 10 times a second.
CHECKPOINT_BYTES = 4 * 1024 * 1024
CHECKPOINT_TICK = 0.1
WAL_LIMIT = WAL_LIMIT_BYTES
RETENTION_ENV = "AGENTCTL_IDP_AUDIT_RETENTION_DAYS"
_CLAIM = "pruned_at"
# Rate windows and blocks end within this (agentctl.idp.throttle: FAILURE_WINDOW, MAX_BLOCK).
THROTTLE_STALE = 3600


@dataclass
class Pruned:
    """What one prune removed, by kind, and whether it checkpointed the WAL."""

    tokens: int = 0
    audit: int = 0
    other: int = 0
    checkpointed: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def audit_retention() -> int | None:
    """Seconds of audit log to keep, from the environment (None: keep it all)."""
    raw = os.environ.get(RETENTION_ENV, "").strip()
    if not raw:
        return None
    try:
        days = float(raw)
    except ValueError:
        return None
    return int(days * 86400) if days > 0 else None


def _batched(store: Store, select: str, params: tuple[object, ...], deletes: list[str]) -> int:
    """Delete in batches of PRUNE_BATCH keys. The keys are found by a read (WAL readers never
    block the token endpoint's writes); each batch is then one short write transaction (an
    expired row stays expired, so the keys read are still the ones to delete)."""
    total = 0
    while True:
        keys = [r[0] for r in store.rows(select + " LIMIT ?", (*params, PRUNE_BATCH))]
        if keys:
            marks = ",".join("?" * len(keys))
            with store.write() as db:
                for statement in deletes:
                    db.execute(statement.format(marks=marks), keys)
        total += len(keys)
        if len(keys) < PRUNE_BATCH:
            return total


def prune(store: Store, now: int, *, retention: int | None = None) -> Pruned:
    """Delete what no request can need any more (see the module docstring)."""
    out = Pruned()
    cutoff = now - CLOCK_LEEWAY - PRUNE_MARGIN
    # Token ids sort by issue time (tokens.new_jti), and `tokens` is kept in jti order: the
    # expired records are found first, the scan stops early.
    out.tokens = _batched(
        store,
        "SELECT jti FROM tokens WHERE exp < ? ORDER BY jti",
        (cutoff,),
        [
            "DELETE FROM grant_tokens WHERE jti IN ({marks})",
            "DELETE FROM signin_scopes WHERE jti IN ({marks})",
            "DELETE FROM tokens WHERE jti IN ({marks})",
        ],
    )
    if retention is not None:
        out.audit = _batched(
            store,
            # Never the newest line: audit ids are max(id) + 1 (agentctl.idp.store), so
            # keeping it keeps them growing for `idp audit --follow` even when all are old.
            "SELECT id FROM audit WHERE time < ? AND id < (SELECT MAX(id) FROM audit) ORDER BY id",
            (now - retention,),
            ["DELETE FROM audit WHERE id IN ({marks})"],
        )
    with store.write() as db:
        for table, sql, params in (
            ("assertion_jtis", "DELETE FROM assertion_jtis WHERE exp < ?", (cutoff,)),
            (
                "throttle",
                "DELETE FROM throttle WHERE window_start < ? AND blocked_until < ?",
                (now - THROTTLE_STALE, now),
            ),
            (
                "registration_tokens",
                "DELETE FROM registration_tokens WHERE expires_at < ? OR uses_left <= 0",
                (now,),
            ),
        ):
            out.counts[table] = db.execute(sql, params).rowcount
    out.other = sum(out.counts.values())
    return out


def _claim(store: Store, now: int) -> bool:
    """True for the one caller (of every process) whose turn it is to prune."""
    row = store.row("SELECT value FROM idp_settings WHERE name = ?", (_CLAIM,))
    if row is not None and now - _int(row["value"]) < PRUNE_INTERVAL:
        return False  # the common case: a read, no write lock
    with store.write() as db:
        row = db.execute("SELECT value FROM idp_settings WHERE name = ?", (_CLAIM,)).fetchone()
        if row is not None and now - _int(row["value"]) < PRUNE_INTERVAL:
            return False
        db.execute(
            "INSERT OR REPLACE INTO idp_settings(name, value) VALUES (?, ?)", (_CLAIM, str(now))
        )
    return True


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def wal_bytes(store: Store) -> int:
    try:
        return os.stat(f"{store.path}-wal").st_size
    except OSError:
        return 0


def checkpoint(store: Store) -> bool:
    """Copy the WAL into the database and truncate it; False when readers kept it busy."""
    conn = store.connection()
    row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return row is not None and row[0] == 0


def passive_checkpoint(store: Store) -> None:
    """Copy the WAL into the database in two passes: the bulk while writers go on appending,
    then the frames they appended meanwhile with writers held (briefly), so that the
    checkpoint completes and the next writer starts the WAL over instead of growing it."""
    conn = store.connection()
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    with store.write_turn():
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def housekeeping(store: Store, now: int) -> Pruned | None:
    """Prune when it is due, checkpoint when the WAL is large; None when nothing was due."""
    report = prune(store, now, retention=audit_retention()) if _claim(store, now) else None
    if report is not None or wal_bytes(store) > WAL_LIMIT:
        done = checkpoint(store)
        if report is None:
            report = Pruned()
        report.checkpointed = done
    return report


class Housekeeper(threading.Thread):
    """In a served worker (a daemon: it never holds the worker up at exit; a tick cut short
    is a transaction rolled back): `housekeeping` every TICK seconds and, with
    `checkpoints=True`, the WAL's checkpoints. Those then leave the request path: the store
    stops checkpointing at COMMIT, and this thread runs a PASSIVE checkpoint whenever the WAL
    has grown by CHECKPOINT_BYTES, checking every CHECKPOINT_TICK seconds."""

    def __init__(
        self, store: Store, clock: Callable[[], float], *, checkpoints: bool = False
    ) -> None:
        super().__init__(name="agentctl-idp-housekeeping", daemon=True)
        self.store, self.clock = store, clock
        self.checkpoints = checkpoints
        self.stopped = threading.Event()

    def start(self) -> None:
        if self.checkpoints:
            self.store.background_checkpoints()
        super().start()

    def run(self) -> None:
        tick = CHECKPOINT_TICK if self.checkpoints else TICK
        due = 0.0
        while not self.stopped.wait(tick):
            due += tick
            try:
                if self.checkpoints and wal_bytes(self.store) > CHECKPOINT_BYTES:
                    passive_checkpoint(self.store)
                if due >= TICK:
                    due = 0.0
                    housekeeping(self.store, int(self.clock()))
            except Exception:  # a busy or failing tick is retried at the next; say why
                log.warning("storage housekeeping failed; retrying in %s s", tick, exc_info=True)


__all__ = [
    "PRUNE_INTERVAL",
    "PRUNE_MARGIN",
    "RETENTION_ENV",
    "WAL_LIMIT",
    "Housekeeper",
    "Pruned",
    "audit_retention",
    "checkpoint",
    "housekeeping",
    "passive_checkpoint",
    "prune",
    "wal_bytes",
]
