"""Reads and writes of IdP records. Each write is one transaction (`Store.write`)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from agentctl.errors import ConfigError
from agentctl.idp.models import Agent, Client, GrantRef, IssuerConfig, TokenRecord, User
from agentctl.idp.store import Store


class Conflict(Exception):
    """The record already exists."""


# -- issuers --
def put_issuer(store: Store, cfg: IssuerConfig, *, now: int, replace: bool = False) -> bool:
    """Insert (or with `replace`, overwrite) an issuer; False when it existed and was kept."""
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    with store.write() as db:
        cur = db.execute(
            f"{verb} INTO issuers(name, kind, settings, created_at) VALUES (?,?,?,?)",
            (cfg.name, cfg.kind, json.dumps(cfg.settings()), now),
        )
        return cur.rowcount > 0


def get_issuer(store: Store, name: str) -> IssuerConfig | None:
    row = store.row("SELECT * FROM issuers WHERE name = ?", (name,))
    return _issuer(row) if row else None


def list_issuers(store: Store) -> list[IssuerConfig]:
    return [_issuer(r) for r in store.rows("SELECT * FROM issuers ORDER BY created_at, name")]


def _issuer(row: sqlite3.Row) -> IssuerConfig:
    return IssuerConfig.from_settings(row["name"], row["kind"], _row_json(row, "settings", dict))


# -- clients and agents --
def insert_client(store: Store, client: Client) -> None:
    with store.write() as db:
        _insert_client(db, client)


def _insert_client(db: sqlite3.Connection, client: Client) -> None:
    try:
        db.execute(
            "INSERT INTO clients(issuer, client_id, secret_hash, metadata,"
            " registration_token_hash, client_id_issued_at) VALUES (?,?,?,?,?,?)",
            (
                client.issuer,
                client.client_id,
                client.secret_hash,
                json.dumps(client.metadata),
                client.registration_token_hash,
                client.client_id_issued_at,
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"client {client.client_id} already exists") from exc


def insert_agent(store: Store, client: Client, agent: Agent) -> None:
    """The client and its agent record, together or not at all."""
    insert_agents(store, [(client, agent)])


def insert_agents(store: Store, pairs: list[tuple[Client, Agent]]) -> None:
    """Several (client, agent) records (e.g. one agent at several issuers) in one transaction."""
    with store.write() as db:
        for client, agent in pairs:
            _insert_agent(db, client, agent)


def _insert_agent(db: sqlite3.Connection, client: Client, agent: Agent) -> None:
    _insert_client(db, client)
    db.execute(
        "INSERT INTO agents(issuer, client_id, name, description, sponsor, credential_type,"
        " may_act_for, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (
            agent.issuer,
            agent.client_id,
            agent.name,
            agent.description,
            agent.sponsor,
            agent.credential_type,
            json.dumps(agent.may_act_for),
            agent.created_at,
        ),
    )


def get_client(store: Store, issuer: str, client_id: str) -> Client | None:
    """The client with its agent record (one query: this runs on every token request)."""
    row = store.row(
        "SELECT c.*, a.name AS a_name, a.description AS a_description, a.sponsor AS a_sponsor,"
        " a.credential_type AS a_credential_type, a.may_act_for AS a_may_act_for,"
        " a.created_at AS a_created_at FROM clients c LEFT JOIN agents a"
        " ON a.issuer = c.issuer AND a.client_id = c.client_id"
        " WHERE c.issuer = ? AND c.client_id = ?",
        (issuer, client_id),
    )
    if row is None:
        return None
    agent = None
    if row["a_name"] is not None:
        agent = Agent(
            issuer=row["issuer"],
            client_id=row["client_id"],
            name=row["a_name"],
            description=row["a_description"],
            sponsor=row["a_sponsor"],
            credential_type=row["a_credential_type"],
            may_act_for=_row_json(row, "a_may_act_for", list),
            created_at=row["a_created_at"],
        )
    return _client(row, agent)


def list_clients(store: Store, issuer: str) -> list[Client]:
    rows = store.rows(
        "SELECT * FROM clients WHERE issuer = ? ORDER BY client_id_issued_at", (issuer,)
    )
    return [_client(r, get_agent(store, issuer, r["client_id"])) for r in rows]


def update_client_metadata(
    store: Store, client: Client, metadata: dict[str, Any], mirrors: list[str] | None = None
) -> Client:
    """Replace the metadata at the client's issuer and at each of `mirrors` (the resource
    issuers holding the same agent), in one transaction; an agent's name, description and
    sponsor follow the metadata, so what RFC 7592 echoes is what applies."""
    with store.write() as db:
        for issuer in [client.issuer, *(mirrors or [])]:
            db.execute(
                "UPDATE clients SET metadata = ? WHERE issuer = ? AND client_id = ?",
                (json.dumps(metadata), issuer, client.client_id),
            )
            if client.agent is not None:
                db.execute(
                    "UPDATE agents SET name = ?, description = ?, sponsor = ?"
                    " WHERE issuer = ? AND client_id = ?",
                    (
                        str(metadata.get("client_name") or client.agent.name),
                        str(metadata.get("description", "")),
                        str(metadata.get("sponsor", "")),
                        issuer,
                        client.client_id,
                    ),
                )
    client.metadata = metadata
    if client.agent is not None:
        client.agent = get_agent(store, client.issuer, client.client_id)
    return client


def update_agent_policy(store: Store, client_id: str, changes: dict[str, Any]) -> None:
    """Apply administrator-set policy members to `client_id` at every issuer it is registered
    at, in one transaction (`may_act_for` also lives in the agent record)."""
    with store.write() as db:
        rows = db.execute(
            "SELECT issuer, metadata FROM clients WHERE client_id = ?", (client_id,)
        ).fetchall()
        for row in rows:
            metadata = {**_json(row["metadata"], dict), **changes}
            db.execute(
                "UPDATE clients SET metadata = ? WHERE issuer = ? AND client_id = ?",
                (json.dumps(metadata), row["issuer"], client_id),
            )
        if "may_act_for" in changes:
            db.execute(
                "UPDATE agents SET may_act_for = ? WHERE client_id = ?",
                (json.dumps(changes["may_act_for"]), client_id),
            )


def delete_client(store: Store, issuer: str, client_id: str) -> None:
    with store.write() as db:
        db.execute("DELETE FROM agents WHERE issuer = ? AND client_id = ?", (issuer, client_id))
        db.execute("DELETE FROM clients WHERE issuer = ? AND client_id = ?", (issuer, client_id))


def _client(row: sqlite3.Row, agent: Agent | None) -> Client:
    return Client(
        issuer=row["issuer"],
        client_id=row["client_id"],
        secret_hash=row["secret_hash"],
        metadata=_row_json(row, "metadata", dict),
        client_id_issued_at=row["client_id_issued_at"],
        registration_token_hash=row["registration_token_hash"],
        agent=agent,
    )


def get_agent(store: Store, issuer: str, client_id: str) -> Agent | None:
    row = store.row("SELECT * FROM agents WHERE issuer = ? AND client_id = ?", (issuer, client_id))
    return _agent(row) if row else None


def list_agents(store: Store, issuer: str | None = None) -> list[Agent]:
    if issuer is None:
        rows = store.rows("SELECT * FROM agents ORDER BY created_at, name")
    else:
        rows = store.rows(
            "SELECT * FROM agents WHERE issuer = ? ORDER BY created_at, name", (issuer,)
        )
    return [_agent(r) for r in rows]


def find_agent_by_name(store: Store, issuer: str, name: str) -> Agent | None:
    row = store.row(
        "SELECT * FROM agents WHERE issuer = ? AND (name = ? OR client_id = ?)"
        " ORDER BY created_at LIMIT 1",
        (issuer, name, name),
    )
    return _agent(row) if row else None


def _agent(row: sqlite3.Row) -> Agent:
    return Agent(
        issuer=row["issuer"],
        client_id=row["client_id"],
        name=row["name"],
        description=row["description"],
        sponsor=row["sponsor"],
        credential_type=row["credential_type"],
        may_act_for=_row_json(row, "may_act_for", list),
        created_at=row["created_at"],
    )


# -- users and delegation grants --
def insert_user(store: Store, user: User) -> None:
    with store.write() as db:
        try:
            db.execute(
                "INSERT INTO users(issuer, name, email, password_hash, created_at)"
                " VALUES (?,?,?,?,?)",
                (user.issuer, user.name, user.email, user.password_hash, user.created_at),
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"user {user.name} already exists") from exc


def get_user(store: Store, issuer: str, name: str) -> User | None:
    row = store.row("SELECT * FROM users WHERE issuer = ? AND name = ?", (issuer, name))
    return _user(row) if row else None


def list_users(store: Store, issuer: str) -> list[User]:
    rows = store.rows("SELECT * FROM users WHERE issuer = ? ORDER BY created_at, name", (issuer,))
    return [_user(r) for r in rows]


def _user(row: sqlite3.Row) -> User:
    return User(row["issuer"], row["name"], row["email"], row["password_hash"], row["created_at"])


# Delegation and impersonation are separate permissions, each in its own table.
GRANT_TABLES = {"delegation": "delegations", "impersonation": "impersonations"}


def _grant_table(kind: str) -> str:
    table = GRANT_TABLES.get(kind)
    if table is None:
        raise ValueError(f"unknown grant kind {kind!r}")
    return table


def put_grant(store: Store, ref: GrantRef, scopes: list[str], now: int) -> None:
    with store.write() as db:
        db.execute(
            f"INSERT OR REPLACE INTO {_grant_table(ref.kind)}(issuer, user_sub,"  # noqa: S608 - table from a fixed map
            " agent_client_id, scopes, created_at) VALUES (?,?,?,?,?)",
            (ref.issuer, ref.user_sub, ref.agent_client_id, json.dumps(scopes), now),
        )


def delete_grant(store: Store, ref: GrantRef, *, now: int) -> tuple[bool, int]:
    """Withdraw a grant and revoke every token it authorised (their derived tokens follow by
    the revocation chain). Returns (a grant was removed, tokens revoked)."""
    with store.write() as db:
        removed = db.execute(
            f"DELETE FROM {_grant_table(ref.kind)} WHERE issuer = ? AND user_sub = ?"  # noqa: S608 - table from a fixed map
            " AND agent_client_id = ?",
            (ref.issuer, ref.user_sub, ref.agent_client_id),
        ).rowcount
        revoked = db.execute(
            "UPDATE tokens SET revoked = 1 WHERE revoked = 0 AND jti IN (SELECT jti FROM"
            " grant_tokens WHERE issuer = ? AND user_sub = ? AND agent_client_id = ?"
            " AND kind = ?)",
            (ref.issuer, ref.user_sub, ref.agent_client_id, ref.kind),
        ).rowcount
        if removed or revoked:
            add_audit(
                db,
                time=now,
                issuer=ref.issuer,
                event=f"grant:withdrawn:{ref.kind}",
                client_id=ref.agent_client_id,
                subject=ref.user_sub,
                detail={"tokens_revoked": revoked},
            )
    return removed > 0, revoked


def get_grant(store: Store, ref: GrantRef) -> list[str] | None:
    """The scopes granted (empty list = no limit beyond the rest), or None: no grant."""
    row = store.row(
        f"SELECT scopes FROM {_grant_table(ref.kind)} WHERE issuer = ? AND user_sub = ?"  # noqa: S608 - table from a fixed map
        " AND agent_client_id = ?",
        (ref.issuer, ref.user_sub, ref.agent_client_id),
    )
    return None if row is None else [str(s) for s in _json(row["scopes"], list)]


def list_grants(store: Store, issuer: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kind, table in GRANT_TABLES.items():
        rows = store.rows(
            f"SELECT * FROM {table} WHERE issuer = ? ORDER BY created_at",  # noqa: S608 - table from a fixed map
            (issuer,),
        )
        out.extend(
            {
                "kind": kind,
                "user": r["user_sub"],
                "agent": r["agent_client_id"],
                "scopes": _json(r["scopes"], list),
                "created_at": r["created_at"],
            }
            for r in rows
        )
    return sorted(out, key=lambda g: (g["created_at"], g["kind"]))


def record_grant_token(db: sqlite3.Connection, jti: str, ref: GrantRef) -> None:
    db.execute(
        "INSERT INTO grant_tokens(jti, issuer, user_sub, agent_client_id, kind) VALUES (?,?,?,?,?)",
        (jti, ref.issuer, ref.user_sub, ref.agent_client_id, ref.kind),
    )


def record_signin_scope(db: sqlite3.Connection, jti: str, scope: str) -> None:
    db.execute("INSERT INTO signin_scopes(jti, scope) VALUES (?,?)", (jti, scope))


def signin_scope(store: Store, jti: str) -> list[str] | None:
    """What the user consented to when this ID token was issued; None when not recorded."""
    row = store.row("SELECT scope FROM signin_scopes WHERE jti = ?", (jti,))
    return None if row is None else str(row["scope"]).split()


def _row_json(row: sqlite3.Row, column: str, kind: type) -> Any:
    """A JSON column the IdP cannot work without: damaged, it is one ConfigError line
    (exit 3 in the CLI) naming the column, never a traceback nor a silently empty value."""
    try:
        value = json.loads(row[column])
    except (TypeError, ValueError, RecursionError):
        value = None
    if not isinstance(value, kind):
        raise ConfigError(
            f"the IdP database is damaged: its {column} column holds no valid JSON {kind.__name__}",
            hint="restore the database from a backup, or `agentctl idp reset --yes` to start over",
        )
    return value


def _json(text: str, kind: type) -> Any:
    """A JSON column; a damaged one reads as empty rather than crashing a request."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return kind()
    return value if isinstance(value, kind) else kind()


