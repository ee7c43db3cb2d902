from __future__ import annotations

import pytest

from agentctl.core.chain import parse_chain
from agentctl.core.dialects import detect_dialect, detect_kind
from agentctl.core.modes import detect_mode, identify
from tests.core.inspect_fixtures import claims, parsed_example


def _decide(payload: dict[str, object]) -> tuple[str, str, str | None, str | None, list[str]]:
    dialect = detect_dialect(payload)
    who = identify(dialect, payload, parse_chain(payload))
    decision = detect_mode(dialect, detect_kind({}, payload).kind, payload, who)
    actor = who.actor.id if who.actor else None
    actor_kind = who.actor.kind if who.actor else None
    return decision.mode, who.subject.kind, actor, actor_kind, decision.evidence


@pytest.mark.parametrize(
    ("name", "mode", "subject_kind", "actor", "actor_kind"),
    [
        ("user", "user_scoped", "user", None, None),
        ("obo", "hybrid_obo", "user", "bot-7", "agent"),
        ("agent", "agent_identity", "agent", None, None),
        ("entra-obo", "hybrid_obo", "user", "6a3f7c2e-5b1d-4e8a-9c0f-1d2e3f4a5b6c", "agent"),
        ("entra-agent", "agent_identity", "agent", None, None),
        (
            "entra-agent-user",
            "agent_identity",
            "agent_user",
            "6a3f7c2e-5b1d-4e8a-9c0f-1d2e3f4a5b6c",
            "agent",
        ),
        ("entra-app-v1", "agent_identity", "service", None, None),
        ("entra-classic-obo", "user_scoped", "user", None, None),
        ("okta-obo", "user_scoped", "user", None, None),
        ("okta-chain", "hybrid_obo", "user", "0oa-agent2", "agent"),
        ("keycloak-service", "agent_identity", "service", None, None),
        ("keycloak-exchanged", "user_scoped", "user", None, None),
        ("auth0-m2m", "agent_identity", "service", None, None),
        ("auth0-agent", "agent_identity", "agent", None, None),
        ("auth0-obo", "hybrid_obo", "user", "agt_4Wq8YbJ2kN7mX3cR9tP5vL", "agent"),
        ("id-jag", "user_scoped", "user", None, None),
    ],
)
def test_mode_subject_and_actor_per_example(
    name: str, mode: str, subject_kind: str, actor: str | None, actor_kind: str | None
) -> None:
    payload = parsed_example(name).payload
    assert payload is not None
    got = _decide(payload)
    assert got[:4] == (mode, subject_kind, actor, actor_kind)
    assert got[4], "a mode always comes with evidence"


def test_entra_subject_is_oid_with_tenant_and_blueprint_kept_for_audit() -> None:
    payload = parsed_example("entra-obo").payload
    assert payload is not None
    who = identify(detect_dialect(payload), payload, parse_chain(payload))
    assert who.subject.id == payload["oid"]
    assert who.tenant == payload["tid"]
    assert who.blueprint == payload["xms_par_app_azp"]
    assert who.actor is not None
    assert who.actor.id != who.blueprint


@pytest.mark.parametrize(
    ("payload", "mode", "subject_kind"),
    [
        # Entra facets are space-separated odd integers in any order; unknown ones ignored.
        (
            claims(
                iss="https://sts.windows.net/t/",
                tid="t",
                oid="u",
                azp="a",
                idtyp="user",
                scp="x",
                xms_act_fct="9 11 3",
            ),
            "hybrid_obo",
            "user",
        ),
        (
            claims(
                iss="https://sts.windows.net/t/",
                tid="t",
                oid="u",
                azp="a",
                idtyp="user",
                scp="x",
                xms_act_fct="111",
            ),
            "user_scoped",
            "user",
        ),
        (
            claims(
                iss="https://sts.windows.net/t/",
                tid="t",
                oid="u",
                azp="a",
                idtyp="user",
                scp="x",
                xms_sub_fct="13",
            ),
            "agent_identity",
            "agent_user",
        ),
        (claims(sub_profile="ai_agent", act=None), "agent_identity", "agent"),
        (claims(sub="cli", client_id="cli"), "agent_identity", "service"),
        (claims(sub=None), "unknown", "unknown"),
        (claims(sub="svc", sub_profile="service", act={"sub": "agent"}), "hybrid_obo", "service"),
        (
            claims(iss="https://acme.okta.com/oauth2/default", cid="0oa1", sub="0oa1"),
            "agent_identity",
            "service",
        ),
    ],
)
def test_mode_rules(payload: dict[str, object], mode: str, subject_kind: str) -> None:
    got = _decide(payload)
    assert (got[0], got[1]) == (mode, subject_kind)


def test_client_is_not_the_actor_without_act() -> None:
    payload = claims(client_id="middle-tier")
    mode, _, actor, _, evidence = _decide(payload)
    assert mode == "user_scoped"
    assert actor is None
    assert any("middle-tier" in e and "not recorded as actor" in e for e in evidence)
