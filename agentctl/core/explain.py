"""The normalised explanation of a token (docs/protocols.md §11.1): one model for every dialect.

    explain(parsed, now=...) -> Explanation        # pure: no I/O, no clock, no verification

`inspect` renders it; `exchange` reuses it to show a token and check it has the promised shape
(`subject.kind`, `actor`, `mode`, `audience`, `scopes`). Nothing here is verified: the
signature is checked, if at all, by the caller (`agentctl.oauth.jwks`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agentctl.core import timefmt
from agentctl.core.chain import Chain, parse_chain
from agentctl.core.claims import (
    ClaimInfo,
    describe_claims,
    describe_header,
    roles_of,
    scopes_of,
    strings_of,
)
from agentctl.core.dialects import detect_dialect, detect_kind, entra_exchange_target
from agentctl.core.findings import Finding, claim_findings, header_findings, sort_findings
from agentctl.core.modes import KIND_WORDS, ModeDecision, Party, Who, detect_mode, identify
from agentctl.core.tokens import ParsedToken

# The model classes here and in the other core modules are plain classes with __slots__, not
# dataclasses: creating a dataclass costs up to a millisecond at import, and `inspect` has a
# start-up budget (issue 2). Treat every instance as read-only all the same.


class Times:
    __slots__ = ("expires_at", "issued_at", "not_before", "status", "summary")

    issued_at: str | None
    not_before: str | None
    expires_at: str | None
    status: str  # valid | expired | not_yet_valid | no_expiry | unknown
    summary: str  # "expires in 4 min", "expired 3 h ago", ...

    def __init__(
        self,
        issued_at: str | None,
        not_before: str | None,
        expires_at: str | None,
        status: str,
        summary: str,
    ) -> None:
        self.issued_at = issued_at
        self.not_before = not_before
        self.expires_at = expires_at
        self.status = status
        self.summary = summary

    def to_dict(self) -> dict[str, Any]:
        return {
            "issued_at": self.issued_at,
            "not_before": self.not_before,
            "expires_at": self.expires_at,
            "status": self.status,
            "summary": self.summary,
        }


class ChainNode:
    __slots__ = ("depth", "id", "issuer", "kind", "note", "role")

    role: str  # subject | current_actor | prior_actor
    id: str | None
    kind: str
    issuer: str | None
    depth: int
    note: str

    def __init__(
        self,
        role: str,
        id: str | None,  # noqa: A002 - the JSON field is "id"
        kind: str,
        issuer: str | None,
        depth: int,
        note: str,
    ) -> None:
        self.role = role
        self.id = id
        self.kind = kind
        self.issuer = issuer
        self.depth = depth
        self.note = note

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "id": self.id,
            "kind": self.kind,
            "issuer": self.issuer,
            "depth": self.depth,
            "note": self.note,
        }


class Explanation:
    __slots__ = (
        "actor",
        "agent_id",
        "algorithm",
        "audience",
        "audit",
        "blueprint",
        "chain",
        "claims",
        "client_id",
        "dialect",
        "dialect_evidence",
        "dialect_version",
        "evaluated_at",
        "findings",
        "form",
        "header",
        "header_params",
        "issuer",
        "kind",
        "kind_evidence",
        "mode",
        "mode_evidence",
        "notes",
        "prior_actors",
        "resource",
        "roles",
        "scopes",
        "subject",
        "tenant",
        "times",
    )

    form: str  # jws | jwe | opaque
    kind: str
    kind_evidence: list[str]
    dialect: str
    dialect_version: str | None
    agent_id: bool
    dialect_evidence: list[str]
    issuer: str | None
    subject: Party | None
    actor: Party | None
    prior_actors: list[Party]
    client_id: str | None
    tenant: str | None
    blueprint: str | None
    audience: list[str]
    scopes: list[str]
    roles: list[str]
    resource: list[str]
    mode: str
    mode_evidence: list[str]
    times: Times
    audit: str
    chain: list[ChainNode]
    findings: list[Finding]
    claims: list[ClaimInfo]
    header: dict[str, Any]
    header_params: list[ClaimInfo]
    algorithm: str | None
    evaluated_at: str
    notes: list[str]

    def __init__(
        self,
        form: str,
        kind: str,
        kind_evidence: list[str],
        dialect: str,
        dialect_version: str | None,
        agent_id: bool,
        dialect_evidence: list[str],
        issuer: str | None,
        subject: Party | None,
        actor: Party | None,
        prior_actors: list[Party],
        client_id: str | None,
        tenant: str | None,
        blueprint: str | None,
        audience: list[str],
        scopes: list[str],
        roles: list[str],
        resource: list[str],
        mode: str,
        mode_evidence: list[str],
        times: Times,
        audit: str,
        chain: list[ChainNode],
        findings: list[Finding],
        claims: list[ClaimInfo],
        header: dict[str, Any],
        header_params: list[ClaimInfo],
        algorithm: str | None,
        evaluated_at: str,
        notes: list[str] | None = None,
    ) -> None:
        self.form = form
        self.kind = kind
        self.kind_evidence = kind_evidence
        self.dialect = dialect
        self.dialect_version = dialect_version
        self.agent_id = agent_id
        self.dialect_evidence = dialect_evidence
        self.issuer = issuer
        self.subject = subject
        self.actor = actor
        self.prior_actors = prior_actors
        self.client_id = client_id
        self.tenant = tenant
        self.blueprint = blueprint
        self.audience = audience
        self.scopes = scopes
        self.roles = roles
        self.resource = resource
        self.mode = mode
        self.mode_evidence = mode_evidence
        self.times = times
        self.audit = audit
        self.chain = chain
        self.findings = findings
        self.claims = claims
        self.header = header
        self.header_params = header_params
        self.algorithm = algorithm
        self.evaluated_at = evaluated_at
        self.notes = notes if notes is not None else []

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the field names are the `inspect --json` contract."""
        return {
            "form": self.form,
            "kind": self.kind,
            "kind_evidence": self.kind_evidence,
            "dialect": self.dialect,
            "dialect_version": self.dialect_version,
            "agent_id": self.agent_id,
            "dialect_evidence": self.dialect_evidence,
            "issuer": self.issuer,
            "mode": self.mode,
            "mode_evidence": self.mode_evidence,
            "subject": self.subject.to_dict() if self.subject else None,
            "actor": self.actor.to_dict() if self.actor else None,
            "prior_actors": [p.to_dict() for p in self.prior_actors],
            "client_id": self.client_id,
            "tenant": self.tenant,
            "blueprint": self.blueprint,
            "audience": self.audience,
            "scopes": self.scopes,
            "roles": self.roles,
            "resource": self.resource,
            "times": self.times.to_dict(),
            "audit": self.audit,
            "chain": [n.to_dict() for n in self.chain],
            "findings": [f.to_dict() for f in self.findings],
            "claims": [c.to_dict() for c in self.claims],
            "header": self.header,
            "algorithm": self.algorithm,
            "evaluated_at": self.evaluated_at,
            "notes": self.notes,
        }


