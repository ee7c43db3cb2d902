"""`agentctl choose`: the questions, answer validation and a table-driven recommendation.

Pure and deterministic: answers in, recommendation out. Each rule in `RULES` ties one answer to
points for one mode and a reason a person can read; a mode's score is the sum of the rules that
fire. `plan()` adds what the chosen IdP can do for the mode (`core.capabilities`), the MCP and
browser paths, and the next commands. Background: design.md §1, protocols.md §0 and §11.2.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from agentctl.core.capabilities import (
    EXCHANGE_MODE,
    MODES,
    Support,
    capabilities_for,
    id_jag_issuers,
)
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


# ---------------------------------------------------------------------------------------------
# Answers: validation and parsing (flags, JSON/TOML documents)


@dataclass(frozen=True)
class Answer:
    value: AnswerValue
    assumed: bool  # True when the default was taken because nobody answered

    def text(self) -> str:
        return ",".join(self.value) if isinstance(self.value, tuple) else self.value


Answers = Mapping[str, Answer]


def _bad_value(q: Question, raw: object) -> InputError:
    shown = raw if isinstance(raw, str) else json.dumps(raw, default=str)[:60]
    return InputError(
        f"invalid value {shown!r} for {q.key}; valid values: {', '.join(q.values)}"
        + (" (several allowed, comma-separated)" if q.multi else "")
    )


def _one(q: Question, raw: object) -> str:
    if isinstance(raw, bool) and q.values == ("yes", "no"):
        return "yes" if raw else "no"
    if not isinstance(raw, str):
        raise _bad_value(q, raw)
    value = raw.strip().lower()
    if value not in q.values:
        raise _bad_value(q, raw)
    return value


def normalize(key: str, raw: object) -> AnswerValue:
    """Validate one answer. Multi-valued answers accept a list or a comma-separated string."""
    q = question(key)
    if not q.multi:
        return _one(q, raw)
    items: list[object]
    if isinstance(raw, str):
        items = [part for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise _bad_value(q, raw)
    if not items:
        raise _bad_value(q, raw)
    chosen = {_one(q, item) for item in items}
    return tuple(v for v in q.values if v in chosen)  # option order: stable output


def merge(*layers: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """Later layers win (flags over a file)."""
    merged: dict[str, AnswerValue] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def parse_flags(flags: Sequence[str]) -> dict[str, AnswerValue]:
    """`--answer KEY=VALUE` items; a multi-valued key given several times accumulates."""
    out: dict[str, AnswerValue] = {}
    for flag in flags:
        key, sep, raw = flag.partition("=")
        key = key.strip().lower()
        if not sep:
            raise InputError(
                f"--answer {flag!r} is not KEY=VALUE; valid keys: {', '.join(QUESTION_KEYS)}"
            )
        value = normalize(key, raw)
        previous = out.get(key)
        if isinstance(value, tuple) and isinstance(previous, tuple):
            values = set(previous) | set(value)
            value = tuple(v for v in question(key).values if v in values)
        out[key] = value
    return out


def parse_document(data: bytes | str) -> dict[str, AnswerValue]:
    """An answers file: a JSON object or a TOML table of `key = value` (detected by content)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("answers file is not UTF-8 text (expected JSON or TOML)") from None
    else:
        text = data.removeprefix("\ufeff")
    stripped = text.strip()
    doc: object
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"answers file is not valid JSON: {_first_line(exc)}") from None
    else:
        try:
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
            # "[" opens a TOML table and a JSON array alike; say what is wrong with the array
            doc = _json_or_none(stripped) if stripped.startswith("[") else None
            if doc is None:
                raise InputError(
                    f"answers file is neither a JSON object nor TOML: {_first_line(exc)}"
                ) from None
    if not isinstance(doc, dict):
        raise InputError(
            'answers file must hold one object of answers, e.g. {"idp": "okta"}; '
            f"valid keys: {', '.join(QUESTION_KEYS)}"
        )
    unknown = [str(k) for k in doc if k not in _BY_KEY]
    if unknown:
        raise InputError(
            f"unknown question {unknown[0]!r} in answers file; "
            f"valid keys: {', '.join(QUESTION_KEYS)}"
        )
    return {key: normalize(key, raw) for key, raw in doc.items()}


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:160]


def resolve(given: Mapping[str, AnswerValue]) -> dict[str, Answer]:
    """Every question answered: given answers as they are, the rest defaulted and assumed."""
    for key in given:
        question(key)
    return {
        q.key: Answer(normalize(q.key, _raw(given[q.key])), False)
        if q.key in given
        else Answer(q.default, True)
        for q in QUESTIONS
    }


def _raw(value: AnswerValue) -> object:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Reply:
    """How one typed line answers a prompt: a value, a request for "why", or a complaint."""

    value: AnswerValue | None = None
    why: bool = False
    problem: str | None = None


