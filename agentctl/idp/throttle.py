"""Throttles shared by every worker of one IdP: password back-off and registration rates.

State lives in the IdP's SQLite database (table `throttle`), so the server's worker processes
see one count, and a restart does not hand an attacker a fresh budget.

Password checks (the device sign-in page and the admin sign-in route) are throttled per user
and per source address: the first `FREE_FAILURES` wrong passwords cost nothing, each one after
that blocks the key for twice as long as the last (1 s, 2 s, 4 s … capped at `MAX_BLOCK`).
A correct password clears the user's count. While a key is blocked no password is checked at
all, so a guess made then cannot succeed and cannot be measured. Device codes being unlimited,
counting per code alone (as RFC 8628 §5.2 suggests) would not slow a guesser; these keys do.

Registration is rate limited per source address in fixed windows.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentctl.idp.store import Store

FREE_FAILURES = 5  # per user: typos happen
FREE_FAILURES_PER_SOURCE = 20  # one address may front several users (a NAT, a proxy)
MAX_BLOCK = 900
FAILURE_WINDOW = 3600  # failures older than this are forgotten
REGISTRATIONS_PER_WINDOW = 20
REGISTRATION_WINDOW = 60


@dataclass(frozen=True)
class Blocked:
    """A throttled key and the seconds until it may try again."""

    key: str
    retry_after: int


def user_key(issuer: str, name: str) -> str:
    return f"password:user:{issuer}:{name}"


def source_key(address: str) -> str:
    return f"password:source:{address}"


def blocked(store: Store, keys: list[str], now: int) -> Blocked | None:
    """The first key that is blocked now, with the seconds left, else None."""
    for key in keys:
        row = store.row("SELECT blocked_until FROM throttle WHERE key = ?", (key,))
        if row is not None and row["blocked_until"] > now:
            return Blocked(key, int(row["blocked_until"]) - now)
    return None


def record_failure(store: Store, keys: list[tuple[str, int]], now: int) -> int:
    """Count one failure against each (key, free failures); returns the longest block it set
    (0 when none)."""
    longest = 0
    with store.write() as db:
        for key, free in keys:
            row = db.execute(
                "SELECT count, window_start FROM throttle WHERE key = ?", (key,)
            ).fetchone()
            count = 1
            start = now
            if row is not None and now - int(row["window_start"]) < FAILURE_WINDOW:
                count, start = int(row["count"]) + 1, int(row["window_start"])
            over = count - free
            block = min(2 ** (over - 1), MAX_BLOCK) if over > 0 else 0
            db.execute(
                "INSERT OR REPLACE INTO throttle(key, count, window_start, blocked_until)"
                " VALUES (?,?,?,?)",
                (key, count, start, now + block if block else 0),
            )
            longest = max(longest, block)
    return longest


def clear(store: Store, key: str) -> None:
    with store.write() as db:
        db.execute("DELETE FROM throttle WHERE key = ?", (key,))


def take(store: Store, key: str, now: int, *, limit: int, window: int) -> int:
    """Use one unit of a fixed-window rate; 0 when allowed, else the seconds until the window
    ends."""
    with store.write() as db:
        row = db.execute(
            "SELECT count, window_start FROM throttle WHERE key = ?", (key,)
        ).fetchone()
        if row is None or now - int(row["window_start"]) >= window:
            db.execute(
                "INSERT OR REPLACE INTO throttle(key, count, window_start, blocked_until)"
                " VALUES (?,?,?,0)",
                (key, 1, now),
            )
            return 0
        if int(row["count"]) >= limit:
            return max(1, int(row["window_start"]) + window - now)
        db.execute("UPDATE throttle SET count = count + 1 WHERE key = ?", (key,))
        return 0


__all__ = [
    "FREE_FAILURES",
    "FREE_FAILURES_PER_SOURCE",
    "MAX_BLOCK",
    "REGISTRATIONS_PER_WINDOW",
    "REGISTRATION_WINDOW",
    "Blocked",
    "blocked",
    "clear",
    "record_failure",
    "source_key",
    "take",
    "user_key",
]
