from __future__ import annotations

from typing import Any

import pytest

from agentctl.core.explain import explain
from agentctl.core.tokens import parse
from tests.core.inspect_fixtures import MINT, NOW, claims, make_token, parsed_example

RS = {"alg": "RS256", "typ": "at+jwt", "kid": "k1"}


def _codes(payload: dict[str, Any], header: dict[str, Any] | None = None) -> dict[str, Any]:
    found = explain(parse(make_token(payload, header or RS)), now=NOW).findings
    return {f.code: f for f in found}


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"sub": f"a{depth}"}
    for level in range(depth - 1, 0, -1):
        node = {"sub": f"a{level}", "act": node}
    return node


@pytest.mark.parametrize(
    ("header", "payload", "code", "severity", "reference"),
    [
        ({"alg": "none"}, claims(), "alg_none", "high", "RFC 8725 §3.2"),
        ({"alg": "HS256"}, claims(), "symmetric_alg_public_issuer", "high", "RFC 8725 §2.1, §3.1"),
        (RS, claims(exp=None), "missing_exp", "medium", "RFC 9068 §2.2"),
        (RS, claims(aud=None), "missing_aud", "medium", "RFC 9068 §2.2"),
        (RS, claims(iss=None), "missing_iss", "medium", "RFC 9068 §2.2"),
        (
            RS,
            claims(exp=MINT + 3 * 86400),
            "long_lifetime",
            "medium",
            "RFC 9700 §2.2.2, RFC 8725 §3",
        ),
        (RS, claims(exp=MINT + 30), "expired", "medium", "RFC 7519 §4.1.4"),
        (RS, claims(nbf=MINT + 3600), "not_yet_valid", "medium", "RFC 7519 §4.1.5"),
        (
            RS,
            claims(iat=MINT + 7200, exp=MINT + 9000),
            "issued_in_future",
            "low",
            "RFC 7519 §4.1.6",
        ),
        (RS, claims(exp="soon"), "bad_exp", "medium", "RFC 7519 §2"),
        (RS, claims(act={"sub": "a", "exp": 1}), "act_time_claim", "low", "RFC 8693 §4.1"),
        (RS, claims(act={"sub": "a", "aud": "x"}), "act_time_claim", "low", "RFC 8693 §4.1"),
        (RS, claims(act=_nested(5)), "chain_too_deep", "medium", "RFC 8693 §4.1"),
        (
            RS,
            claims(act={"sub": "a", "act": {"sub": "b", "act": {"sub": "a"}}}),
            "chain_cycle",
            "high",
            "RFC 8693 §4.1",
        ),
        (
            RS,
            claims(act={"sub": "a", "act": {"sub": "b"}}),
            "nested_act_informational",
            "info",
            "RFC 8693 §4.1",
        ),
        (
            RS,
            claims(act={"sub": "a"}, may_act={"sub": "b"}),
            "may_act_violated",
            "high",
            "RFC 8693 §4.4",
        ),
        (RS, claims(act={"iss": "x"}), "act_malformed", "medium", "RFC 8693 §4.1"),
        (
            {"alg": "RS256", "typ": "oauth-id-jag+jwt"},
            claims(client_id=None),
            "id_jag_missing_claim",
            "high",
            "draft-ietf-oauth-identity-assertion-authz-grant §3",
        ),
        (
            {"alg": "RS256", "typ": "oauth-id-jag+jwt"},
            claims(aud=["a", "b"], jti="j"),
            "id_jag_audience",
            "high",
            "draft-ietf-oauth-identity-assertion-authz-grant §3",
        ),
        (
            {"alg": "RS256", "typ": "at+jwt"},
            claims(nonce="n"),
            "typ_mismatch",
            "high",
            "RFC 8725 §3.11–3.12",
        ),
        (
            {"alg": "RS256", "typ": "oauth-id-jag+jwt"},
            claims(at_hash="h"),
            "typ_mismatch",
            "high",
            "RFC 8725 §3.11–3.12",
        ),
        (
            {"alg": "RS256", "jku": "https://evil.example/jwks"},
            claims(),
            "header_jku",
            "medium",
            "RFC 8725 §3.10",
        ),
        (
            {"alg": "RS256", "x5u": "https://evil.example/c"},
            claims(),
            "header_x5u",
            "medium",
            "RFC 8725 §3.10",
        ),
        (
            {"alg": "RS256", "jwk": {"kty": "RSA"}},
            claims(),
            "header_jwk",
            "medium",
            "RFC 8725 §3.10",
        ),
        (
            {"alg": "RS256", "kid": "../../dev/null"},
            claims(),
            "suspicious_kid",
            "medium",
            "RFC 8725 §3.10",
        ),
        (
            {"alg": "RS256", "kid": "x' OR '1'='1"},
            claims(),
            "suspicious_kid",
            "medium",
            "RFC 8725 §3.10",
        ),
        ({"alg": "RS256", "typ": "JWT"}, claims(), "not_rfc9068", "info", "RFC 9068 §2.1"),
    ],
)
def test_each_finding_fires_with_severity_and_reference(
    header: dict[str, Any], payload: dict[str, Any], code: str, severity: str, reference: str
) -> None:
    found = _codes(payload, header)
    assert code in found, sorted(found)
    assert (found[code].severity, found[code].reference) == (severity, reference)
    assert found[code].message


def test_a_clean_token_has_no_findings() -> None:
    assert _codes(claims(jti="j")) == {}


def test_hs256_on_a_loopback_issuer_is_not_flagged() -> None:
    assert "symmetric_alg_public_issuer" not in _codes(
        claims(iss="http://127.0.0.1:8000"), {"alg": "HS256"}
    )


def test_may_act_that_allows_the_actor_is_quiet() -> None:
    assert "may_act_violated" not in _codes(claims(act={"sub": "a"}, may_act={"sub": "a"}))


def test_chain_of_four_is_allowed() -> None:
    assert "chain_too_deep" not in _codes(claims(act=_nested(4)))


def test_entra_agent_findings() -> None:
    found = {f.code for f in explain(parsed_example("entra-agent"), now=NOW).findings}
    assert {"entra_blueprint_audit_only", "entra_no_act", "entra_graph_audience"} <= found


def test_findings_are_sorted_most_severe_first() -> None:
    found = explain(parse(make_token(claims(exp=None), {"alg": "none"})), now=NOW).findings
    order = {"high": 0, "medium": 1, "low": 2, "info": 3}
    assert [order[f.severity] for f in found] == sorted(order[f.severity] for f in found)
