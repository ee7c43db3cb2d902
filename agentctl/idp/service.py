"""The in-process service API of the embedded IdP (what the CLI and other services call).

    svc = IdpService.open()                 # default database, default base URL; bootstraps
    creds = svc.create_agent("billing-bot", sponsor="alice@example.com")
    svc.add_user("alice", "alice@example.com", "s3cret")
    svc.grant("alice", creds.client_id)     # alice lets the agent act for her
    tokens = svc.user_tokens("alice", "s3cret", client_id=creds.client_id)

Default issuers (created on first use): `enterprise` (kind "idp": users, ID tokens, ID-JAG
issuance for `mcp-as`) and `mcp-as` (kind "resource": trusts `enterprise` for ID-JAG
redemption). Agents are registered at `enterprise` and, by default, under the same client id
and credential at `mcp-as` too, so the two-step ID-JAG flow works out of the box.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentctl.idp import constants as c
from agentctl.idp import keys, records
from agentctl.idp.context import IdpContext
from agentctl.idp.models import Agent, Client, GrantRef, IssuerConfig, User
from agentctl.idp.policy import GRANT_DELEGATION, RegistrationPolicy
from agentctl.idp.secrets import hash_password, hash_secret, new_id, new_secret
from agentctl.idp.store import Store, default_db_path
from agentctl.idp.userauth import UserTokens, authenticate, issue_user_tokens


def default_issuers() -> list[IssuerConfig]:
    return [
        IssuerConfig(
            name=c.DEFAULT_IDP_ISSUER,
            kind="idp",
            trusts=(c.DEFAULT_IDP_ISSUER,),
            id_jag_audiences=(c.DEFAULT_RESOURCE_ISSUER,),
        ),
        IssuerConfig(
            name=c.DEFAULT_RESOURCE_ISSUER,
            kind="resource",
            trusts=(c.DEFAULT_IDP_ISSUER,),
        ),
    ]


class NotFound(LookupError):
    """A named user, agent or issuer does not exist."""


@dataclass(frozen=True)
class AgentCredentials:
    """What `create_agent` returns. `client_secret` is None for private_key_jwt agents."""

    issuer: str
    issuer_url: str
    token_endpoint: str
    client_id: str
    client_secret: str | None
    credential_type: str
    registered_at: list[str] = field(default_factory=list)

    def as_dict(self, *, show_secret: bool = False) -> dict[str, Any]:
        from agentctl.core.redact import redacted

        secret = self.client_secret
        return {
            "issuer": self.issuer,
            "issuer_url": self.issuer_url,
            "token_endpoint": self.token_endpoint,
            "client_id": self.client_id,
            "client_secret": (secret if show_secret else redacted(secret)) if secret else None,
            "credential_type": self.credential_type,
            "registered_at": self.registered_at,
        }


class IdpService:
    def __init__(self, ctx: IdpContext) -> None:
        self.ctx = ctx

    @classmethod
    def open(
        cls,
        db_path: Path | None = None,
        *,
        base_url: str = c.DEFAULT_BASE_URL,
        bind_host: str = c.DEFAULT_HOST,
        clock: Callable[[], float] = time.time,
        bootstrap: bool = True,
        open_registration: bool = True,
        admin_signin: bool = True,
    ) -> IdpService:
        svc = cls(
            IdpContext(
                Store.open(db_path),
                base_url,
                bind_host,
                clock,
                open_registration=open_registration,
                admin_signin=admin_signin,
            )
        )
        if bootstrap:
            svc.bootstrap()
        return svc

    @property
    def store(self) -> Store:
        return self.ctx.store

    # -- issuers and keys --
    def bootstrap(self) -> None:
        """Create the default issuers and give every issuer a signing key (idempotent)."""
        now = self.ctx.now()
        for cfg in default_issuers():
            records.put_issuer(self.store, cfg, now=now)
        for cfg in records.list_issuers(self.store):
            keys.ensure_key(self.store, cfg, now)

    def put_issuer(self, cfg: IssuerConfig, *, replace: bool = True) -> IssuerConfig:
        records.put_issuer(self.store, cfg, now=self.ctx.now(), replace=replace)
        self.ctx.forget_issuer(cfg.name)
        keys.ensure_key(self.store, cfg, self.ctx.now())
        return cfg

    def issuer(self, name: str) -> IssuerConfig:
        cfg = records.get_issuer(self.store, name)
        if cfg is None:
            known = ", ".join(i.name for i in records.list_issuers(self.store))
            raise NotFound(f"no issuer named {name!r} (known: {known})")
        return cfg

    def issuers(self) -> list[dict[str, Any]]:
        return [
            {
                "name": cfg.name,
                "kind": cfg.kind,
                "issuer": cfg.url(self.ctx.base_url),
                "trusts": list(cfg.trusts),
                "id_jag_audiences": list(cfg.id_jag_audiences),
            }
            for cfg in records.list_issuers(self.store)
        ]

    def set_resources(
        self, issuer: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> list[str]:
        """Register (or drop) protected resources an issuer serves; returns the new list."""
        from dataclasses import replace

        cfg = self.issuer(issuer)
        for url in add:
            _require_url(url, "a resource URL")
        current = [r for r in cfg.resources if r not in set(remove)]
        updated = replace(cfg, resources=tuple(dict.fromkeys([*current, *add])))
        self.put_issuer(updated)
        return list(updated.resources)

    def trust_authorization_server(
        self, as_issuer: str, *, issuer: str = c.DEFAULT_IDP_ISSUER, remove: bool = False
    ) -> list[str]:
        """Let `issuer` issue ID-JAGs for an authorization server elsewhere (its issuer URL),
        or stop; returns the list."""
        from dataclasses import replace

        cfg = self.issuer(issuer)
        if cfg.kind != "idp":
            raise ValueError(f"issuer {issuer!r} is a resource AS; it issues no ID-JAGs")
        if not remove:
            _require_url(as_issuer, "an issuer URL")
        current = [a for a in cfg.external_id_jag_audiences if a != as_issuer]
        updated = replace(
            cfg, external_id_jag_audiences=tuple(current if remove else [*current, as_issuer])
        )
        self.put_issuer(updated)
        return list(updated.external_id_jag_audiences)

    def rotate_keys(self, issuer: str = c.DEFAULT_IDP_ISSUER, alg: str | None = None) -> str:
        return keys.rotate(self.store, self.issuer(issuer), self.ctx.now(), alg)

    def keys(self, issuer: str = c.DEFAULT_IDP_ISSUER) -> list[keys.KeyInfo]:
        self.issuer(issuer)
        return keys.list_keys(self.store, issuer, self.ctx.now())

    # -- agents --
    def create_agent(
        self,
        name: str,
        *,
        issuer: str = c.DEFAULT_IDP_ISSUER,
        description: str = "",
        sponsor: str = "",
        credential_type: str = "client_secret",
        jwks: dict[str, Any] | None = None,
        allowed_audiences: Sequence[str] = (),
        allowed_scopes: Sequence[str] = ("read",),
        may_act_for: Sequence[str] = ("*",),
        subject_audiences: Sequence[str] = (),
        also_at: Sequence[str] | None = None,
    ) -> AgentCredentials:
        """Register an agent (an OAuth client with an agent record). `credential_type`
        client_secret → a new secret is returned (once; only its hash is stored);
        private_key_jwt → `jwks` (public keys) is registered. `also_at` (default: every
        resource-kind issuer that trusts `issuer`) gets the same client id and credential."""
        cfg = self.issuer(issuer)
        if credential_type not in ("client_secret", "private_key_jwt"):
            raise ValueError("credential_type must be client_secret or private_key_jwt")
        if credential_type == "private_key_jwt" and not jwks:
            raise ValueError("a private_key_jwt agent needs its public keys (jwks)")
        secret = new_secret() if credential_type == "client_secret" else None
        metadata = _checked_metadata(
            {
                "client_name": name,
                "token_endpoint_auth_method": (
                    "client_secret_basic" if secret else "private_key_jwt"
                ),
                "grant_types": list(_default_grant_types()),
                "scope": " ".join(allowed_scopes),
                "allowed_audiences": list(allowed_audiences),
                "subject_audiences": list(subject_audiences),
                "sub_profile": c.PROFILE_AGENT,
                **({"jwks": jwks} if jwks is not None else {}),
            }
        )
        client_id = new_id("agt")
        now = self.ctx.now()
        targets = [
            cfg.name,
            *(self._resource_issuers_trusting(cfg) if also_at is None else also_at),
        ]
        pairs = []
        for target in dict.fromkeys(targets):
            self.issuer(target)
            client = Client(
                target, client_id, hash_secret(secret) if secret else None, dict(metadata), now
            )
            agent = Agent(
                target,
                client_id,
                name,
                description,
                sponsor,
                credential_type,
                list(may_act_for),
                now,
            )
            pairs.append((client, agent))
        records.insert_agents(self.store, pairs)
        return AgentCredentials(
            issuer=cfg.name,
            issuer_url=cfg.url(self.ctx.base_url),
            token_endpoint=cfg.url(self.ctx.base_url) + "/token",
            client_id=client_id,
            client_secret=secret,
            credential_type=credential_type,
            registered_at=list(dict.fromkeys(targets)),
        )

    def _resource_issuers_trusting(self, cfg: IssuerConfig) -> list[str]:
        return [
            other.name
            for other in records.list_issuers(self.store)
            if other.kind == "resource" and cfg.name in other.trusts and other.name != cfg.name
        ]

    def agent(self, name_or_id: str, issuer: str = c.DEFAULT_IDP_ISSUER) -> Agent:
        agent = records.find_agent_by_name(self.store, issuer, name_or_id)
        if agent is None:
            raise NotFound(f"no agent named {name_or_id!r} at issuer {issuer!r}")
        return agent

    def list_agents(self, issuer: str | None = None) -> list[Agent]:
        return records.list_agents(self.store, issuer)

    def client(self, client_id: str, issuer: str = c.DEFAULT_IDP_ISSUER) -> Client:
        client = records.get_client(self.store, issuer, client_id)
        if client is None:
            raise NotFound(f"no client {client_id!r} at issuer {issuer!r}")
        return client

    def set_client_secret(self, client_id: str, secret: str, *, issuers: Sequence[str]) -> None:
        """Give `client_id` a new secret at each of `issuers`, in one transaction (only the
        hash is kept)."""
        with self.store.write() as db:
            for name in issuers:
                db.execute(
                    "UPDATE clients SET secret_hash = ? WHERE issuer = ? AND client_id = ?",
                    (hash_secret(secret), name, client_id),
                )

    # -- users and delegation --
    def add_user(
        self, name: str, email: str, password: str, *, issuer: str = c.DEFAULT_IDP_ISSUER
    ) -> User:
        self.issuer(issuer)
        if not name or not password:
            raise ValueError("a user needs a name and a password")
        user = User(issuer, name, email, hash_password(password), self.ctx.now())
        records.insert_user(self.store, user)
        return user

    def set_password(self, name: str, password: str, *, issuer: str = c.DEFAULT_IDP_ISSUER) -> None:
        """Replace a user's password (the scrypt hash is what is stored)."""
        if not password:
            raise ValueError("a password must not be empty")
        # Hashed before the transaction: scrypt takes tens of milliseconds, and every other
        # writer (a served IdP's token endpoint too) would wait that long for its turn.
        hashed = hash_password(password)
        with self.store.write() as db:
            changed = db.execute(
                "UPDATE users SET password_hash = ? WHERE issuer = ? AND name = ?",
                (hashed, issuer, name),
            ).rowcount
        if not changed:
            raise NotFound(f"no user {name!r} at issuer {issuer!r}")

    def list_users(self, issuer: str = c.DEFAULT_IDP_ISSUER) -> list[User]:
        return records.list_users(self.store, issuer)

    def grant(
        self,
        user: str,
        agent: str,
        *,
        scopes: Sequence[str] = (),
        issuer: str = c.DEFAULT_IDP_ISSUER,
        kind: str = GRANT_DELEGATION,
    ) -> dict[str, Any]:
        """Record that `user` lets `agent` (name or client id) exchange their tokens: a
        delegation grant (the agent acts for the user; the token names it in `act`) or an
        impersonation grant (the token carries the user alone). Separate permissions."""
        if records.get_user(self.store, issuer, user) is None:
            raise NotFound(f"no user named {user!r} at issuer {issuer!r}")
        found = self.agent(agent, issuer)
        ref = GrantRef(issuer, user, found.client_id, kind)
        records.put_grant(self.store, ref, list(scopes), self.ctx.now())
        return {
            "issuer": issuer,
            "kind": kind,
            "user": user,
            "agent": found.client_id,
            "agent_name": found.name,
            "scopes": list(scopes),
        }

    def revoke_grant(
        self,
        user: str,
        agent: str,
        *,
        issuer: str = c.DEFAULT_IDP_ISSUER,
        kind: str = GRANT_DELEGATION,
    ) -> dict[str, Any]:
        """Withdraw a grant; every token it authorised (and what was exchanged from them)
        stops being accepted at once."""
        found = self.agent(agent, issuer)
        removed, revoked = records.delete_grant(
            self.store, GrantRef(issuer, user, found.client_id, kind), now=self.ctx.now()
        )
        return {
            "issuer": issuer,
            "kind": kind,
            "user": user,
            "agent": found.client_id,
            "agent_name": found.name,
            "revoked": removed,
            "tokens_revoked": revoked,
        }

    def grants(self, issuer: str = c.DEFAULT_IDP_ISSUER) -> list[dict[str, Any]]:
        return records.list_grants(self.store, issuer)

    # -- registration policy --
    def registration_token(
        self,
        *,
        issuer: str = c.DEFAULT_IDP_ISSUER,
        policy: RegistrationPolicy | None = None,
        expires_in: int = 3600,
        uses: int = 1,
    ) -> str:
        """A new RFC 7591 initial access token for `issuer` (returned once; only its hash is
        kept). A client registering with it gets `policy` — the audiences, subject audiences,
        users and scopes the administrator allows it."""
        self.issuer(issuer)
        if expires_in < 1 or uses < 1:
            raise ValueError("an initial access token needs a positive lifetime and use count")
        token = new_secret()
        now = self.ctx.now()
        records.put_registration_token(
            self.store,
            token_hash=hash_secret(token),
            issuer=issuer,
            policy=(policy or RegistrationPolicy()).as_dict(),
            now=now,
            expires_at=now + expires_in,
            uses=uses,
        )
        return token

    def set_agent_policy(
        self,
        agent: str,
        *,
        issuer: str = c.DEFAULT_IDP_ISSUER,
        audiences: Sequence[str] | None = None,
        subject_audiences: Sequence[str] | None = None,
        may_act_for: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        id_jag_client_ids: dict[str, str] | None = None,
    ) -> Client:
        """Set an agent's policy members (None = leave as is), at every issuer it is
        registered at. Only the administrator does this; clients cannot (RFC 7591/7592)."""
        found = self.agent(agent, issuer)
        changes: dict[str, Any] = {}
        if audiences is not None:
            changes["allowed_audiences"] = list(audiences)
        if subject_audiences is not None:
            changes["subject_audiences"] = list(subject_audiences)
        if scopes is not None:
            changes["scope"] = " ".join(scopes)
        if may_act_for is not None:
            changes["may_act_for"] = list(may_act_for) or ["*"]
        if id_jag_client_ids is not None:
            current = self.client(found.client_id, issuer).id_jag_client_ids
            changes["id_jag_client_ids"] = {**current, **id_jag_client_ids}
        records.update_agent_policy(self.store, found.client_id, changes)
        return self.client(found.client_id, issuer)

    def admin_token(self) -> str:
        """The admin sign-in credential (`<db>.admin-token`, 0600), created on first use."""
        from agentctl.idp import admin

        return admin.ensure_token(self.store)

    def user_tokens(
        self,
        username: str,
        password: str,
        *,
        client_id: str,
        issuer: str = c.DEFAULT_IDP_ISSUER,
        scope: str | None = None,
        resources: Sequence[str] = (),
        may_act: str | None = None,
    ) -> UserTokens:
        """The in-process twin of `POST <issuer>/admin/user-token`."""
        cfg = self.issuer(issuer)
        user = authenticate(self.ctx, issuer, username, password)
        return issue_user_tokens(
            self.ctx,
            cfg,
            user,
            self.client(client_id, issuer),
            scope=scope,
            targets=list(resources),
            may_act=may_act,
        )

    # -- audit and reset --
    def audit(self, *, issuer: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        return records.list_audit(self.store, issuer=issuer, limit=limit)


def _require_url(url: str, what: str) -> None:
    from agentctl.core.transport_rules import has_credentials, is_secure_url

    if not is_secure_url(url) or has_credentials(url):
        raise ValueError(f"{url!r} is not {what} (https, or http on loopback; no user:pass@)")


def _checked_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    from authlib.oauth2.rfc7591 import InvalidClientMetadataError

    try:
        from agentctl.idp.endpoints import validate_client_metadata

        return validate_client_metadata(metadata)
    except InvalidClientMetadataError as exc:
        raise ValueError(exc.description) from None


def reset(db_path: Path | None = None) -> list[str]:
    """Delete the IdP database (and its WAL/SHM files); returns the paths removed."""
    path = db_path or default_db_path()
    # This process's connections go first: none may go on writing into a deleted file.
    Store.forget(path)
    removed = []
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate.exists():
            os.remove(candidate)
            removed.append(str(candidate))
    return removed


def _default_grant_types() -> list[str]:
    # Lazily: the registration endpoint's module is not needed by commands that only exchange.
    from agentctl.idp.endpoints import DEFAULT_GRANT_TYPES

    return list(DEFAULT_GRANT_TYPES)


__all__ = ["AgentCredentials", "IdpService", "NotFound", "default_issuers", "reset"]
