"""Minting the IdP's JWTs (access tokens, ID tokens, ID-JAGs) and verifying inbound ones.

Every minted token is recorded (jti, parent jti, actor jti) with its audit line in one
transaction, so revocation can follow the exchange chain and the audit log never misses one.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentctl.idp import jose, keys, records
from agentctl.idp.constants import CLOCK_LEEWAY, SIGNING_ALGS
from agentctl.idp.context import IdpContext
from agentctl.idp.models import GrantRef, IssuerConfig, TokenRecord
from agentctl.idp.signing import sign_compact


@dataclass(frozen=True)
class IssuedToken:
    """A token just signed, with its claims and lifetime."""

    token: str
    claims: dict[str, Any]
    expires_in: int


def actor_chain(claims: dict[str, Any]) -> list[str]:
    """`act.sub` values, current actor first, oldest last."""
    chain: list[str] = []
    act = claims.get("act")
    while isinstance(act, dict):
        chain.append(str(act.get("sub")))
        act = act.get("act")
    return chain


def as_list(aud: Any) -> list[str]:
    if aud is None:
        return []
    if isinstance(aud, str):
        return [aud]
    return [str(a) for a in aud]


def new_jti(now: float) -> str:
    """A token id that sorts by issue time: the millisecond as 12 hex digits, then 80 random
    bits (RFC 7519 §4.1.7 asks only that ids never collide). Every token leaves rows keyed by
    its jti (`tokens`, `grant_tokens`); ids in issue order add them at the right edge of those
    indexes, where the pages are hot, instead of at a random leaf each time (measured over 20k
    in-process exchanges: a quarter of the bytes read, a tenth fewer written)."""
    return f"{max(int(now * 1000), 0) & 0xFFFF_FFFF_FFFF:012x}{secrets.token_urlsafe(10)}"


def mint(
    ctx: IdpContext,
    cfg: IssuerConfig,
    *,
    kind: str,
    typ: str,
    claims: dict[str, Any],
    ttl: int,
    client_id: str,
    grant_type: str,
    not_after: int | None = None,
    parent_jti: str | None = None,
    actor_jti: str | None = None,
    detail: dict[str, Any] | None = None,
    signin_scope: str | None = None,
    grant: GrantRef | None = None,
) -> IssuedToken:
    """Sign `claims` (plus iss/iat/exp/jti) with the issuer's active key; record and audit it.
    `not_after` caps `exp`, so a derived token never outlives what it came from.
    `signin_scope` records what the user consented to (ID tokens); `grant` records the stored
    grant that authorised the token, so withdrawing it revokes the token."""
    now = ctx.now()
    exp = now + ttl if not_after is None else min(now + ttl, not_after)
    body = {"iss": ctx.issuer_url(cfg.name), **claims, "iat": now, "exp": exp}
    body["jti"] = new_jti(ctx.clock())
    alg, key = keys.signing_key(ctx.store, cfg.name)
    header = {"alg": alg, "kid": key.kid, "typ": typ}
    token = sign_compact(header, body, key)
    rec = TokenRecord(
        jti=body["jti"],
        issuer=cfg.name,
        kind=kind,
        client_id=client_id,
        sub=str(body.get("sub", "")),
        parent_jti=parent_jti,
        actor_jti=actor_jti,
        iat=now,
        exp=exp,
        revoked=False,
    )
    audit = {
        "time": now,
        "issuer": cfg.name,
        "event": f"issue:{kind}",
        "grant_type": grant_type,
        "client_id": client_id,
        "subject": rec.sub,
        "actor_chain": actor_chain(body),
        "audience": as_list(body.get("aud")),
        "scope": body.get("scope"),
        "jti": rec.jti,
        "parent_jti": parent_jti,
        "detail": detail or {},
    }
    with ctx.store.write() as db:
        records.record_token(db, rec, audit)
        if signin_scope is not None:
            records.record_signin_scope(db, rec.jti, signin_scope)
        if grant is not None:
            records.record_grant_token(db, rec.jti, grant)
    return IssuedToken(token=token, claims=body, expires_in=max(exp - now, 0))


class TokenRejected(Exception):
    """An inbound token is unacceptable; the message is safe to send back (no token content)."""


@dataclass(frozen=True)
class VerifiedToken:
    """An inbound token this IdP issued, its signature checked, with the record kept for it."""

    raw: str
    header: dict[str, Any]
    claims: dict[str, Any]
    issuer: str  # local issuer name
    record: TokenRecord

    @property
    def typ(self) -> str:
        return str(self.header.get("typ", ""))


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims without checking anything (routing decisions only)."""
    try:
        compact = jose.parse_compact(token)
    except jose.JoseRefused as exc:
        raise TokenRejected("is not a well-formed JWT") from exc
    return compact.header, compact.claims


