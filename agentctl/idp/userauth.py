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
from agentctl.idp.policy import IDENTITY_SCOPES, aud_claim, check_targets, narrow_scope
from agentctl.idp.secrets import hash_password, verify_password
from agentctl.idp.tokens import mint

ADMIN_GRANT = "urn:agentctl:grant-type:admin-user-token"


class SignInError(Exception):
    """Unknown user or wrong password (one message for both, so names cannot be probed)."""


class SignInThrottled(SignInError):
    """Too many wrong passwords for this user or from this address: no check was made."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


def authenticate(
    ctx: IdpContext, issuer: str, name: str, password: str, *, source: str | None = None
) -> User:
    """The user, when `password` is theirs. Throttled per user and per `source` address (see
    `throttle`): while either is blocked no password is checked. Failures are audited."""
    from agentctl.idp import throttle

    now = ctx.now()
    keys = [(throttle.user_key(issuer, name), throttle.FREE_FAILURES)]
    if source:
        keys.append((throttle.source_key(source), throttle.FREE_FAILURES_PER_SOURCE))
    stop = throttle.blocked(ctx.store, [key for key, _ in keys], now)
    if stop is not None:
        _audit_sign_in(ctx, issuer, "signin:throttled", name, source, stop.retry_after)
        raise SignInThrottled(stop.retry_after)
    user = records.get_user(ctx.store, issuer, name)
    # Hash even for an unknown name, so the answer takes the same time either way.
    ok = verify_password(password, user.password_hash if user else _dummy_hash())
    if user is None or not ok:
        block = throttle.record_failure(ctx.store, keys, now)
        _audit_sign_in(ctx, issuer, "signin:failed", name, source, block)
        raise SignInError("invalid user name or password")
    throttle.clear(ctx.store, keys[0][0])
    return user


def _audit_sign_in(
    ctx: IdpContext, issuer: str, event: str, name: str, source: str | None, block: int
) -> None:
    detail: dict[str, Any] = {"user": name[:100]}
    if source:
        detail["source"] = source
    if block:
        detail["blocked_for"] = block
    with ctx.store.write() as db:
        records.add_audit(db, time=ctx.now(), issuer=issuer, event=event, detail=detail)


def sign_in_scopes(client: Client) -> list[str]:
    """What a user may consent to for `client`: identity scopes and the client's own."""
    return list(dict.fromkeys([*IDENTITY_SCOPES, *client.allowed_scopes]))


@functools.cache
def _dummy_hash() -> str:
    return hash_password("agentctl-timing-equaliser")


@dataclass(frozen=True)
class UserTokens:
    """What a user's sign-in yields: an ID token and an access token."""

    id_token: str
    access_token: str
    expires_in: int
    scope: str
    jtis: tuple[str, ...] = ()  # the tokens' jti values (what a replayed code revokes)

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
    nonce: str | None = None,
) -> UserTokens:
    """An ID token (aud = the client) and an RFC 9068 access token (client_id = the client)
    for `user`. `may_act` names a client allowed to act for the user (RFC 8693 §4.4).
    The scope is bounded by the issuer's scopes and the client's registration (identity
    scopes aside); it is what the user consents to, recorded with the ID token so that the ID
    token, used later as a subject token, never yields more."""
    granted = narrow_scope(scope, list(cfg.scopes), sign_in_scopes(client))
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
    if nonce:
        id_claims["nonce"] = nonce  # OIDC Core §3.1.3.6: echoed for the client to check
    id_token = mint(
        ctx,
        cfg,
        kind=c.KIND_ID,
        typ=c.TYP_ID_TOKEN,
        claims=id_claims,
        ttl=min(ttl or cfg.id_token_ttl, cfg.id_token_ttl),
        client_id=client.client_id,
        grant_type=grant_type,
        signin_scope=granted,
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
    return UserTokens(
        id_token.token,
        access.token,
        access.expires_in,
        granted,
        (str(id_token.claims["jti"]), str(access.claims["jti"])),
    )


__all__ = [
    "ADMIN_GRANT",
    "SignInError",
    "SignInThrottled",
    "UserTokens",
    "authenticate",
    "issue_user_tokens",
    "sign_in_scopes",
]
