from __future__ import annotations

import pytest

from agentctl.core.claims import (
    CLAIMS,
    describe_claims,
    describe_header,
    facet_values,
    roles_of,
    scopes_of,
)
from tests.core.inspect_fixtures import MINT, NOW


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("iss", "RFC 7519 §4.1.1"),
        ("act", "RFC 8693 §4.1"),
        ("may_act", "RFC 8693 §4.4"),
        ("client_id", "RFC 8693 §4.3"),
        ("roles", "RFC 9068 §2.2.3.1"),
        ("resource", "RFC 8707 §2"),
        ("azp", "OIDC Core §2"),
        ("xms_act_fct", "Entra Agent ID token claims"),
        ("cid", "Okta access-token claims"),
        ("gty", "Auth0 access-token claims"),
        ("realm_access", "Keycloak token claims"),
        ("req_wl", "draft txn-tokens §4"),
    ],
)
def test_registry_covers_registered_and_vendor_claims(name: str, reference: str) -> None:
    assert CLAIMS[name].reference == reference


def test_unknown_and_namespaced_claims_say_so() -> None:
    infos = {c.name: c for c in describe_claims({"foo": 1, "https://acme/roles": []}, NOW)}
    assert not infos["foo"].known
    assert "unknown claim" in infos["foo"].meaning
    assert "namespaced custom claim" in infos["https://acme/roles"].meaning


@pytest.mark.parametrize(
    ("claim", "value", "note"),
    [
        ("exp", MINT + 60 + 240, "2026-11-01T09:05:00Z (expires in 4 min)"),
        ("exp", MINT + 60 - 3 * 3600, "2026-11-01T06:01:00Z (expired 3 h ago)"),
        ("nbf", MINT + 60 + 7200, "2026-11-01T11:01:00Z (not valid for another 2 h)"),
        ("iat", MINT, "2026-11-01T09:00:00Z (60 s ago)"),
        ("iat", "yesterday", "not a NumericDate (seconds since 1970)"),
        ("exp", 10**20, "not a NumericDate (seconds since 1970)"),
        ("exp", True, "not a NumericDate (seconds since 1970)"),
        ("xms_act_fct", "3 11", "AgentIdentity"),
        ("azpacr", "2", "certificate"),
    ],
)
def test_notes_show_dates_and_relative_times(claim: str, value: object, note: str) -> None:
    (info,) = describe_claims({claim: value}, NOW)
    assert info.note == note


def test_facets_scopes_and_roles() -> None:
    assert facet_values("11 13 x 9999999") == {11, 13}
    assert facet_values([11, "13"]) == {11, 13}
    assert scopes_of({"scope": "a b", "scp": ["b", "c"]}) == ["a", "b", "c"]
    assert roles_of({"roles": ["r"], "realm_access": {"roles": ["k"]}, "permissions": ["p"]}) == [
        "r",
        "k",
        "p",
    ]


def test_header_parameters_are_explained() -> None:
    infos = {c.name: c for c in describe_header({"alg": "RS256", "jku": "https://x", "zz": 1})}
    assert "never followed" in infos["jku"].meaning
    assert not infos["zz"].known
