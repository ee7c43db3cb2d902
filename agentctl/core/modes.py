"""Who the token is about, who acted, and which of the three modes produced it.

The modes (docs/design.md §1, docs/protocols.md §0 and §11.1):
- user_scoped: `sub` is the user and no actor is recorded (RFC 8693 impersonation, or the
  user's own token narrowed by scope/audience; Entra classic OBO; Okta custom-AS OBO;
  Keycloak standard token exchange).
- hybrid_obo: `sub` is the user and the agent is recorded as actor (RFC 8693 delegation `act`;
  Entra Agent ID OBO, where the agent is `azp`/`appid` marked `xms_act_fct` ∋ 11, not `act`).
- agent_identity: the agent authenticates as itself (client credentials; RFC 9068 §2.2 says
  `sub` then names the client; Entra autonomous agent or agent user).
"""

from __future__ import annotations

from typing import Any, Literal

from agentctl.core.chain import Chain
from agentctl.core.claims import facet_values
from agentctl.core.dialects import DialectInfo, Kind, entra_exchange_target

Mode = Literal["user_scoped", "hybrid_obo", "agent_identity", "unknown"]
EntityKind = Literal["user", "agent", "service", "agent_user", "unknown"]

PROFILE_KINDS: dict[str, EntityKind] = {
    "user": "user",
    "ai_agent": "agent",
    "service": "service",
    "browser_app": "service",
    "native_app": "service",
}
KIND_WORDS: dict[str, str] = {
    "user": "user",
    "agent": "agent",
    "service": "service",
    "agent_user": "agent user",
    "unknown": "principal",
}


class Party:
    __slots__ = ("display", "id", "issuer", "kind", "source")

    id: str | None
    kind: EntityKind
    display: str | None
    issuer: str | None
    source: str | None  # the claim that named it

    def __init__(
        self,
        id: str | None,  # noqa: A002 - the JSON field is "id"
        kind: EntityKind,
        display: str | None = None,
        issuer: str | None = None,
        source: str | None = None,
    ) -> None:
        self.id = id
        self.kind = kind
        self.display = display
        self.issuer = issuer
        self.source = source

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def label(self) -> str:
        return self.display or self.id or "(unnamed)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "display": self.display,
            "issuer": self.issuer,
            "source": self.source,
        }


class Who:
    __slots__ = ("actor", "blueprint", "client_id", "evidence", "prior_actors", "subject", "tenant")

    subject: Party
    actor: Party | None
    prior_actors: list[Party]
    client_id: str | None
    tenant: str | None
    blueprint: str | None
    evidence: list[str]

    def __init__(
        self,
        subject: Party,
        actor: Party | None,
        prior_actors: list[Party],
        client_id: str | None,
        tenant: str | None,
        blueprint: str | None = None,
        evidence: list[str] | None = None,
    ) -> None:
        self.subject = subject
        self.actor = actor
        self.prior_actors = prior_actors
        self.client_id = client_id
        self.tenant = tenant
        self.blueprint = blueprint
        self.evidence = evidence if evidence is not None else []


class ModeDecision:
    __slots__ = ("evidence", "mode")

    mode: Mode
    evidence: list[str]

    def __init__(
        self,
        mode: Mode,
        evidence: list[str],
    ) -> None:
        self.mode = mode
        self.evidence = evidence


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def display_name(payload: dict[str, Any]) -> str | None:
    for claim in ("name", "email", "upn", "preferred_username", "unique_name"):
        value = _s(payload.get(claim))
        if value:
            return value
    return None


def client_of(payload: dict[str, Any]) -> str | None:
    for claim in ("client_id", "azp", "appid", "cid", "clientId"):
        value = _s(payload.get(claim))
        if value:
            return value
    return None


def profile_kind(value: Any) -> EntityKind | None:
    if not isinstance(value, str):
        return None
    words = value.split()
    for word in ("ai_agent", "user", "service", "browser_app", "native_app"):
        if word in words:
            return PROFILE_KINDS[word]
    return None