def interpret_reply(q: Question, line: str) -> Reply:
    """Numbers or values pick options (several, comma- or space-separated, for multi);
    `?` asks why the question matters; an empty line takes the default."""
    text = line.strip().lower()
    if not text:
        return Reply(value=q.default)
    if text in {"?", "help", "why"}:
        return Reply(why=True)
    parts = [p for p in text.replace(",", " ").split() if p]
    if len(parts) > 1 and not q.multi:
        return Reply(problem=f"pick one option: 1-{len(q.options)} or a value")
    chosen: set[str] = set()
    for part in parts:
        if part.isdigit() and 1 <= int(part) <= len(q.options):
            chosen.add(q.options[int(part) - 1].value)
        elif part in q.values:
            chosen.add(part)
        else:
            return Reply(
                problem=f"{part[:40]!r} is not an option; type 1-{len(q.options)}, "
                f"one of {', '.join(q.values)}, ? for why, or Enter for the default"
            )
    if q.multi:
        return Reply(value=tuple(v for v in q.values if v in chosen))
    return Reply(value=chosen.pop())


# ---------------------------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True)
class Rule:
    key: str
    value: str
    mode: str
    points: int
    reason: str


def _rules(key: str, value: str, *entries: tuple[str, int, str]) -> tuple[Rule, ...]:
    return tuple(Rule(key, value, mode, pts, reason) for mode, pts, reason in entries)