def explain(parsed: ParsedToken, *, now: datetime) -> Explanation:
    """Explain `parsed` as of `now` (an aware datetime)."""
    if parsed.form != "jws" or parsed.payload is None:
        return _undecodable(parsed, now)
    payload, header = parsed.payload, parsed.header
    dialect = detect_dialect(payload)
    kind = detect_kind(header, payload)
    chain = parse_chain(payload)
    who = identify(dialect, payload, chain)
    decision = detect_mode(dialect, kind.kind, payload, who)
    times = _times(payload, now)
    findings = header_findings(header, payload) + claim_findings(
        payload, header, kind, dialect, chain, who, now
    )
    issuer = payload.get("iss") if isinstance(payload.get("iss"), str) else None
    exchange_for = entra_exchange_target(payload) if dialect.name == "entra" else None
    notes = []
    if exchange_for is not None:
        notes.append(
            "Entra Agent ID leg 1 (T1): the blueprint's client credentials with fmi_path give a "
            "token for api://AzureADTokenExchange; the agent identity sends it as "
            "client_assertion for its own tokens (autonomous, OBO, agent user). Keep it like a "
            "credential: until it expires it lets its holder get tokens as that agent identity"
        )
    return Explanation(
        form="jws",
        kind=kind.kind,
        kind_evidence=kind.evidence,
        dialect=dialect.name,
        dialect_version=dialect.version,
        agent_id=dialect.agent_id,
        dialect_evidence=dialect.evidence,
        issuer=issuer,
        subject=who.subject,
        actor=who.actor,
        prior_actors=who.prior_actors,
        client_id=who.client_id,
        tenant=who.tenant,
        blueprint=who.blueprint,
        audience=strings_of(payload.get("aud")),
        scopes=scopes_of(payload),
        roles=roles_of(payload),
        resource=strings_of(payload.get("resource")),
        mode=decision.mode,
        mode_evidence=decision.evidence,
        times=times,
        audit=audit_line(
            who,
            decision,
            issuer,
            times,
            kind=kind.kind,
            audience=strings_of(payload.get("aud")),
            exchange_for=exchange_for,
        ),
        chain=chain_tree(who, chain),
        findings=sort_findings(findings),
        claims=describe_claims(payload, now),
        header=header,
        header_params=describe_header(header),
        algorithm=parsed.alg,
        evaluated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        notes=notes,
    )


def _undecodable(parsed: ParsedToken, now: datetime) -> Explanation:
    if parsed.form == "jwe":
        notes = [
            "an encrypted JWT (JWE, five parts): only the protected header is readable; the "
            "claims need the recipient's private key, which agentctl does not ask for",
        ]
        findings = header_findings(parsed.header, None)
    else:
        notes = [
            "an opaque token: it carries no readable claims; only its issuer can say what it "
            "means, through introspection (RFC 7662)",
        ]
        findings = []
    return Explanation(
        form=parsed.form,
        kind="encrypted_jwt" if parsed.form == "jwe" else "opaque",
        kind_evidence=["five dot-separated parts" if parsed.form == "jwe" else "not a JWT"],
        dialect="unknown",
        dialect_version=None,
        agent_id=False,
        dialect_evidence=[],
        issuer=None,
        subject=None,
        actor=None,
        prior_actors=[],
        client_id=None,
        tenant=None,
        blueprint=None,
        audience=[],
        scopes=[],
        roles=[],
        resource=[],
        mode="unknown",
        mode_evidence=["the claims cannot be read"],
        times=Times(None, None, None, "unknown", "unknown (claims not readable)"),
        audit="unknown: the token's claims cannot be read",
        chain=[],
        findings=findings,
        claims=[],
        header=parsed.header,
        header_params=describe_header(parsed.header),
        algorithm=parsed.alg,
        evaluated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        notes=notes,
    )