def _actors_from_chain(chain: Chain) -> list[Party]:
    out = []
    for actor in chain.actors:
        kind = profile_kind(actor.profile) or "unknown"
        out.append(Party(actor.id, kind, None, actor.issuer, "act"))
    return out


def identify(dialect: DialectInfo, payload: dict[str, Any], chain: Chain) -> Who:
    """Subject, actor, prior actors, client and tenant, read the way the dialect writes them."""
    sub = _s(payload.get("sub"))
    display = display_name(payload)
    client = client_of(payload)
    actors = _actors_from_chain(chain)
    evidence: list[str] = []
    if dialect.name == "entra":
        return _identify_entra(payload, chain, actors, display, client)
    if dialect.name == "okta":
        uid = _s(payload.get("uid"))
        kind = profile_kind(payload.get("sub_profile"))
        if kind is None:
            kind = "service" if sub is not None and sub == _s(payload.get("cid")) else "user"
            evidence.append(
                "sub = cid: client credentials"
                if kind == "service"
                else "uid names an Okta user"
                if uid
                else "sub is not the client"
            )
        subject = Party(
            uid or sub, kind, display or (sub if uid else None), None, "uid" if uid else "sub"
        )
        tenant = None
    elif dialect.name == "keycloak":
        username = _s(payload.get("preferred_username")) or ""
        kind = profile_kind(payload.get("sub_profile")) or (
            "service" if username.startswith("service-account-") else "user"
        )
        if username.startswith("service-account-"):
            evidence.append(f"preferred_username {username}: a client's service account")
        subject = Party(sub, kind, display, None, "sub")
        tenant = None
    elif dialect.name == "auth0":
        kind = profile_kind(payload.get("sub_profile"))
        if kind is None:
            kind = "service" if sub is not None and sub.endswith("@clients") else "user"
        if sub is not None and sub.endswith("@clients"):
            evidence.append("sub ends @clients: an M2M client authenticated as itself")
        subject = Party(sub, kind, display, None, "sub")
        tenant = _s(payload.get("org_id"))
    else:
        kind = profile_kind(payload.get("sub_profile"))
        if kind is None:
            if sub is not None and sub == payload.get("iss") and not actors:
                kind = "service"
                evidence.append("iss = sub: a client asserting its own identity (RFC 7523 §3)")
            elif sub is not None and sub == client and not actors:
                kind = "service"
                evidence.append("sub equals the client id (RFC 9068 §2.2: client credentials)")
            elif sub is not None:
                kind = "user"
            else:
                kind = "unknown"
        subject = Party(sub, kind, display, None, "sub")
        tenant = _s(payload.get("tenant"))
    if payload.get("sub_profile") is not None:
        evidence.append(f"sub_profile {payload.get('sub_profile')}")
    return Who(subject, actors[0] if actors else None, actors[1:], client, tenant, None, evidence)