def verify(ctx: IdpContext, token: str, *, trusted: Iterable[str]) -> VerifiedToken:
    """Check issuer trust, signature (allow-listed algs, issuer's own keys), time claims, that
    this server recorded the token, and that neither it nor anything it derives from is
    revoked. Raises TokenRejected with a short reason."""
    remembered = _remembered(ctx, token)
    header, claims = remembered or unverified_parts(token)
    name = ctx.issuer_name_for_url(claims.get("iss"))
    if name is None or name not in set(trusted):
        raise TokenRejected("is not from a trusted issuer")
    if header.get("alg") not in SIGNING_ALGS:
        raise TokenRejected("uses a signing algorithm this server does not accept")
    now = ctx.now()
    kid = header.get("kid")
    published = keys.verification_keys(ctx.store, name, now, kid if isinstance(kid, str) else None)
    # A remembered signature counts only while its key is still published.
    if remembered is None or not any(key.kid == kid for key in published):
        try:
            compact = jose.verify(token, published)
        except jose.JoseRefused as exc:
            raise TokenRejected("has an invalid signature") from exc
        header, claims = compact.header, compact.claims
        _remember(ctx, token, header, claims)
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if not isinstance(exp, int) or exp <= now - CLOCK_LEEWAY:
        raise TokenRejected("has expired")
    if isinstance(nbf, int) and nbf > now + CLOCK_LEEWAY:
        raise TokenRejected("is not valid yet (nbf)")
    if isinstance(iat, int) and iat > now + CLOCK_LEEWAY:
        raise TokenRejected("is not valid yet (issued in the future)")
    jti = claims.get("jti")
    record, revoked = records.get_live_token(ctx.store, jti) if isinstance(jti, str) else (None, 0)
    if record is None or record.issuer != name:
        raise TokenRejected("was not issued by this server")
    if revoked:
        raise TokenRejected("has been revoked")
    return VerifiedToken(
        raw=token, header=dict(header), claims=dict(claims), issuer=name, record=record
    )


# Signature checks are pure: the same token bytes under the same published key (its kid is
# the RFC 7638 thumbprint) verify the same way every time. An agent re-presents its actor token
# and the user's token on each exchange, so a good signature is remembered per token (a bounded
# LRU, per process); trust, algorithm, key publication, time claims, the token record and
# revocation are still checked on every use.
_SIGNATURE_CACHE_SIZE = 4096
_signatures: OrderedDict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_signatures_lock = threading.Lock()


def _remembered(ctx: IdpContext, token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    slot = (str(ctx.store.path), token)
    with _signatures_lock:
        hit = _signatures.get(slot)
        if hit is not None:
            _signatures.move_to_end(slot)
    return hit


def _remember(ctx: IdpContext, token: str, header: dict[str, Any], claims: dict[str, Any]) -> None:
    if not isinstance(header.get("kid"), str):
        return
    with _signatures_lock:
        _signatures[(str(ctx.store.path), token)] = (header, claims)
        while len(_signatures) > _SIGNATURE_CACHE_SIZE:
            _signatures.popitem(last=False)


__all__ = [
    "IssuedToken",
    "TokenRejected",
    "VerifiedToken",
    "actor_chain",
    "as_list",
    "mint",
    "new_jti",
    "unverified_parts",
    "verify",
]
