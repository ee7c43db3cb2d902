"""`agentctl idp audit --follow`: stream new audit lines until interrupted.

A bounded poll: one small query per interval for the lines after the last one shown, at most
PAGE lines per poll (a larger burst is said to be cut, never buffered without limit). It only
reads: the IdP's database is shared with the commands that write it (SQLite WAL), so
following never blocks them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PAGE = 500
MIN_INTERVAL, MAX_INTERVAL = 0.1, 60.0

Entries = list[dict[str, Any]]


def follow(
    fetch: Callable[[int], Entries],
    show: Callable[[Entries, bool], None],
    *,
    backlog: int,
    interval: float,
    sleep: Callable[[float], None],
    polls: int | None = None,
) -> int:
    """Show the last `backlog` lines, then every new one as it is written.

    `fetch(n)` returns the newest `n` lines, oldest first; `show(lines, full)` writes them
    (`full`: the poll filled its page, so older new lines may have been passed over). Runs until
    interrupted (KeyboardInterrupt, which ends it quietly) or for `polls` polls. Returns the
    id of the last line shown."""
    from agentctl import gcpolicy

    gcpolicy.long_running()  # it runs until interrupted: the collector as Python sets it
    entries = fetch(backlog)
    last = int(entries[-1]["id"]) if entries else 0
    show(entries, False)
    count = 0
    try:
        while polls is None or count < polls:
            sleep(interval)
            count += 1
            fresh = [e for e in fetch(PAGE) if int(e["id"]) > last]
            if not fresh:
                continue
            show(fresh, len(fresh) >= PAGE)
            last = int(fresh[-1]["id"])
    except KeyboardInterrupt:
        pass
    return last


__all__ = ["MAX_INTERVAL", "MIN_INTERVAL", "PAGE", "follow"]