US, OBO, AGENT = MODES

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
    *_rules(
        "multi_agent",
        "yes",
        (OBO, 2, "several agents hand work on: nested act claims record which agent did what"),
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


def _values(answer: Answer) -> tuple[str, ...]:
    return answer.value if isinstance(answer.value, tuple) else (answer.value,)


def recommend(answers: Answers) -> Recommendation:
    """Score the three modes from the answers; all three come back ranked, best first."""
    fired: dict[str, list[Factor]] = {m: [] for m in MODES}
    for rule in RULES:
        answer = answers.get(rule.key)
        if answer is not None and rule.value in _values(answer):
            fired[rule.mode].append(Factor(rule.key, rule.value, rule.points, rule.reason))
    ranking = sorted(
        (
            Ranked(m, sum(f.points for f in fs), tuple(sorted(fs, key=lambda f: -f.points)))
            for m, fs in fired.items()
        ),
        key=lambda r: (-r.score, TIE_ORDER.index(r.mode)),
    )
    return Recommendation(ranking[0].mode, tuple(ranking), dict(answers))


# ---------------------------------------------------------------------------------------------
# The trade-off (design.md §1) and what to do next

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

MCP_EXAMPLE: Final = "https://mcp.example.com/mcp"
AGENT_NAME: Final = "my-agent"


@dataclass(frozen=True)
class NextCommand:
    command: str
    purpose: str


@dataclass(frozen=True)
class TargetPath:
    target: str
    summary: str
    steps: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Everything `choose` says beyond the ranking, derived from answers + capabilities."""

    idp: str
    idp_name: str
    mode: str  # the recommended mode
    support: Support
    flow: str
    claims: tuple[str, ...]
    alternative: str | None
    run_mode: str  # what to run on this IdP: the mode, or the alternative when it cannot
    maturity: str
    idp_notes: tuple[str, ...]
    paths: tuple[TargetPath, ...]
    next_commands: tuple[NextCommand, ...] = field(default=())


def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


def plan(rec: Recommendation) -> Plan:
    """What the chosen IdP can do for the recommended mode, target paths and next commands."""
    idp = str(rec.answers["idp"].value) if "idp" in rec.answers else "local"
    caps = capabilities_for(idp)
    entry = caps.mode(rec.recommended)
    title = MODE_TITLES[rec.recommended]
    run_mode = rec.recommended
    if entry.support is Support.NO and entry.alternative_mode:
        run_mode = entry.alternative_mode

    notes: list[str] = []
    if entry.support is Support.YES:
        notes.append(f"{caps.name} can do {title}: {entry.flow}")
    elif entry.support is Support.NO:
        notes.append(f"{caps.name} cannot do {title} — {entry.flow}")
    else:
        notes.append(f"{caps.name}: {title} depends on the provider: {entry.flow}")
    if entry.claims:
        notes.append("expect in the token: " + "; ".join(str(c) for c in entry.claims))
    notes.extend(entry.notes)
    if entry.maturity != "ga":
        notes.append(f"on {caps.name} this is {entry.maturity}: check it is enabled")
    if entry.alternative:
        notes.append(f"alternative: {entry.alternative}")
    if idp == "oidc":
        notes.append("run `agentctl doctor --profile oidc` to read what your provider advertises")

    targets = _values(rec.answers["targets"]) if "targets" in rec.answers else ("api",)
    paths: list[TargetPath] = []
    if "mcp" in targets:
        paths.append(_mcp_path(idp, run_mode))
        notes.append(
            f"ID-JAG on {caps.name}: issuer {caps.id_jag.issuer}, receiver {caps.id_jag.receiver}"
        )
    if "browser" in targets:
        paths.append(_browser_path(caps.browser, run_mode))

    return Plan(
        idp=idp,
        idp_name=caps.name,
        mode=rec.recommended,
        support=entry.support,
        flow=entry.flow,
        claims=tuple(str(c) for c in entry.claims),
        alternative=entry.alternative,
        run_mode=run_mode,
        maturity=entry.maturity,
        idp_notes=tuple(notes),
        paths=tuple(paths),
        next_commands=_next_commands(idp, rec.recommended, run_mode, targets),
    )


def _mcp_path(idp: str, run_mode: str) -> TargetPath:
    caps = capabilities_for(idp)
    issuers = _join(k for k in id_jag_issuers() if k != "oidc")
    steps = (
        "1. token exchange (RFC 8693) at the IdP: subject_token = the user's ID token, "
        "requested_token_type = urn:ietf:params:oauth:token-type:id-jag, audience = the MCP "
        "server's authorization server (issuer), resource = the MCP server URL",
        "2. jwt-bearer grant (RFC 7523) at the MCP server's authorization server: "
        "assertion = the ID-JAG, with the client's credentials registered there",
        "3. call the MCP server with the access token (audience = that server only)",
    )
    notes = [
        f"IdPs that issue ID-JAGs: {issuers}; a generic OpenID provider when its metadata "
        "lists the id-jag token type",
        "use it when the MCP server's authorization server advertises "
        "authorization_grant_profiles_supported with urn:ietf:params:oauth:grant-profile:id-jag; "
        "otherwise use its authorization-code flow with resource = the MCP server URL",
    ]
    notes.insert(0, caps.id_jag.note)
    if run_mode == AGENT:
        notes.insert(
            0,
            "ID-JAG starts from a user's sign-in; an autonomous agent instead uses "
            "client_credentials with resource = the MCP server URL where the server supports "
            "the MCP OAuth Client Credentials extension",
        )
    return TargetPath(
        "mcp",
        "ID-JAG: token exchange at the IdP for an ID-JAG, then jwt-bearer at the MCP server's "
        "authorization server",
        steps,
        tuple(notes),
    )


def _browser_path(browser_note: str, run_mode: str) -> TargetPath:
    mode = EXCHANGE_MODE[run_mode]
    return TargetPath(
        "browser",
        "token injection: the browser automation sends the token the IdP issued",
        (
            f"1. agentctl exchange --mode {mode} gets the token",
            "2. --emit header|env|curl|playwright writes it as an Authorization header line, "
            "a shell export, a curl command or a Playwright context file (extra HTTP headers)",
        ),
        (browser_note,),
    )


def _next_commands(
    idp: str, mode: str, run_mode: str, targets: tuple[str, ...]
) -> tuple[NextCommand, ...]:
    caps = capabilities_for(idp)
    profile = "" if idp == "local" else f" --profile {idp}"
    exchange = f"agentctl exchange --mode {EXCHANGE_MODE[run_mode]}{profile}"
    out: list[NextCommand] = []
    if idp != "local":
        out.append(
            NextCommand(
                f"agentctl doctor{profile}",
                f"check what your {caps.name} really advertises (use your profile's name)",
            )
        )
    needs_agent = run_mode != US or mode != run_mode
    if needs_agent:
        what = "an Entra agent identity" if idp == "entra" else "the agent's own identity"
        out.append(NextCommand(f"agentctl register {AGENT_NAME}{profile}", f"create {what}"))
    out.append(NextCommand(exchange, f"run the {MODE_TITLES[run_mode]} exchange, check the token"))
    if mode != run_mode:
        out.append(
            NextCommand(
                f"agentctl exchange --mode {EXCHANGE_MODE[mode]}",
                f"see the {MODE_TITLES[mode]} token {caps.name} cannot issue, on the embedded IdP",
            )
        )
    if "mcp" in targets and run_mode != AGENT and caps.id_jag.issuer is not Support.NO:
        out.append(
            NextCommand(
                f"{exchange} --via id-jag --resource {MCP_EXAMPLE}",
                "reach the MCP server through ID-JAG (use your server's URL)",
            )
        )
    if "browser" in targets:
        out.append(
            NextCommand(
                f"{exchange} --emit playwright",
                "write a Playwright context file that injects the token",
            )
        )
    return tuple(out)


__all__ = [
    "COMMON_PATH",
    "MODE_TITLES",
    "QUESTIONS",
    "QUESTION_KEYS",
    "RULES",
    "TRADEOFFS",
    "Answer",
    "AnswerValue",
    "Answers",
    "NextCommand",
    "Option",
    "Plan",
    "Question",
    "Ranked",
    "Recommendation",
    "Reply",
    "TargetPath",
    "Tradeoff",
    "interpret_reply",
    "merge",
    "normalize",
    "parse_document",
    "parse_flags",
    "plan",
    "question",
    "recommend",
    "resolve",
]