# -- RFC 7591 initial access tokens --
def put_registration_token(
    store: Store,
    *,
    token_hash: str,
    issuer: str,
    policy: dict[str, Any],
    now: int,
    expires_at: int,
    uses: int,
) -> None:
    with store.write() as db:
        db.execute(
            "INSERT INTO registration_tokens(token_hash, issuer, policy, created_at, expires_at,"
            " uses_left) VALUES (?,?,?,?,?,?)",
            (token_hash, issuer, json.dumps(policy), now, expires_at, uses),
        )


def use_registration_token(
    store: Store, token_hash: str, issuer: str, now: int
) -> dict[str, Any] | None:
    """Spend one use of an initial access token; its policy, or None when unknown, expired or
    used up."""
    with store.write() as db:
        row = db.execute(
            "SELECT policy FROM registration_tokens WHERE token_hash = ? AND issuer = ?"
            " AND expires_at > ? AND uses_left > 0",
            (token_hash, issuer, now),
        ).fetchone()
        if row is None:
            return None
        db.execute(
            "UPDATE registration_tokens SET uses_left = uses_left - 1 WHERE token_hash = ?",
            (token_hash,),
        )
    policy: dict[str, Any] = _json(row["policy"], dict)
    return policy


# -- issued tokens, revocation, audit --
def record_token(db: sqlite3.Connection, rec: TokenRecord, audit: dict[str, Any] | None) -> None:
    """Inside a caller's transaction: the token record and its audit line commit together."""
    db.execute(
        "INSERT INTO tokens(jti, issuer, kind, client_id, sub, parent_jti, actor_jti, iat, exp,"
        " revoked) VALUES (?,?,?,?,?,?,?,?,?,0)",
        (
            rec.jti,
            rec.issuer,
            rec.kind,
            rec.client_id,
            rec.sub,
            rec.parent_jti,
            rec.actor_jti,
            rec.iat,
            rec.exp,
        ),
    )
    if audit is not None:
        add_audit(db, **audit)


