"""Table-driven scoring of the three modes from the `choose` answers.

Each rule in `RULES` ties one answer to points for one mode and a reason a person can read; a
mode's score is the sum of the rules that fire. Pure and deterministic: the same answers always
give the same ranking, ties broken by `TIE_ORDER`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from agentctl.core.answers import Answer, Answers, answer_values
from agentctl.core.capabilities import MODES

# Short names keep the rule table below readable at a glance.
US, OBO, AGENT = MODES


@dataclass(frozen=True)
class Rule:
    key: str
    value: str
    mode: str
    points: int
    reason: str
    idps: tuple[str, ...] = ()  # fires only for these `idp` answers; empty: for every IdP


def _rules(key: str, value: str, *entries: tuple[str, int, str]) -> tuple[Rule, ...]:
    return tuple(Rule(key, value, mode, pts, reason) for mode, pts, reason in entries)


# IdPs whose delegated tokens nest `act` claims, one per hop (protocols.md §0): on Entra the
# agent shows in azp with no chain, Keycloak cannot delegate at all.
ACT_CHAIN_IDPS: Final = ("local", "okta", "auth0", "oidc")


# Weights are chosen so that hard facts win: no user present (initiator=system) or permissions
# beyond any user's always lead to agent_identity, whatever else was answered.
RULES: Final = (
    *_rules(
        "initiator",
        "user",
        (US, 2, "a user starts each task, so there is a user token to work with"),
        (OBO, 2, "a user starts each task, so the agent can act on that user's behalf"),
    ),
    *_rules(
        "initiator",
        "mixed",
        (OBO, 2, "some tasks start with a user: there the agent can act on the user's behalf"),
        (AGENT, 2, "some tasks start without a user: those need the agent's own identity"),
        (US, -1, "tasks the system starts have no user token to exchange"),
    ),
    *_rules(
        "initiator",
        "system",
        (AGENT, 5, "no user starts the task, so the agent has to authenticate as itself"),
        (US, -4, "no user starts the task: there is no user token to exchange"),
        (OBO, -4, "no user starts the task: there is nobody to act on behalf of"),
    ),
    *_rules(
        "user_present",
        "no",
        (AGENT, 3, "nobody is there to sign in when it runs: the agent authenticates as itself"),
        (US, -2, "with the user away, a user-scoped token means keeping the user's refresh token"),
        (OBO, -2, "acting for an absent user means keeping their refresh token for long"),
    ),
    *_rules(
        "user_present",
        "sometimes",
        (AGENT, 1, "some runs find nobody to sign in: those need the agent's own identity"),
    ),
    *_rules(
        "user_could_do_it",
        "yes",
        (US, 2, "the user's own access covers the task"),
        (OBO, 1, "the user's own access covers the task, so the agent needs no roles of its own"),
    ),
    *_rules(
        "user_could_do_it",
        "partly",
        (OBO, 1, "the user's access covers part of the task: the agent acts for the user there"),
        (AGENT, 1, "the user's access covers only part of the task: the rest needs agent roles"),
        (US, -1, "the user's access alone does not cover the whole task"),
    ),
    *_rules(
        "user_could_do_it",
        "no",
        (AGENT, 4, "the user could not do the task with their own access: the agent needs roles"),
        (US, -4, "a user-scoped token carries only the user's access, which falls short"),
        (OBO, -4, "an OBO token carries at most the user's access, which falls short"),
    ),
    *_rules(
        "beyond_user_permissions",
        "yes",
        (AGENT, 5, "the agent needs permissions no single user should hold: only its own roles"),
        (US, -4, "a user-scoped token carries only the user's permissions"),
        (OBO, -4, "an OBO token never carries more than the user's permissions"),
    ),
    *_rules(
        "beyond_user_permissions",
        "no",
        (US, 1, "the user's permissions are enough"),
        (OBO, 1, "the user's permissions are enough"),
    ),
    *_rules(
        "spans_domains",
        "yes",
        (AGENT, 4, "a workflow crosses several users' domains: one user's token cannot cover it"),
        (US, -3, "one user's token covers only that user's domain"),
        (OBO, -3, "a token on behalf of one user covers only that user's domain"),
    ),
    *_rules(
        "attribution",
        "required",
        (OBO, 4, "audit logs must tell agent actions apart: OBO names the agent next to the user"),
        (AGENT, 2, "audit logs must tell agent actions apart: the agent is the token's subject"),
        (US, -5, "a user-scoped token records only the user: agent actions look like theirs"),
    ),
    *_rules(
        "attribution",
        "preferred",
        (OBO, 2, "you want audit logs to tell agent actions apart: OBO names the agent too"),
        (AGENT, 1, "you want audit logs to tell agent actions apart: the agent is the subject"),
        (US, -1, "a user-scoped token hides the agent in the audit trail"),
    ),
    *_rules(
        "attribution",
        "no",
        (US, 2, "audit logs need not tell agent actions apart, so the simplest setup will do"),
    ),
    Rule(
        "multi_agent",
        "yes",
        OBO,
        2,
        "several agents hand work on: nested act claims record which agent did what",
        ACT_CHAIN_IDPS,
    ),
    *_rules(
        "multi_agent",
        "yes",
        (AGENT, 2, "several agents hand work on: each has its own identity in the logs"),
        (US, -3, "with user-scoped tokens every agent in the chain looks like the user"),
    ),
    *_rules(
        "decides",
        "own",
        (AGENT, 5, "the agent makes its own decisions, so it should answer for them itself"),
        (OBO, -1, "OBO says the user authorised the action; an agent deciding alone stretches it"),
        (US, -2, "a user-scoped token makes the user accountable for the agent's decisions"),
    ),
    *_rules(
        "decides",
        "asked",
        (US, 1, "the agent carries out what a user asked"),
        (OBO, 2, "the agent carries out what a user asked: the user authorised, the agent acted"),
    ),
)

# On equal scores: hybrid keeps the user's permissions and still names the agent, so it is the
# safer middle; agent_identity next; user_scoped (agent invisible) last.
TIE_ORDER: Final = (OBO, AGENT, US)


@dataclass(frozen=True)
class Factor:
    key: str
    value: str
    points: int
    reason: str

    def text(self) -> str:
        return f"{self.reason} ({self.key}={self.value})"


@dataclass(frozen=True)
class Ranked:
    mode: str
    score: int
    factors: tuple[Factor, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f.text() for f in self.factors)


@dataclass(frozen=True)
class Recommendation:
    recommended: str
    ranking: tuple[Ranked, ...]
    answers: Mapping[str, Answer]

    def ranked(self, mode: str) -> Ranked:
        return next(r for r in self.ranking if r.mode == mode)


def recommend(answers: Answers) -> Recommendation:
    """Score the three modes from the answers; all three come back ranked, best first."""
    fired: dict[str, list[Factor]] = {m: [] for m in MODES}
    idp = answers.get("idp")
    idp_value = answer_values(idp)[0] if idp is not None else "local"
    for rule in RULES:
        answer = answers.get(rule.key)
        if rule.idps and idp_value not in rule.idps:
            continue
        if answer is not None and rule.value in answer_values(answer):
            fired[rule.mode].append(Factor(rule.key, rule.value, rule.points, rule.reason))
    ranking = sorted(
        (
            Ranked(m, sum(f.points for f in fs), tuple(sorted(fs, key=lambda f: -f.points)))
            for m, fs in fired.items()
        ),
        key=lambda r: (-r.score, TIE_ORDER.index(r.mode)),
    )
    return Recommendation(ranking[0].mode, tuple(ranking), dict(answers))


__all__ = [
    "ACT_CHAIN_IDPS",
    "RULES",
    "TIE_ORDER",
    "Factor",
    "Ranked",
    "Recommendation",
    "Rule",
    "recommend",
]
