"""How the three modes compare (design.md §1): their titles and the trade-off table rows.

Fixed text, independent of the answers: the recommended mode's row is shown with every
recommendation, so a person sees what the mode costs as well as what it gives.
"""

from __future__ import annotations

from dataclasses import dataclass
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

COMMON_PATH: Final = (
    "the common path: start user-scoped, move to hybrid OBO when attribution matters, "
    "to agent identities as agents become autonomous"
)


__all__ = ["COMMON_PATH", "MODE_TITLES", "TRADEOFFS", "Tradeoff"]
