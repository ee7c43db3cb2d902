"""The questions `agentctl choose` asks: each with its options, default and why it matters.

Data only, plus lookup by key. The order of `QUESTIONS` is the order they are asked in, and the
order of a question's options is the order multi-valued answers are reported in, so output stays
stable whatever order a person typed them in. Validating answers lives in `core.answers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from agentctl.errors import InputError

AnswerValue = str | tuple[str, ...]


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    why: str  # one line: why this matters
    options: tuple[Option, ...]
    default: AnswerValue
    multi: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


def _opts(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(v, label) for v, label in pairs)


QUESTIONS: Final = (
    Question(
        "initiator",
        "Who starts each task the agent runs?",
        "A task a person starts comes with that person's token; a scheduled one has none.",
        _opts(
            ("user", "a specific person, each time"),
            ("mixed", "sometimes a person, sometimes the system"),
            ("system", "schedules, events, other agents"),
        ),
        "user",
    ),
    Question(
        "user_present",
        "Is that person there while the agent works (to sign in, or to approve a step)?",
        "A delegated token starts from the user's sign-in; with nobody there the agent needs "
        "its own identity, or a stored refresh token of the user.",
        _opts(
            ("yes", "yes, each time"),
            ("sometimes", "sometimes"),
            ("no", "no: it runs while they are away"),
        ),
        "yes",
    ),
    Question(
        "user_could_do_it",
        "Could that person do the task themselves with their own access?",
        "Tokens on behalf of a user never carry more than that user's access.",
        _opts(("yes", "yes"), ("partly", "partly"), ("no", "no")),
        "yes",
    ),
    Question(
        "beyond_user_permissions",
        "Does the agent need permissions no single user should hold?",
        "Such permissions can only live on the agent's own identity.",
        _opts(("yes", "yes"), ("no", "no")),
        "no",
    ),
    Question(
        "spans_domains",
        "Does a workflow cross several users' or teams' domains?",
        "One user's token covers only what that user may reach.",
        _opts(("yes", "yes"), ("no", "no")),
        "no",
    ),
    Question(
        "attribution",
        "Must audit logs tell agent actions apart from human ones?",
        "A user-scoped token records only the user; the agent is invisible in the logs.",
        _opts(
            ("required", "required"),
            ("preferred", "preferred"),
            ("no", "no need"),
        ),
        "preferred",
    ),
    Question(
        "multi_agent",
        "Do several agents hand work to each other, and must you know which did what?",
        "Only delegation chains (nested act claims) or separate identities record each hop.",
        _opts(("yes", "yes"), ("no", "no")),
        "no",
    ),
    Question(
        "decides",
        "Does the agent make its own decisions, or carry out what a user asked?",
        "Whoever decides should be the one accountable in the audit trail.",
        _opts(("own", "makes its own decisions"), ("asked", "carries out what a user asked")),
        "asked",
    ),
    Question(
        "idp",
        "Which identity provider?",
        "IdPs differ: Keycloak cannot delegate, Entra puts the agent in azp, Okta issues ID-JAGs.",
        _opts(
            ("entra", "Microsoft Entra ID"),
            ("okta", "Okta"),
            ("keycloak", "Keycloak"),
            ("auth0", "Auth0"),
            ("oidc", "another OpenID provider"),
            ("local", "agentctl's embedded IdP"),
        ),
        "local",
    ),
    Question(
        "targets",
        "What will it call? (several allowed)",
        "Remote MCP servers use ID-JAG; browser apps get the token injected.",
        _opts(("api", "HTTP APIs"), ("browser", "browser apps"), ("mcp", "remote MCP servers")),
        ("api",),
        multi=True,
    ),
)
QUESTION_KEYS: Final = tuple(q.key for q in QUESTIONS)
_BY_KEY: Final = {q.key: q for q in QUESTIONS}


def question(key: str) -> Question:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise InputError(
            f"unknown question {key!r}; valid keys: {', '.join(QUESTION_KEYS)}"
        ) from None


__all__ = ["QUESTIONS", "QUESTION_KEYS", "AnswerValue", "Option", "Question", "question"]