def get_token(store: Store, jti: str) -> TokenRecord | None:
    row = store.row("SELECT * FROM tokens WHERE jti = ?", (jti,))
    return _token(row) if row is not None else None


def get_live_token(store: Store, jti: str) -> tuple[TokenRecord | None, bool]:
    """The token record and whether it, or anything it derives from, is revoked (the two
    checks of `revoked_in_chain` and `get_token`, for the hot path). A token minted directly
    (no parent, no actor token) needs one primary-key lookup; only exchanged tokens walk the
    chain."""
    row = store.row("SELECT * FROM tokens WHERE jti = ?", (jti,))
    if row is None:
        return None, False
    record = _token(row)
    if record.revoked:
        return record, True
    if record.parent_jti is None and record.actor_jti is None:
        return record, False
    chained = store.row(
        f"""WITH RECURSIVE {_CHAIN}
           SELECT COUNT(*) AS n FROM chain JOIN tokens r ON r.jti = chain.jti
           WHERE r.revoked = 1""",  # noqa: S608 - a constant fragment
        (jti,),
    )
    return record, bool(chained is not None and chained["n"])


def _token(row: sqlite3.Row) -> TokenRecord:
    return TokenRecord(
        jti=row["jti"],
        issuer=row["issuer"],
        kind=row["kind"],
        client_id=row["client_id"],
        sub=row["sub"],
        parent_jti=row["parent_jti"],
        actor_jti=row["actor_jti"],
        iat=row["iat"],
        exp=row["exp"],
        revoked=bool(row["revoked"]),
    )


