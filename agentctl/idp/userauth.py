"""Issuing a signed-in user's tokens (ID token + access token) to a client.

Used by the loopback-only admin route (`POST <issuer>/admin/user-token`), by the Python
service API, and meant for the RFC 8628 device flow once a user signs in on its page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from agentctl.idp import constants as c
from agentctl.idp import records
from agentctl.idp.context import IdpContext
from agentctl.idp.models import Client, IssuerConfig, User
from agentctl.idp.policy import aud_claim, check_targets, narrow_scope
from agentctl.idp.secrets import hash_password, verify_password
from agentctl.idp.tokens import mint

ADMIN_GRANT = "urn:agentctl:grant-type:admin-user-token"


class SignInError(Exception):
    """Unknown user or wrong password (one message for both, so names cannot be probed)."""


def authenticate(ctx: IdpContext, issuer: str, name: str, password: str) -> User:
    user = records.get_user(ctx.store, issuer, name)
    # Hash even for an unknown name, so the answer takes the same time either way.
    ok = verify_password(password, user.password_hash if user else _dummy_hash())
    if user is None or not ok:
        raise SignInError("invalid user name or password")
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password("agentctl-timing-equaliser")


@dataclass(frozen=True)
class UserTokens:
    id_token: str
    access_token: str
    expires_in: int
    scope: str

    def as_response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.access_token,
            "id_token": self.id_token,
            "expires_in": self.expires_in,
        }
        if self.scope:
            body["scope"] = self.scope
        return body


def issue_user_tokens(
    ctx: IdpContext,
    cfg: IssuerConfig,
    user: User,
    client: Client,
    *,
    scope: str | None = None,
    targets: list[str] | None = None,
    may_act: str | None = None,
    ttl: int | None = None,
    grant_type: str = ADMIN_GRANT,
) -> UserTokens:
    """An ID token (aud = the client) and an RFC 9068 access token (client_id = the client)
    for `user`. `may_act` names a client allowed to act for the user (RFC 8693 §4.4)."""
    granted = narrow_scope(scope, list(cfg.scopes))
    audience = check_targets(ctx, cfg, client, targets or [])
    now = ctx.now()
    identity: dict[str, Any] = {"sub": user.sub, "sub_profile": c.PROFILE_USER}
    if may_act:
        identity["may_act"] = {"sub": may_act}
    id_claims = {
        **identity,
        "aud": client.client_id,
        "azp": client.client_id,
        "auth_time": now,
        "name": user.name,
        "email": user.email,
    }
    id_token = mint(
        ctx,
        cfg,
        kind=c.KIND_ID,
        typ=c.TYP_ID_TOKEN,
        claims=id_claims,
        ttl=min(ttl or cfg.id_token_ttl, cfg.id_token_ttl),
        client_id=client.client_id,
        grant_type=grant_type,
    )
    at_claims: dict[str, Any] = {
        **identity,
        "client_id": client.client_id,
        "aud": aud_claim(audience),
    }
    if granted:
        at_claims["scope"] = granted
    access = mint(
        ctx,
        cfg,
        kind=c.KIND_ACCESS,
        typ=c.TYP_ACCESS_TOKEN,
        claims=at_claims,
        ttl=min(ttl or cfg.access_ttl, cfg.access_ttl),
        client_id=client.client_id,
        grant_type=grant_type,
    )
    return UserTokens(id_token.token, access.token, access.expires_in, granted)


__all__ = ["ADMIN_GRANT", "SignInError", "UserTokens", "authenticate", "issue_user_tokens"]
