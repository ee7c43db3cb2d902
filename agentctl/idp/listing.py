"""`agentctl idp agents list`, one page at a time, straight from SQLite.

The listing needs neither Authlib nor the signing keys, so it reads the `agents` table through
the `Store` alone (importing the IdP service costs more than listing 10k agents). Pages are
keyset pages in the listing's order, (created_at, name, client_id, issuer), served by the
`agents_listing` index: each page costs the same however far into the list it starts.

A page's cursor (`next_after`) is `ISSUER/CLIENT_ID`, the last row shown: an agent is listed
once per issuer it is registered at, and a page may end between two of them. `--after` also
takes a bare client id (after every row of that agent).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agentctl.errors import ConfigError
from agentctl.idp.store import Store

_COLUMNS = "issuer, client_id, name, description, sponsor, credential_type, may_act_for, created_at"
_ORDER = "ORDER BY created_at, name, client_id, issuer"


class UnknownCursor(LookupError):
    """`--after` names no listed agent."""


@dataclass(frozen=True)
class AgentPage:
    agents: list[dict[str, Any]]
    next_after: str | None  # None: this was the last page


def _agent(row: Any) -> dict[str, Any]:
    try:
        acts = json.loads(row["may_act_for"])
    except (TypeError, ValueError, RecursionError):
        acts = None
    if not isinstance(acts, list):  # as agentctl.idp.records reads it: one line, no traceback
        raise ConfigError(
            "the IdP database is damaged: its may_act_for column holds no valid JSON list",
            hint="restore the database from a backup, or `agentctl idp reset --yes` to start over",
        )
    return {
        "issuer": row["issuer"],
        "client_id": row["client_id"],
        "name": row["name"],
        "description": row["description"],
        "sponsor": row["sponsor"],
        "credential_type": row["credential_type"],
        "may_act_for": acts,
        "created_at": row["created_at"],
    }


def _position(store: Store, after: str) -> tuple[Any, ...]:
    """The sort key of the row `after` names (ISSUER/CLIENT_ID, or the last row of a bare
    client id)."""
    issuer, sep, client_id = after.rpartition("/")
    if sep:
        row = store.row(
            "SELECT created_at, name, client_id, issuer FROM agents "
            "WHERE issuer = ? AND client_id = ?",
            (issuer, client_id),
        )
    else:
        row = store.row(
            "SELECT created_at, name, client_id, issuer FROM agents WHERE client_id = ? "
            "ORDER BY issuer DESC LIMIT 1",
            (after,),
        )
    if row is None:
        raise UnknownCursor(after)
    return (row["created_at"], row["name"], row["client_id"], row["issuer"])


def agent_page(
    store: Store, *, issuer: str | None = None, limit: int | None = None, after: str | None = None
) -> AgentPage:
    """Up to `limit` agents (every one when None) after the cursor `after`."""
    where: list[str] = []
    params: list[Any] = []
    if issuer is not None:
        where.append("issuer = ?")
        params.append(issuer)
    if after is not None:
        where.append("(created_at, name, client_id, issuer) > (?, ?, ?, ?)")
        params.extend(_position(store, after))
    sql = f"SELECT {_COLUMNS} FROM agents"  # noqa: S608 - constant columns; values are bound
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" {_ORDER}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit + 1)  # one more tells whether another page follows
    rows = store.rows(sql, params)
    more = limit is not None and len(rows) > limit
    if more:
        rows = rows[:limit]
    agents = [_agent(r) for r in rows]
    last = agents[-1] if more and agents else None
    return AgentPage(agents, f"{last['issuer']}/{last['client_id']}" if last else None)


__all__ = ["AgentPage", "UnknownCursor", "agent_page"]
