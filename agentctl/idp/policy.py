"""Small policy helpers shared by the grants: scope narrowing, audience/resource targets, and
RFC 6749 §5.2-safe error text."""

from __future__ import annotations

from dataclasses import dataclass
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


# The two consent kinds (docs/idp.md "Consent"): a delegation grant lets the agent act for
# the user with `act` naming it; an impersonation grant lets it carry the user's identity alone.
GRANT_DELEGATION = "delegation"
GRANT_IMPERSONATION = "impersonation"
GRANT_KINDS = (GRANT_DELEGATION, GRANT_IMPERSONATION)

# OIDC identity scopes govern what an ID token says about the user, not what an API allows, so
# any client may ask for them at sign-in; API scopes are bounded by the client's registration.
IDENTITY_SCOPES = ("openid", "profile", "email")


def narrow_scope(requested: str | None, *limits: list[str] | None) -> str:
    """The granted scope: `requested` when every scope in it is within every limit, else
    invalid_scope; with nothing requested, what all limits allow. A limit of None means "no
    limit"; an empty list means "nothing" — a token without `scope` bounds what is derived from
    it to nothing, never to anything."""
    bounded = [list(dict.fromkeys(limit)) for limit in limits if limit is not None]
    if requested:
        wanted = requested.split()
        for scope in wanted:
            if any(scope not in limit for limit in bounded):
                raise InvalidScopeError(
                    description=f"scope '{safe(scope, 60)}' exceeds what may be granted"
                )
        return " ".join(dict.fromkeys(wanted))
    if not bounded:
        return ""
    return " ".join(s for s in bounded[0] if all(s in b for b in bounded[1:]))


def require_scope(granted: str, what: str) -> str:
    """Refuse an empty grant: a token with no scope would read as "unrestricted" to some
    resources, so an exchange that can grant nothing is invalid_scope, not a scope-less token."""
    if not granted:
        raise InvalidScopeError(description=f"{what} would grant no scope")
    return granted


@dataclass(frozen=True)
class RegistrationPolicy:
    """What the administrator lets a client registered by RFC 7591 have. Carried by an
    initial access token; the open (loopback) registration has the defaults: no audiences
    beyond the issuer's own resource, no subject audiences, any user (still needing consent),
    and the issuer's scopes. A client may ask for less, never for more."""

    audiences: tuple[str, ...] = ()
    subject_audiences: tuple[str, ...] = ()
    may_act_for: tuple[str, ...] = ("*",)
    scopes: tuple[str, ...] | None = None  # None: the issuer's scopes

    def as_dict(self) -> dict[str, Any]:
        return {
            "audiences": list(self.audiences),
            "subject_audiences": list(self.subject_audiences),
            "may_act_for": list(self.may_act_for),
            "scopes": None if self.scopes is None else list(self.scopes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RegistrationPolicy:
        def strings(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = data.get(name)
            if not isinstance(value, list):
                return default
            return tuple(str(v) for v in value)

        scopes = data.get("scopes")
        return cls(
            audiences=strings("audiences", ()),
            subject_audiences=strings("subject_audiences", ()),
            may_act_for=strings("may_act_for", ("*",)) or ("*",),
            scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else None,
        )


def requested_targets(datalist: dict[str, list[str]]) -> list[str]:
    """`resource` (RFC 8707) and `audience` (RFC 8693) values, in order, without repeats."""
    values = [*datalist.get("resource", []), *datalist.get("audience", [])]
    return [v for v in dict.fromkeys(values) if v]


def check_targets(
    ctx: IdpContext, cfg: IssuerConfig, client: Client, targets: list[str]
) -> list[str]:
    """The token audience: the requested targets when each is a resource this issuer serves
    (its demo resource, its registered `resources`) or one the client is registered for (its
    `allowed_audiences`), else invalid_target. Nothing requested → the demo resource."""
    default = cfg.default_resource(ctx.base_url)
    if not targets:
        return [default]
    allowed = {default, *cfg.resources, *client.allowed_audiences}
    for target in targets:
        if target not in allowed:
            raise InvalidTargetError(
                description=f"the client is not registered for audience '{safe(target, 80)}'"
            )
    return targets


def aud_claim(audiences: list[str]) -> str | list[str]:
    return audiences[0] if len(audiences) == 1 else audiences


__all__ = [
    "GRANT_DELEGATION",
    "GRANT_IMPERSONATION",
    "GRANT_KINDS",
    "IDENTITY_SCOPES",
    "InvalidTargetError",
    "RegistrationPolicy",
    "aud_claim",
    "check_targets",
    "narrow_scope",
    "requested_targets",
    "require_scope",
    "safe",
]
