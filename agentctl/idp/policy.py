"""Small policy helpers shared by the grants: scope narrowing, audience/resource targets, and
RFC 6749 §5.2-safe error text."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidScopeError

from agentctl.idp.context import IdpContext
from agentctl.idp.models import Client, IssuerConfig


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707 §2 / RFC 8693 §2.2.2: the requested resource or audience is unacceptable."""

    error = "invalid_target"
    status_code = 400


def safe(text: Any, limit: int = 120) -> str:
    """RFC 6749 §5.2 allows only %x20-21 / %x23-5B / %x5D-7E in error_description."""
    out = "".join(ch for ch in str(text) if 0x20 <= ord(ch) <= 0x7E and ch not in '"\\')
    return out[:limit]


def narrow_scope(requested: str | None, *limits: list[str] | None) -> str:
    """The granted scope: `requested` when every scope in it is within every limit (None = no
    limit), else invalid_scope; with nothing requested, what all limits allow."""
    bounded = [set(limit) for limit in limits if limit is not None]
    if requested:
        wanted = requested.split()
        for scope in wanted:
            if any(scope not in limit for limit in bounded):
                raise InvalidScopeError(
                    description=f"scope '{safe(scope, 60)}' exceeds what may be granted"
                )
        return " ".join(dict.fromkeys(wanted))
    first = next((limit for limit in limits if limit is not None), None)
    if first is None:
        return ""
    return " ".join(s for s in dict.fromkeys(first) if all(s in b for b in bounded))


def requested_targets(datalist: dict[str, list[str]]) -> list[str]:
    """`resource` (RFC 8707) and `audience` (RFC 8693) values, in order, without repeats."""
    values = [*datalist.get("resource", []), *datalist.get("audience", [])]
    return [v for v in dict.fromkeys(values) if v]


def check_targets(
    ctx: IdpContext, cfg: IssuerConfig, client: Client, targets: list[str]
) -> list[str]:
    """The token audience: the requested targets when the client is registered for each one
    (its `allowed_audiences`, or this issuer's own demo resource), else invalid_target.
    Nothing requested → this issuer's default resource."""
    default = cfg.default_resource(ctx.base_url)
    if not targets:
        return [default]
    allowed = {default, *client.allowed_audiences}
    for target in targets:
        if target not in allowed:
            raise InvalidTargetError(
                description=f"the client is not registered for audience '{safe(target, 80)}'"
            )
    return targets


def aud_claim(audiences: list[str]) -> str | list[str]:
    return audiences[0] if len(audiences) == 1 else audiences


__all__ = [
    "InvalidTargetError",
    "aud_claim",
    "check_targets",
    "narrow_scope",
    "requested_targets",
    "safe",
]
