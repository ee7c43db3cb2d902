"""Does an Entra token have the shape its mode promises? The same questions as `core.checks`, asked
in Entra's terms (docs/protocols.md §6.3, §6.6, §11.1):

- Entra never emits RFC 8693 `act`. The actor is the client: `azp` (v2) or `appid` (v1), marked
  as an agent identity by `xms_act_fct` ∋ 11.
- The subject is `oid` (+ `tid`), not `sub` (which is pairwise per application). `idtyp` says
  whether it is a user or an app; `xms_sub_fct` ∋ 13 marks an agent's own user account.
- `xms_par_app_azp` names the blueprint; it is for audit only, never for authorization.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentctl.core.checks import Check, audiences

AGENT_IDENTITY_FACET = 11
AGENT_USER_FACET = 13

REF_CLAIMS = "Entra access token claims reference"
REF_AGENT = "Entra Agent ID token claims"
REF_NO_ACT = "Entra: no act claim; actor = azp/appid + xms_act_fct (not RFC 8693 §4.1)"

# Where Entra's tokens differ from RFC 8693, for explanations next to the checks.
DIFFERENCES_FROM_RFC8693: tuple[str, ...] = (
    "Entra does not implement the RFC 8693 token-exchange grant; asking for it fails with "
    "AADSTS82001. OBO is the RFC 7523 jwt-bearer grant plus requested_token_use=on_behalf_of.",
    "There is no act claim. The party that acted is the client in azp (v2 tokens) or appid "
    "(v1 tokens, e.g. Graph); xms_act_fct containing 11 says that client is an agent identity.",
    "The subject is oid (with tid), not sub: sub is pairwise per application. idtyp=user or app "
    "says which kind of principal oid names.",
    "Earlier hops are lost: a token exchanged twice only names the last client.",
    "Entra ignores RFC 8693 audience/resource: the target is chosen with "
    "scope=<resource>/.default.",
    "xms_par_app_azp names the agent's blueprint; log it for audit, never authorize on it.",
)


def facets(payload: Mapping[str, Any], claim: str) -> set[int]:
    """An Entra facet claim (space-separated odd integers, any order) as a set; junk ignored."""
    value = payload.get(claim)
    items: list[Any]
    if isinstance(value, str):
        items = value.split()
    elif isinstance(value, list):
        items = value
    else:
        return set()
    out: set[int] = set()
    for item in items:
        try:
            out.add(int(item))
        except (TypeError, ValueError):
            continue
    return out


def actor(payload: Mapping[str, Any]) -> str | None:
    """The client that acted: `azp` (v2) or `appid` (v1)."""
    for name in ("azp", "appid"):
        value = payload.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, (list, set, tuple)):
        return " ".join(str(v) for v in sorted(value, key=str)) or "(empty)"
    return str(value)


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


def _idtyp(payload: Mapping[str, Any], want: str) -> Check:
    """`idtyp` is an optional claim: app-only tokens carry it by default, user tokens only
    when the resource opts in (`include_user_token`; Graph's do). So for a user token an
    absent `idtyp` is fine; a present one must say `user`."""
    got = payload.get("idtyp")
    if want == "user":
        return Check(
            "idtyp is user or absent (optional in user tokens)",
            got in (None, "user"),
            "user, or absent",
            _show(got),
            REF_CLAIMS,
        )
    return Check(f"idtyp is {want}", got == want, want, _show(got), REF_CLAIMS)


def _actor_is(payload: Mapping[str, Any], app_id: str, who: str) -> Check:
    got = actor(payload)
    return Check(f"azp/appid is the {who}", _same(got, app_id), app_id, _show(got), REF_CLAIMS)


def _oid_is(payload: Mapping[str, Any], oid: str, who: str) -> Check:
    got = payload.get("oid")
    return Check(
        f"oid is the {who}",
        _same(got if isinstance(got, str) else None, oid),
        oid,
        _show(got),
        REF_CLAIMS,
    )


def _no_act(payload: Mapping[str, Any]) -> Check:
    act = payload.get("act")
    return Check("no act claim (Entra)", act is None, "(absent)", _show(act), REF_NO_ACT)


def _facet(payload: Mapping[str, Any], claim: str, value: int, present: bool, what: str) -> Check:
    got = facets(payload, claim)
    ok = (value in got) if present else (value not in got)
    expected = f"{'contains' if present else 'does not contain'} {value} ({what})"
    return Check(
        f"{claim} {'∋' if present else '∌'} {value}",
        ok,
        expected,
        _show(payload.get(claim)),
        REF_AGENT,
    )


def _perms(payload: Mapping[str, Any], kind: str) -> Check:
    if kind == "roles":
        # App-only agent tokens carry `scp` empty or "/" (Agent ID token claims); `roles` only
        # when app roles were assigned.
        ok = payload.get("scp") in (None, "", "/")
        return Check(
            "application permissions (roles; scp absent, empty or /)",
            ok,
            "roles; scp absent, empty or /",
            f"roles={_show(payload.get('roles'))}; scp={_show(payload.get('scp'))}",
            REF_CLAIMS,
        )
    scp = payload.get("scp")
    return Check(
        "delegated permissions (scp)",
        isinstance(scp, str) and bool(scp.split()),
        "scp present",
        _show(scp),
        REF_CLAIMS,
    )


def _audience(payload: Mapping[str, Any], target: str) -> Check:
    aud = audiences(payload)
    return Check("audience is the target", target in aud, target, _show(aud), REF_CLAIMS)


def check_agent(
    payload: Mapping[str, Any],
    *,
    agent_app_id: str,
    agent_object_id: str | None = None,
    agent_id: bool = True,
    audience: str | None = None,
) -> list[Check]:
    """Mode `agent`: the agent authenticated as itself (client credentials; with Agent ID the
    two legs). The agent is both the subject (`oid`, `idtyp=app`) and the actor (`azp`)."""
    checks = [_idtyp(payload, "app"), _actor_is(payload, agent_app_id, "agent")]
    if agent_object_id:
        checks.append(_oid_is(payload, agent_object_id, "agent's service principal"))
    if agent_id:
        checks.append(_facet(payload, "xms_act_fct", AGENT_IDENTITY_FACET, True, "agent identity"))
        checks.append(_facet(payload, "xms_sub_fct", AGENT_IDENTITY_FACET, True, "agent identity"))
    checks += [_no_act(payload), _perms(payload, "roles")]
    if audience:
        checks.append(_audience(payload, audience))
    return checks


def check_obo(
    payload: Mapping[str, Any],
    *,
    user_oid: str,
    agent_app_id: str,
    agent_id: bool = True,
    audience: str | None = None,
    subject_payload: Mapping[str, Any] | None = None,
) -> list[Check]:
    """Mode `obo`: the user's token, obtained by the agent. Subject = the user (`oid`,
    `idtyp=user`); actor = the agent in `azp`/`appid` (+ `xms_act_fct` ∋ 11 with Agent ID)."""
    checks = [
        _idtyp(payload, "user"),
        _oid_is(payload, user_oid, "user"),
        _actor_is(payload, agent_app_id, "agent"),
    ]
    if agent_id:
        checks.append(_facet(payload, "xms_act_fct", AGENT_IDENTITY_FACET, True, "agent identity"))
        checks.append(_facet(payload, "xms_sub_fct", AGENT_USER_FACET, False, "not an agent user"))
    checks += [_no_act(payload), _perms(payload, "scp")]
    if audience:
        checks.append(_audience(payload, audience))
    if subject_payload is not None:
        tid, user_tid = payload.get("tid"), subject_payload.get("tid")
        checks.append(
            Check(
                "same tenant as the user token",
                tid == user_tid,
                _show(user_tid),
                _show(tid),
                REF_CLAIMS,
            )
        )
    return checks


def check_user(
    payload: Mapping[str, Any],
    *,
    user_oid: str | None = None,
    client_app_id: str | None = None,
    audience: str | None = None,
) -> list[Check]:
    """Mode `user`: the user's own token (device code sign-in). No agent facets, no `act`."""
    checks = [_idtyp(payload, "user")]
    if user_oid:
        checks.append(_oid_is(payload, user_oid, "user"))
    if client_app_id:
        checks.append(_actor_is(payload, client_app_id, "client the user signed in to"))
    checks += [
        _facet(payload, "xms_act_fct", AGENT_IDENTITY_FACET, False, "no agent acted"),
        _no_act(payload),
        _perms(payload, "scp"),
    ]
    if audience:
        checks.append(_audience(payload, audience))
    return checks


def check_agent_user(
    payload: Mapping[str, Any], *, agent_user_oid: str, agent_app_id: str
) -> list[Check]:
    """The agent signed in as its own user account (agent user, `user_fic` grant)."""
    return [
        _idtyp(payload, "user"),
        _oid_is(payload, agent_user_oid, "agent user"),
        _actor_is(payload, agent_app_id, "agent identity"),
        _facet(payload, "xms_act_fct", AGENT_IDENTITY_FACET, True, "agent identity"),
        _facet(payload, "xms_sub_fct", AGENT_USER_FACET, True, "agent user"),
        _no_act(payload),
    ]


__all__ = [
    "AGENT_IDENTITY_FACET",
    "AGENT_USER_FACET",
    "DIFFERENCES_FROM_RFC8693",
    "actor",
    "check_agent",
    "check_agent_user",
    "check_obo",
    "check_user",
    "facets",
]
