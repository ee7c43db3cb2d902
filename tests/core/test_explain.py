from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from agentctl.core.explain import explain
from agentctl.core.tokens import parse
from tests.core.inspect_fixtures import (
    EXPLAIN_FIELDS,
    MINT,
    NOW,
    b64,
    claims,
    make_token,
    parsed_example,
)


@pytest.mark.parametrize(
    ("name", "audit"),
    [
        (
            "user",
            "user Alice Example did this — via client cli-app, issued by "
            "https://idp.example.com, valid until 2026-11-01T10:00:00Z (expires in 59 min)",
        ),
        (
            "obo",
            "agent bot-7 did this as user Alice Example — issued by https://idp.example.com, "
            "valid until 2026-11-01T10:00:00Z (expires in 59 min)",
        ),
        (
            "agent",
            "agent bot-7 did this — issued by https://idp.example.com, valid until "
            "2026-11-01T10:00:00Z (expires in 59 min)",
        ),
        ("entra-obo", "agent 6a3f7c2e-5b1d-4e8a-9c0f-1d2e3f4a5b6c did this as user Alice Example"),
        (
            "entra-agent-user",
            "agent 6a3f7c2e-5b1d-4e8a-9c0f-1d2e3f4a5b6c did this as its agent user Orders Agent",
        ),
        ("okta-chain", "agent 0oa-agent2 did this as user alice@acme.com"),
        ("keycloak-service", "service service-account-agent-456 did this — via client agent-456"),
        ("auth0-m2m", "service Xk2Pq9Rs@clients did this — via client Xk2Pq9Rs"),
        (
            "id-jag",
            "user alice@example.com lets client f53f191f9311af35 get a token from "
            "https://auth.chat.example/",
        ),
        (
            "client-assertion",
            "client bot-7 authenticates itself to https://idp.example.com/oauth2/token",
        ),
    ],
)
def test_audit_line_in_the_words_of_the_trade_off_table(name: str, audit: str) -> None:
    assert explain(parsed_example(name), now=NOW).audit.startswith(audit)


def test_to_dict_has_the_contract_fields_and_is_json() -> None:
    data = explain(parsed_example("obo"), now=NOW).to_dict()
    assert set(data) >= EXPLAIN_FIELDS
    assert data["subject"] == {
        "id": "alice",
        "kind": "user",
        "display": "Alice Example",
        "issuer": None,
        "source": "sub",
    }
    assert data["actor"]["id"] == "bot-7"
    assert data["actor"]["kind"] == "agent"
    assert [p["id"] for p in data["prior_actors"]] == ["planner-2"]
    assert data["audience"] == ["https://api.example.com"]
    assert data["scopes"] == ["orders:read"]
    assert data["times"] == {
        "issued_at": "2026-11-01T09:00:00Z",
        "not_before": "2026-11-01T09:00:00Z",
        "expires_at": "2026-11-01T10:00:00Z",
        "status": "valid",
        "summary": "expires in 59 min",
    }
    assert {c["name"] for c in data["claims"]} >= {"iss", "act", "may_act"}
    json.dumps(data)


def test_chain_tree_labels_only_the_outermost_actor_for_authz() -> None:
    chain = explain(parsed_example("okta-chain"), now=NOW).chain
    assert [(n.role, n.id, n.depth) for n in chain] == [
        ("subject", "00u1alice", 0),
        ("current_actor", "0oa-agent2", 1),
        ("prior_actor", "0oa-agent1", 2),
        ("prior_actor", "0oa-initiator", 3),
    ]
    assert "only actor authorization may use" in chain[1].note
    assert all("not for authz" in n.note for n in chain[2:])


def test_entra_actor_comes_from_azp_with_facets() -> None:
    exp = explain(parsed_example("entra-obo"), now=NOW)
    assert exp.actor is not None
    assert exp.actor.source == "azp"
    assert exp.tenant == "aaaabbbb-0000-cccc-1111-dddd2222eeee"
    assert exp.blueprint == "e4d3c2b1-aaaa-bbbb-cccc-ddddeeeeffff"


@pytest.mark.parametrize(
    ("offset", "status", "summary"),
    [
        (0, "valid", "expires in 60 min"),
        (3600 + 3 * 3600, "expired", "expired 3 h ago"),
        (-7200, "not_yet_valid", "not valid for another 2 h"),
    ],
)
def test_times_status(offset: int, status: str, summary: str) -> None:
    token = make_token(claims(nbf=MINT, exp=MINT + 3600))
    times = explain(parse(token), now=datetime.fromtimestamp(MINT + offset, tz=UTC)).times
    assert (times.status, times.summary) == (status, summary)


def test_no_exp_is_no_expiry() -> None:
    assert explain(parse(make_token(claims(exp=None))), now=NOW).times.status == "no_expiry"


def test_encrypted_and_opaque_tokens_explain_what_cannot_be_read() -> None:
    header = b64(b'{"alg":"RSA-OAEP","enc":"A128GCM","jku":"https://x"}')
    jwe = explain(parse(".".join([header, "", "aaaa", "bbbb", "cccc"])), now=NOW)
    assert jwe.kind == "encrypted_jwt"
    assert jwe.header["enc"] == "A128GCM"
    assert "protected header" in jwe.notes[0]
    assert [f.code for f in jwe.findings] == ["header_jku"]
    opaque = explain(parse("2YotnFZFEjr1zCsicMWpAA"), now=NOW)
    assert opaque.kind == "opaque"
    assert "introspection (RFC 7662)" in opaque.notes[0]
    assert opaque.to_dict()["subject"] is None