def _times(payload: dict[str, Any], now: datetime) -> Times:
    iat = timefmt.numeric_date(payload.get("iat"))
    nbf = timefmt.numeric_date(payload.get("nbf"))
    exp = timefmt.numeric_date(payload.get("exp"))
    stamp = now.timestamp()
    if nbf is not None and nbf > stamp:
        status, summary = "not_yet_valid", timefmt.describe_nbf(nbf, now)
    elif exp is None:
        status = "no_expiry" if "exp" not in payload else "unknown"
        summary = "never expires (no exp)" if status == "no_expiry" else "exp is not a date"
    elif exp <= stamp:
        status, summary = "expired", timefmt.describe_exp(exp, now)
    else:
        status, summary = "valid", timefmt.describe_exp(exp, now)
    return Times(
        issued_at=timefmt.iso(iat) if iat is not None else None,
        not_before=timefmt.iso(nbf) if nbf is not None else None,
        expires_at=timefmt.iso(exp) if exp is not None else None,
        status=status,
        summary=summary,
    )


def _name(party: Party) -> str:
    return f"{KIND_WORDS[party.kind]} {party.label}"


def audit_line(
    who: Who,
    decision: ModeDecision,
    issuer: str | None,
    times: Times,
    *,
    kind: str = "access_token",
    audience: list[str] | None = None,
    exchange_for: str | None = None,
) -> str:
    """The sentence an auditor writes down, in the words of the trade-off table.
    `exchange_for`: the agent identity an Entra Agent ID exchange token (T1) vouches for."""
    subject, actor = who.subject, who.actor
    target = ", ".join(audience or []) or "(no audience)"
    if kind == "client_assertion" and exchange_for is not None:
        line = (
            f"blueprint {subject.label} vouches for agent identity {exchange_for or '(fmi_path)'}"
            " in its token exchange (Agent ID T1, a federated credential assertion; no access "
            "by itself)"
        )
    elif kind == "client_assertion":
        line = f"client {subject.label} authenticates itself to {target}"
    elif kind == "logout_token":
        line = f"the issuer ends the session of {_name(subject)} at {target}"
    elif kind == "id_token":
        line = f"{_name(subject)} signed in to client {target}"
    elif kind == "id_jag" and actor is None:
        line = f"{_name(subject)} lets client {who.client_id or '?'} get a token from {target}"
    elif subject.kind == "agent_user" and actor is not None:
        line = f"agent {actor.label} did this as its agent user {subject.label}"
    elif decision.mode == "hybrid_obo" and actor is not None:
        actor_word = "agent" if actor.kind in ("agent", "unknown") else KIND_WORDS[actor.kind]
        line = f"{actor_word} {actor.label} did this as {_name(subject)}"
    elif decision.mode in ("user_scoped", "agent_identity"):
        line = f"{_name(subject)} did this"
    else:
        line = f"{_name(subject)} did this (mode unknown)"
    details = []
    if (
        kind not in ("id_jag", "client_assertion")
        and who.client_id
        and who.client_id
        not in (
            subject.id,
            actor.id if actor else None,
        )
    ):
        details.append(f"via client {who.client_id}")
    if issuer:
        details.append(f"issued by {issuer}")
    if times.expires_at:
        details.append(f"valid until {times.expires_at} ({times.summary})")
    else:
        details.append(times.summary)
    return line + " — " + ", ".join(details)


def chain_tree(who: Who, chain: Chain) -> list[ChainNode]:
    """Subject first, then the current actor, then history, oldest last."""
    nodes = [
        ChainNode(
            "subject",
            who.subject.id,
            who.subject.kind,
            who.subject.issuer,
            0,
            f"subject ({who.subject.source or 'sub'})",
        )
    ]
    if who.actor is not None:
        source = who.actor.source or "act"
        nodes.append(
            ChainNode(
                "current_actor",
                who.actor.id,
                who.actor.kind,
                who.actor.issuer,
                1,
                f"current actor ({source}): the only actor authorization may use",
            )
        )
    for depth, prior in enumerate(who.prior_actors, start=2):
        nodes.append(
            ChainNode(
                "prior_actor",
                prior.id,
                prior.kind,
                prior.issuer,
                depth,
                "prior actor: history, not for authz (RFC 8693 §4.1)",
            )
        )
    return nodes


__all__ = [
    "ChainNode",
    "Explanation",
    "Times",
    "audit_line",
    "chain_tree",
    "explain",
]
