"""How the three modes compare (design.md §1): their titles and the trade-off table rows.

Fixed text, independent of the answers: the recommended mode's row is shown with every
recommendation, so a person sees what the mode costs as well as what it gives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from agentctl.core.capabilities import MODES

US, OBO, AGENT = MODES

MODE_TITLES: Final = {
    US: "user-scoped",
    OBO: "hybrid on-behalf-of (OBO)",
    AGENT: "agent identity",
}


@dataclass(frozen=True)
class Tradeoff:
    token_for: str
    who_acted: str
    permissions: str
    audit_trail: str
    accountability: str
    idp_setup: str
    best_for: str

    def rows(self) -> tuple[tuple[str, str], ...]:
        return (
            ("who the token is for", self.token_for),
            ("who acted", self.who_acted),
            ("permissions", self.permissions),
            ("audit trail reads", self.audit_trail),
            ("accountability", self.accountability),
            ("IdP setup", self.idp_setup),
            ("best for", self.best_for),
        )


TRADEOFFS: Final = {
    US: Tradeoff(
        "the user (sub = user)",
        "not recorded",
        "the user's",
        '"user did X"',
        "the user",
        "token exchange",
        "simple automation",
    ),
    OBO: Tradeoff(
        "the user (sub = user)",
        "the agent (act.sub = agent)",
        "the user's",
        '"agent did X as user"',
        "user authorised, agent acted",
        "token exchange + agent registration",
        "attributed automation",
    ),
    AGENT: Tradeoff(
        "the agent (sub = agent)",
        "the agent",
        "the agent's own roles",
        '"agent did X"',
        "the agent and its sponsor",
        "agent registration",
        "autonomous decisions",
    ),
}

# Where the agent shows in the token, per IdP and mode (protocols.md §0, §6.6–§9): design.md's
# table says `act.sub = agent` for hybrid OBO, which holds only where the IdP writes `act`.
WHO_ACTED: Final[dict[str, dict[str, str]]] = {
    "local": {
        US: "not recorded (the exchanging agent shows at most as client_id)",
        OBO: "the agent (act.sub = agent; earlier agents nested in act.act)",
        AGENT: "the agent (sub = agent)",
    },
    "okta": {
        US: "not recorded (the exchanging app shows only as cid)",
        OBO: "the agent (act.sub = its client id, sub_profile ai_agent; chain nested)",
        AGENT: "the agent (sub = cid = its client id)",
    },
    "auth0": {
        US: "not recorded",
        OBO: "the exchanging client or its linked agent (act.sub; at most 4 levels nested)",
        AGENT: "the agent (sub = <client_id>@clients)",
    },
    "entra": {
        US: "not recorded (classic OBO: only the middle-tier app in azp)",
        OBO: "the agent in azp/appid with xms_act_fct ∋ 11 — no act claim, and no chain: "
        "only the last agent is visible",
        AGENT: "the agent identity (oid; xms_sub_fct ∋ 11)",
    },
    "keycloak": {
        US: "not recorded (the requesting client only in azp)",
        OBO: "cannot delegate: at most azp = the agent on a user-scoped token, no act",
        AGENT: "the agent (azp = its clientId; sub = its service-account user's UUID)",
    },
    "oidc": {
        US: "not recorded (the client at most in azp or client_id)",
        OBO: "act.sub = agent if the provider honours actor_token; check the token",
        AGENT: "the agent (sub = the client, RFC 9068)",
    },
}
AUDIT_TRAIL: Final[dict[tuple[str, str], str]] = {
    ("entra", OBO): '"app <agent appId> did X as user" (from azp + xms_act_fct; no chain)',
    ("keycloak", OBO): '"user did X" (client in azp at most)',
}
IDP_SETUP: Final[dict[tuple[str, str], str]] = {
    ("entra", US): "an app registration; classic OBO (jwt-bearer, on_behalf_of)",
    ("entra", OBO): "an Agent ID blueprint + agent identity (register --kind agent-identity); "
    "the user's token must name the blueprint as audience",
    ("entra", AGENT): "an Agent ID blueprint + agent identity, or an app with app roles",
    ("keycloak", OBO): "not possible (no delegation); an own client gives user-scoped + azp",
    ("okta", OBO): "an AI-agent client (Okta for AI Agents) + Cross App Access",
}
ID_JAG_VIEW: Final = (
    "through ID-JAG an MCP server sees sub = the user and the agent only as client_id: no act "
    "claim, no delegation chain"
)


def tradeoff_for(idp: str, mode: str) -> Tradeoff:
    """The design's trade-off row, with who acted and the audit trail as `idp` records them."""
    base = TRADEOFFS[mode]
    who = WHO_ACTED.get(idp, {}).get(mode, base.who_acted)
    audit = AUDIT_TRAIL.get((idp, mode), base.audit_trail)
    setup = IDP_SETUP.get((idp, mode), base.idp_setup)
    return replace(base, who_acted=who, audit_trail=audit, idp_setup=setup)


@dataclass(frozen=True)
class Stage:
    mode: str
    when: str
    change: str


# The evolution path (design.md §1, "the common path"): what moving to each stage takes.
EVOLUTION: Final = (
    Stage(US, "start here", "token exchange for the user's token; the agent is invisible"),
    Stage(
        OBO,
        "when attribution matters",
        'register the agent; exchange with the agent as actor: "agent did X as user"',
    ),
    Stage(
        AGENT,
        "as agents become autonomous",
        'give the agent its own roles and a sponsor: "agent did X"',
    ),
)

COMMON_PATH: Final = (
    "the common path: start user-scoped, move to hybrid OBO when attribution matters, "
    "to agent identities as agents become autonomous"
)


__all__ = [
    "AUDIT_TRAIL",
    "COMMON_PATH",
    "EVOLUTION",
    "IDP_SETUP",
    "ID_JAG_VIEW",
    "MODE_TITLES",
    "TRADEOFFS",
    "WHO_ACTED",
    "Stage",
    "Tradeoff",
    "tradeoff_for",
]
