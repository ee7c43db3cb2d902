"""What a careful reviewer would flag in a token, each with a severity and the rule it cites."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from agentctl.core import timefmt
from agentctl.core.chain import Chain, may_act_allows
from agentctl.core.claims import facet_values, strings_of
from agentctl.core.dialects import DECISIVE_KINDS, TYP_KINDS, DialectInfo, KindInfo
from agentctl.core.modes import Who

Severity = Literal["high", "medium", "low", "info"]
SEVERITY_ORDER: dict[str, int] = {"high": 0, "medium": 1, "low": 2, "info": 3}

MAX_CHAIN_DEPTH = 4  # Auth0's documented limit; deeper chains are a smell anywhere
MAX_ACCESS_LIFETIME = 24 * 3600
ID_JAG_REQUIRED = ("iss", "sub", "aud", "client_id", "jti", "exp", "iat")
_SUSPICIOUS_KID = re.compile(r"\.\.|[/\\'\";|`$<>\x00]|\s")


class Finding:
    __slots__ = ("code", "message", "reference", "severity")

    severity: Severity
    code: str
    message: str
    reference: str

    def __init__(
        self,
        severity: Severity,
        code: str,
        message: str,
        reference: str,
    ) -> None:
        self.severity = severity
        self.code = code
        self.message = message
        self.reference = reference

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "reference": self.reference,
        }


def _public_issuer(iss: Any) -> bool:
    if not isinstance(iss, str):
        return False
    # only HS* tokens get here; ipaddress is not worth loading for every token
    from agentctl.core.transport_rules import is_loopback_host

    try:
        parts = urlsplit(iss)
    except ValueError:
        return False
    return parts.scheme == "https" and not is_loopback_host(parts.hostname or "")


def header_findings(header: dict[str, Any], payload: dict[str, Any] | None) -> list[Finding]:
    out: list[Finding] = []
    alg = header.get("alg")
    if isinstance(alg, str) and alg.lower() == "none":
        out.append(
            Finding(
                "high",
                "alg_none",
                "alg none: the token is unsigned and anyone can forge it",
                "RFC 8725 §3.2",
            )
        )
    if (
        isinstance(alg, str)
        and alg.upper().startswith("HS")
        and _public_issuer((payload or {}).get("iss"))
    ):
        out.append(
            Finding(
                "high",
                "symmetric_alg_public_issuer",
                f"{alg} (a shared secret) on a token from the public issuer "
                f"{(payload or {}).get('iss')}: every holder of the secret can mint "
                "tokens, and a verifier tricked into using the public key as the "
                "secret accepts forgeries",
                "RFC 8725 §2.1, §3.1",
            )
        )
    for param, what in (
        ("jku", "a key-set URL"),
        ("x5u", "a certificate URL"),
        ("jwk", "an embedded key"),
    ):
        if param in header:
            out.append(
                Finding(
                    "medium",
                    f"header_{param}",
                    f"header carries {param} ({what}): agentctl never follows or "
                    "trusts it; keys come only from the issuer's jwks_uri or your "
                    "--jwks/--key",
                    "RFC 8725 §3.10",
                )
            )
    kid = header.get("kid")
    if isinstance(kid, str) and _SUSPICIOUS_KID.search(kid):
        out.append(
            Finding(
                "medium",
                "suspicious_kid",
                "kid contains path, quote or shell characters (kid injection?); it is "
                "only ever used as an exact lookup key",
                "RFC 8725 §3.10",
            )
        )
    elif kid is not None and not isinstance(kid, str):
        out.append(Finding("low", "kid_not_string", "kid is not a string", "RFC 7515 §4.1.4"))
    return out


def claim_findings(
    payload: dict[str, Any],
    header: dict[str, Any],
    kind: KindInfo,
    dialect: DialectInfo,
    chain: Chain,
    who: Who,
    now: datetime,
) -> list[Finding]:
    out: list[Finding] = []
    access = kind.kind == "access_token"
    for claim in ("iss", "exp", "aud"):
        if claim not in payload:
            out.append(
                Finding(
                    "medium",
                    f"missing_{claim}",
                    f"no {claim} claim: "
                    + {
                        "iss": "nobody can check who issued it",
                        "exp": "it never expires",
                        "aud": "any service would accept it",
                    }[claim],
                    "RFC 9068 §2.2" if access else "RFC 8725 §3.8–3.9",
                )
            )
    out.extend(_time_findings(payload, access, now))
    out.extend(_chain_findings(payload, chain, who))
    if kind.kind == "id_jag":
        missing = [c for c in ID_JAG_REQUIRED if c not in payload]
        if missing:
            out.append(
                Finding(
                    "high",
                    "id_jag_missing_claim",
                    f"ID-JAG lacks required claim(s): {', '.join(missing)}",
                    "draft-ietf-oauth-identity-assertion-authz-grant §3",
                )
            )
        aud = payload.get("aud")
        if isinstance(aud, list) and len(aud) != 1:
            out.append(
                Finding(
                    "high",
                    "id_jag_audience",
                    "ID-JAG aud must name exactly one resource authorization server",
                    "draft-ietf-oauth-identity-assertion-authz-grant §3",
                )
            )
    typ = kind.typ
    if typ in TYP_KINDS and kind.by_claims in DECISIVE_KINDS and kind.by_claims != TYP_KINDS[typ]:
        out.append(
            Finding(
                "high",
                "typ_mismatch",
                f"header typ {header.get('typ')} says {TYP_KINDS[typ]} but the claims "
                f"look like {kind.by_claims}; a verifier must not accept it as either",
                "RFC 8725 §3.11–3.12",
            )
        )
    if typ is not None and typ not in TYP_KINDS and typ not in ("jwt", "jose"):
        known = ("dpop+jwt", "secevent+jwt", "jwt-bearer+jwt")
        if typ not in known:
            out.append(
                Finding(
                    "info",
                    "typ_unrecognised",
                    f"header typ {header.get('typ')} is not a type agentctl knows",
                    "RFC 8725 §3.11",
                )
            )
    if access and typ != "at+jwt":
        missing = [
            c for c in ("iss", "exp", "aud", "sub", "client_id", "iat", "jti") if c not in payload
        ]
        note = f"; missing {', '.join(missing)}" if missing else ""
        out.append(
            Finding(
                "info",
                "not_rfc9068",
                f"RFC 9068 conformant: no (typ is not at+jwt{note}); common and not an error",
                "RFC 9068 §2.1",
            )
        )
    if dialect.name == "entra":
        if payload.get("xms_par_app_azp"):
            out.append(
                Finding(
                    "info",
                    "entra_blueprint_audit_only",
                    f"xms_par_app_azp {payload['xms_par_app_azp']} is the agent "
                    "blueprint: log it, never authorize on it (it spans every agent "
                    "of the blueprint)",
                    "Entra Agent ID token claims",
                )
            )
        if 11 in facet_values(payload.get("xms_act_fct")) and "act" not in payload:
            out.append(
                Finding(
                    "info",
                    "entra_no_act",
                    "Entra records the agent in azp/appid plus xms_act_fct, not in an "
                    "RFC 8693 act claim; RFC 8693 consumers will not see the agent",
                    "docs/protocols.md §6.6",
                )
            )
        auds = strings_of(payload.get("aud"))
        if any(
            "graph.microsoft.com" in a or a == "00000003-0000-0000-c000-000000000000" for a in auds
        ):
            out.append(
                Finding(
                    "info",
                    "entra_graph_audience",
                    "a Microsoft Graph token: only Graph can validate it; third "
                    "parties should only decode it",
                    "Entra access-token claims",
                )
            )
    return out


def _time_findings(payload: dict[str, Any], access: bool, now: datetime) -> list[Finding]:
    out: list[Finding] = []
    for claim in ("exp", "nbf", "iat"):
        if claim in payload and timefmt.numeric_date(payload[claim]) is None:
            out.append(
                Finding(
                    "medium",
                    f"bad_{claim}",
                    f"{claim} is not a NumericDate (seconds since 1970)",
                    "RFC 7519 §2",
                )
            )
    exp = timefmt.numeric_date(payload.get("exp"))
    nbf = timefmt.numeric_date(payload.get("nbf"))
    iat = timefmt.numeric_date(payload.get("iat"))
    stamp = now.timestamp()
    if exp is not None and exp <= stamp:
        out.append(
            Finding(
                "medium",
                "expired",
                f"{timefmt.describe_exp(exp, now)} ({timefmt.iso(exp)})",
                "RFC 7519 §4.1.4",
            )
        )
    if nbf is not None and nbf > stamp:
        out.append(
            Finding(
                "medium",
                "not_yet_valid",
                f"{timefmt.describe_nbf(nbf, now)} (nbf {timefmt.iso(nbf)})",
                "RFC 7519 §4.1.5",
            )
        )
    if iat is not None and iat > stamp + 300:
        out.append(
            Finding(
                "low",
                "issued_in_future",
                f"iat is {timefmt.span(iat - stamp)} in the "
                "future: clock skew at the issuer, or a forged token",
                "RFC 7519 §4.1.6",
            )
        )
    start = iat if iat is not None else nbf
    if access and exp is not None and start is not None and exp - start > MAX_ACCESS_LIFETIME:
        out.append(
            Finding(
                "medium",
                "long_lifetime",
                f"access token lives "
                f"{timefmt.span(exp - start)} (over 24 h): a stolen copy stays useful "
                "that long",
                "RFC 9700 §2.2.2, RFC 8725 §3",
            )
        )
    return out


def _chain_findings(payload: dict[str, Any], chain: Chain, who: Who) -> list[Finding]:
    out: list[Finding] = []
    for problem in chain.malformed:
        out.append(Finding("medium", "act_malformed", problem, "RFC 8693 §4.1"))
    for level, claim in chain.meaningless_claims:
        out.append(
            Finding(
                "low",
                "act_time_claim",
                f"{claim} inside act (level {level}) means nothing there and must not be used",
                "RFC 8693 §4.1",
            )
        )
    if chain.depth > MAX_CHAIN_DEPTH:
        out.append(
            Finding(
                "medium",
                "chain_too_deep",
                f"delegation chain is {chain.depth} actors deep (over {MAX_CHAIN_DEPTH})",
                "RFC 8693 §4.1",
            )
        )
    if chain.cycle:
        out.append(
            Finding(
                "high",
                "chain_cycle",
                "the same actor appears twice in the delegation chain",
                "RFC 8693 §4.1",
            )
        )
    if chain.depth >= 2:
        out.append(
            Finding(
                "info",
                "nested_act_informational",
                f"{chain.depth - 1} prior actor(s) are history: informational only, "
                "not signed per hop, and must not drive authorization",
                "RFC 8693 §4.1",
            )
        )
    if "may_act" in payload and chain.current is not None:
        allowed = may_act_allows(payload.get("may_act"), chain.current)
        if allowed is False:
            out.append(
                Finding(
                    "high",
                    "may_act_violated",
                    f"actor {chain.current.id} is not the party may_act allows",
                    "RFC 8693 §4.4",
                )
            )
    if (
        who.subject.id is not None
        and chain.current is not None
        and (chain.current.id == who.subject.id)
    ):
        out.append(
            Finding(
                "low",
                "actor_is_subject",
                "the current actor is the subject itself",
                "RFC 8693 §4.1",
            )
        )
    return out


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])


__all__ = [
    "ID_JAG_REQUIRED",
    "MAX_ACCESS_LIFETIME",
    "MAX_CHAIN_DEPTH",
    "SEVERITY_ORDER",
    "Finding",
    "Severity",
    "claim_findings",
    "header_findings",
    "sort_findings",
]