# The token and every token it was exchanged from, subject and actor side, at any depth.
_CHAIN = """chain(jti) AS (
               SELECT ? UNION
               SELECT t.parent_jti FROM tokens t JOIN chain ON t.jti = chain.jti
                 WHERE t.parent_jti IS NOT NULL
               UNION
               SELECT t.actor_jti FROM tokens t JOIN chain ON t.jti = chain.jti
                 WHERE t.actor_jti IS NOT NULL)"""


def revoked_in_chain(store: Store, jti: str) -> bool:
    """True when the token, or any token it was exchanged from (subject or actor side, at any
    depth), is revoked: revoking a token cuts off everything derived from it."""
    row = store.row(
        f"""WITH RECURSIVE {_CHAIN}
           SELECT COUNT(*) AS n FROM tokens WHERE revoked = 1 AND jti IN (SELECT jti FROM chain)""",  # noqa: S608 - a constant fragment
        (jti,),
    )
    return bool(row and row["n"])


def revoke_token(store: Store, jti: str, *, issuer: str, client_id: str, now: int) -> None:
    with store.write() as db:
        db.execute("UPDATE tokens SET revoked = 1 WHERE jti = ?", (jti,))
        add_audit(db, time=now, issuer=issuer, event="revoke", client_id=client_id, jti=jti)


