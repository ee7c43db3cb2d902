"""Does a token have the shape its mode promises? Pure checks over decoded claims.

- user (RFC 8693 impersonation): `sub` is the user; no `act`.
- obo (RFC 8693 §4.1 delegation): `sub` is the user; `act.sub` is the agent; the audience is the
  target; some scope is granted and none widened; the lifetime stays within the subject token's.
- agent (RFC 6749 §4.4, RFC 9068 §2.2): `sub` is the agent (the client); no `act`.
- ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §3): `typ` oauth-id-jag+jwt; `aud` the
  resource AS; `client_id` the client there; `resource` as asked.
- the resource's view (RFC 9728): `iss` one of its `authorization_servers`, `aud` its identifier.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any

ID_JAG_TYP = "oauth-id-jag+jwt"


@dataclass(frozen=True)
class Check:
    """One claim check on a token: what the mode promises, what the token holds, and the spec
    behind it."""

    name: str
    ok: bool
    expected: str
    actual: str
    reference: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def audiences(payload: Mapping[str, Any]) -> list[str]:
    aud = payload.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


def scopes(payload: Mapping[str, Any]) -> list[str]:
    """`scope` (RFC 8693 §4.2, a space-delimited string) or Entra/Okta `scp` (string or list)."""
    for name in ("scope", "scp"):
        value = payload.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
    return []


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, list):
        return " ".join(str(v) for v in value) or "(empty)"
    return str(value)


def _sub_is(payload: Mapping[str, Any], ids: Collection[str], who: str, ref: str) -> Check:
    sub = payload.get("sub")
    return Check(f"sub is the {who}", sub in ids, " or ".join(sorted(ids)), _show(sub), ref)


def _no_act(payload: Mapping[str, Any], ref: str) -> Check:
    act = payload.get("act")
    return Check("no act claim", act is None, "(absent)", _show(act), ref)


def _audience(payload: Mapping[str, Any], target: str) -> Check:
    aud = audiences(payload)
    return Check("audience is the target", target in aud, target, _show(aud), "RFC 8693 §2.1")


def check_agent(payload: Mapping[str, Any], *, agent_ids: Collection[str]) -> list[Check]:
    return [
        _sub_is(payload, agent_ids, "agent", "RFC 9068 §2.2"),
        _no_act(payload, "RFC 8693 §4.1"),
    ]


def check_user(
    payload: Mapping[str, Any], *, user_ids: Collection[str], audience: str | None = None
) -> list[Check]:
    checks = [
        _sub_is(payload, user_ids, "user", "RFC 8693 §1.1"),
        _no_act(payload, "RFC 8693 §1.1 (impersonation)"),
    ]
    if audience:
        checks.append(_audience(payload, audience))
    return checks


def check_obo(
    payload: Mapping[str, Any],
    *,
    user_ids: Collection[str],
    agent_ids: Collection[str],
    audience: str | None,
    subject_payload: Mapping[str, Any],
) -> list[Check]:
    act = payload.get("act")
    actor = act.get("sub") if isinstance(act, Mapping) else None
    checks = [
        _sub_is(payload, user_ids, "user", "RFC 8693 §4.1"),
        Check(
            "act.sub is the agent",
            actor in agent_ids,
            " or ".join(sorted(agent_ids)),
            _show(actor),
            "RFC 8693 §4.1",
        ),
    ]
    if audience:
        checks.append(_audience(payload, audience))
    granted, allowed = set(scopes(payload)), set(scopes(subject_payload))
    widened = sorted(granted - allowed)
    # A delegated token with no scope at all grants the agent nothing it can name: an IdP that
    # drops the scopes (a device-code sign-in without any) yields a token that passes every
    # other check yet is useless, or worse, read by a lax API as "everything".
    checks.append(
        Check(
            "a scope is granted",
            bool(granted),
            "at least one scope",
            _show(sorted(granted)) if granted else "(none)",
            "RFC 8693 §2.2.1, RFC 6749 §3.3",
        )
    )
    checks.append(
        Check(
            "scopes did not widen",
            not widened,
            f"within: {_show(sorted(allowed))}",
            f"{_show(sorted(granted))}" + (f" (added: {' '.join(widened)})" if widened else ""),
            "RFC 8693 §2.1, RFC 6749 §3.3",
        )
    )
    exp, limit = payload.get("exp"), subject_payload.get("exp")
    within = isinstance(exp, int | float) and isinstance(limit, int | float) and exp <= limit
    checks.append(
        Check(
            "lifetime within the subject token's",
            within,
            f"exp <= {_show(limit)}",
            f"exp = {_show(exp)}",
            "RFC 8693 §2.1",
        )
    )
    return checks


def check_id_jag(
    header: Mapping[str, Any],
    payload: Mapping[str, Any],
    *,
    resource_issuer: str,
    client_id: str | None,
    resource: str | None,
) -> list[Check]:
    ref = "draft-ietf-oauth-identity-assertion-authz-grant §3"
    checks = [
        Check(
            "typ is oauth-id-jag+jwt",
            header.get("typ") == ID_JAG_TYP,
            ID_JAG_TYP,
            _show(header.get("typ")),
            ref,
        ),
        Check(
            "aud is the resource authorization server",
            audiences(payload) == [resource_issuer],
            resource_issuer,
            _show(payload.get("aud")),
            ref,
        ),
    ]
    if client_id is not None:
        checks.append(
            Check(
                "client_id is the client at the resource AS",
                payload.get("client_id") == client_id,
                client_id,
                _show(payload.get("client_id")),
                ref,
            )
        )
    if resource is not None:
        got = payload.get("resource")
        values = got if isinstance(got, list) else [got]
        checks.append(
            Check("resource is the one asked for", resource in values, resource, _show(got), ref)
        )
    for claim in ("iss", "sub", "jti", "exp", "iat"):
        checks.append(
            Check(
                f"{claim} present",
                claim in payload,
                "present",
                "present" if claim in payload else "(absent)",
                ref,
            )
        )
    return checks


def check_resource_view(
    payload: Mapping[str, Any], *, resource: str, authorization_servers: Collection[str]
) -> list[Check]:
    """Would the resource take this token? Its RFC 9728 metadata names the authorization
    servers it trusts and its own identifier: the token's `iss` must be one of those servers
    and its `aud` must carry that identifier (RFC 9728 §7.3, RFC 8707 §2; MCP requires both)."""
    servers = [s for s in authorization_servers if isinstance(s, str)]
    iss = payload.get("iss")
    trusted = isinstance(iss, str) and _same_url(iss, servers)
    return [
        Check(
            "issuer is an authorization server of the resource",
            trusted,
            " or ".join(servers) or "(the resource names none)",
            _show(iss),
            "RFC 9728 §2 (authorization_servers)",
        ),
        Check(
            "audience is the resource",
            _same_url(resource, audiences(payload)),
            resource,
            _show(payload.get("aud")),
            "RFC 9728 §2 (resource), RFC 8707 §2",
        ),
    ]


def _same_url(value: str, candidates: Collection[str]) -> bool:
    """URL identifiers compared as published, forgiving only a trailing slash."""
    return value.rstrip("/") in {c.rstrip("/") for c in candidates}


def all_ok(checks: Collection[Check]) -> bool:
    return all(c.ok for c in checks)


__all__ = [
    "ID_JAG_TYP",
    "Check",
    "all_ok",
    "audiences",
    "check_agent",
    "check_id_jag",
    "check_obo",
    "check_resource_view",
    "check_user",
    "scopes",
]