def _identify_entra(
    payload: dict[str, Any],
    chain: Chain,
    actors: list[Party],
    display: str | None,
    client: str | None,
) -> Who:
    act_fct = facet_values(payload.get("xms_act_fct"))
    sub_fct = facet_values(payload.get("xms_sub_fct"))
    oid = _s(payload.get("oid")) or _s(payload.get("sub"))
    azp = _s(payload.get("azp")) or _s(payload.get("appid"))
    azp_claim = "azp" if _s(payload.get("azp")) else "appid"
    idtyp = _s(payload.get("idtyp"))
    evidence = []
    target = entra_exchange_target(payload)
    if target is not None:
        # T1 (Agent ID leg 1): azp/appid is the blueprint that asked for it; the agent identity
        # it vouches for is only in `sub` (fmi_path). Nobody acts with it: it authenticates.
        evidence.append(
            f"{azp_claim} is the blueprint; sub names the agent identity (fmi_path) "
            + (target or "(unreadable)")
        )
        blueprint_party = Party(azp, "service", display, None, azp_claim)
        return Who(blueprint_party, None, [], client, _s(payload.get("tid")), azp, evidence)
    app_only = idtyp == "app" or (
        idtyp is None and "scp" not in payload and oid is not None and oid == _s(payload.get("sub"))
    )
    if 13 in sub_fct:
        kind: EntityKind = "agent_user"
        evidence.append("xms_sub_fct ∋ 13: the subject is an agent user")
    elif app_only:
        kind = "agent" if 11 in (act_fct | sub_fct) else "service"
        if kind == "agent":
            evidence.append("xms_act_fct/xms_sub_fct ∋ 11: the app is an Entra agent identity")
        evidence.append(
            "idtyp app: an app-only token" if idtyp else "no scp and sub = oid: app-only"
        )
    else:
        kind = "user"
    subject = Party(oid, kind, display, None, "oid" if payload.get("oid") else "sub")
    actor: Party | None = actors[0] if actors else None
    if actor is None and azp and 11 in act_fct and not app_only:
        actor = Party(azp, "agent", None, None, azp_claim)
        evidence.append(
            f"xms_act_fct ∋ 11: {azp_claim} is an agent identity acting for the subject"
        )
    blueprint = _s(payload.get("xms_par_app_azp"))
    return Who(subject, actor, actors[1:], client, _s(payload.get("tid")), blueprint, evidence)


def detect_mode(
    dialect: DialectInfo, kind: Kind, payload: dict[str, Any], who: Who
) -> ModeDecision:
    """Name the mode, with the claims that led there."""
    if kind in ("client_assertion", "logout_token"):
        target = entra_exchange_target(payload) if dialect.name == "entra" else None
        if target is not None:
            return ModeDecision(
                "unknown",
                [
                    *who.evidence,
                    "an Agent ID exchange token (T1) grants nothing by itself: agent identity "
                    f"{target or '(fmi_path)'} presents it as client_assertion (leg 2) to get "
                    "its own tokens, and their claims tell the mode",
                ],
            )
        return ModeDecision("unknown", [f"a {kind.replace('_', ' ')} grants nothing by itself"])
    if who.subject.id is None:
        return ModeDecision("unknown", ["no sub: nobody is named as the subject"])
    evidence = list(who.evidence)
    if who.subject.kind == "agent_user":
        evidence.append("agent user: the agent acts as its own user principal (closest to mode 3)")
        return ModeDecision("agent_identity", evidence)
    if who.actor is not None:
        source = who.actor.source or "act"
        evidence.append(
            f"{source} names an actor ({who.actor.id}) distinct from the subject"
            if source == "act"
            else f"the agent in {source} acts for user {who.subject.id}"
        )
        if who.subject.kind in ("agent", "service"):
            evidence.append("the subject is itself a client, so this delegates between services")
        return ModeDecision("hybrid_obo", evidence)
    if who.subject.kind in ("agent", "service"):
        evidence.append("no actor: the subject authenticated as itself")
        return ModeDecision("agent_identity", evidence)
    if who.subject.kind == "user":
        evidence.append("no act: no actor is recorded, the user is the only identity")
        if who.client_id:
            evidence.append(f"client {who.client_id} holds the token (not recorded as actor)")
        if dialect.name == "keycloak":
            evidence.append("Keycloak standard token exchange cannot delegate (no act)")
        return ModeDecision("user_scoped", evidence)
    evidence.append("the subject's kind could not be told from the claims")
    return ModeDecision("unknown", evidence)


__all__ = [
    "KIND_WORDS",
    "PROFILE_KINDS",
    "EntityKind",
    "Mode",
    "ModeDecision",
    "Party",
    "Who",
    "client_of",
    "detect_mode",
    "display_name",
    "identify",
    "profile_kind",
]