def use_assertion_jti(
    store: Store, issuer: str, client_id: str, jti: str, exp: int, now: int
) -> bool:
    """Record a client-assertion `jti`; False when it was already used (a replay)."""
    with store.write() as db:
        db.execute("DELETE FROM assertion_jtis WHERE exp < ?", (now - 600,))
        try:
            db.execute(
                "INSERT INTO assertion_jtis(issuer, client_id, jti, exp) VALUES (?,?,?,?)",
                (issuer, client_id, jti, exp),
            )
        except sqlite3.IntegrityError:
            return False
    return True


def add_audit(
    db: sqlite3.Connection,
    *,
    time: int,
    issuer: str,
    event: str,
    grant_type: str | None = None,
    client_id: str | None = None,
    subject: str | None = None,
    actor_chain: list[str] | None = None,
    audience: list[str] | None = None,
    scope: str | None = None,
    jti: str | None = None,
    parent_jti: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    db.execute(
        "INSERT INTO audit(time, issuer, event, grant_type, client_id, subject, actor_chain,"
        " audience, scope, jti, parent_jti, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            time,
            issuer,
            event,
            grant_type,
            client_id,
            subject,
            json.dumps(actor_chain or []),
            json.dumps(audience or []),
            scope,
            jti,
            parent_jti,
            json.dumps(detail or {}),
        ),
    )


def list_audit(store: Store, *, issuer: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Newest last, at most `limit` lines."""
    where, params = ("WHERE issuer = ?", [issuer]) if issuer else ("", [])
    rows = store.rows(
        f"SELECT * FROM (SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?) ORDER BY id",  # noqa: S608
        [*params, limit],
    )
    return [
        {
            "id": r["id"],
            "time": r["time"],
            "issuer": r["issuer"],
            "event": r["event"],
            "grant_type": r["grant_type"],
            "client_id": r["client_id"],
            "subject": r["subject"],
            "actor_chain": _row_json(r, "actor_chain", list),
            "audience": _row_json(r, "audience", list),
            "scope": r["scope"],
            "jti": r["jti"],
            "parent_jti": r["parent_jti"],
            "detail": _row_json(r, "detail", dict),
        }
        for r in rows
    ]


__all__ = [
    "Conflict",
    "add_audit",
    "delete_client",
    "delete_grant",
    "find_agent_by_name",
    "get_agent",
    "get_client",
    "get_grant",
    "get_issuer",
    "get_live_token",
    "get_token",
    "get_user",
    "insert_agent",
    "insert_agents",
    "insert_client",
    "insert_user",
    "list_agents",
    "list_audit",
    "list_clients",
    "list_grants",
    "list_issuers",
    "list_users",
    "put_grant",
    "put_issuer",
    "put_registration_token",
    "record_grant_token",
    "record_signin_scope",
    "record_token",
    "revoke_token",
    "revoked_in_chain",
    "signin_scope",
    "update_agent_policy",
    "update_client_metadata",
    "use_assertion_jti",
    "use_registration_token",
]
