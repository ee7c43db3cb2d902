"""Entra's checks and AADSTS advice, as pure functions (no emulator)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.core import aadsts, entra_checks
from agentctl.core.checks import Check

AGENT = "11111111-1111-1111-1111-111111111111"
USER = "22222222-2222-2222-2222-222222222222"
SP = "33333333-3333-3333-3333-333333333333"

AUTONOMOUS: dict[str, Any] = {
    "idtyp": "app",
    "oid": SP,
    "sub": SP,
    "appid": AGENT,
    "roles": ["User.Read.All"],
    "xms_act_fct": "3 11",
    "xms_sub_fct": "11 3",
    "aud": "https://graph.microsoft.com",
}
AGENT_OBO: dict[str, Any] = {
    "idtyp": "user",
    "oid": USER,
    "azp": AGENT,
    "scp": "User.Read",
    "xms_act_fct": "11",
    "tid": "t",
}


def failed(checks: list[Check]) -> list[str]:
    return [c.name for c in checks if not c.ok]


def test_autonomous_agent_token_passes() -> None:
    assert (
        failed(entra_checks.check_agent(AUTONOMOUS, agent_app_id=AGENT, agent_object_id=SP)) == []
    )


def test_agent_mode_catches_a_user_token_and_an_act_claim() -> None:
    bad = {**AGENT_OBO, "act": {"sub": AGENT}}
    names = failed(entra_checks.check_agent(bad, agent_app_id=AGENT))
    assert "idtyp is app" in names
    assert "no act claim (Entra)" in names
    assert "xms_sub_fct ∋ 11" in names


def test_agent_obo_token_passes_and_classic_needs_no_facets() -> None:
    assert failed(entra_checks.check_obo(AGENT_OBO, user_oid=USER, agent_app_id=AGENT)) == []
    classic = {k: v for k, v in AGENT_OBO.items() if k != "xms_act_fct"}
    assert (
        failed(entra_checks.check_obo(classic, user_oid=USER, agent_app_id=AGENT, agent_id=False))
        == []
    )
    assert failed(entra_checks.check_obo(classic, user_oid=USER, agent_app_id=AGENT)) == [
        "xms_act_fct ∋ 11"
    ]


def test_obo_names_the_wrong_actor_and_subject() -> None:
    checks = entra_checks.check_obo(AGENT_OBO, user_oid=SP, agent_app_id=USER)
    assert set(failed(checks)) == {"oid is the user", "azp/appid is the agent"}
    actual = {c.name: c.actual for c in checks}
    assert actual["azp/appid is the agent"] == AGENT


def test_agent_user_is_not_an_obo_token() -> None:
    agent_user = {**AGENT_OBO, "xms_sub_fct": "13"}
    assert "xms_sub_fct ∌ 13" in failed(
        entra_checks.check_obo(agent_user, user_oid=USER, agent_app_id=AGENT)
    )
    assert (
        failed(entra_checks.check_agent_user(agent_user, agent_user_oid=USER, agent_app_id=AGENT))
        == []
    )


def test_user_token_must_not_carry_agent_facets() -> None:
    plain = {"idtyp": "user", "oid": USER, "azp": "cli", "scp": "User.Read"}
    assert failed(entra_checks.check_user(plain, user_oid=USER, client_app_id="cli")) == []
    assert failed(entra_checks.check_user(AGENT_OBO)) == ["xms_act_fct ∌ 11"]


def test_facets_ignore_unknown_and_junk() -> None:
    assert entra_checks.facets({"xms_act_fct": "9 11 x 3"}, "xms_act_fct") == {3, 9, 11}
    assert entra_checks.facets({"xms_act_fct": ["11", 13, None]}, "xms_act_fct") == {11, 13}
    assert entra_checks.facets({"xms_act_fct": 11}, "xms_act_fct") == set()
    assert entra_checks.actor({"appid": AGENT}) == AGENT
    assert entra_checks.actor({}) is None


@settings(max_examples=150)
@given(
    st.one_of(
        st.text(),
        st.lists(st.one_of(st.text(), st.integers(), st.none())),
        st.integers(),
        st.none(),
    )
)
def test_facets_never_raise(value: Any) -> None:
    result = entra_checks.facets({"xms_act_fct": value}, "xms_act_fct")
    assert all(isinstance(v, int) for v in result)


def test_aadsts_codes_from_codes_or_description() -> None:
    assert aadsts.aadsts_codes({"error_codes": [50013]}) == [50013]
    assert aadsts.aadsts_codes({"error_description": "AADSTS700211: No matching..."}) == [700211]
    assert aadsts.aadsts_codes({"error_codes": [True], "error_description": "x"}) == []


def test_every_documented_code_has_a_next_step() -> None:
    for code in (82001, 50013, 700211, 7000215, 65001, 500011, 70011, 700213, 700016, 7000218):
        hint = aadsts.hint_for({"error_codes": [code]})
        assert hint is not None
        assert f"AADSTS{code}" in hint
        assert "Next:" in hint


def test_unknown_code_points_at_the_error_page() -> None:
    assert aadsts.hint_for({"error_codes": [4242]}) == (
        "look up AADSTS4242 at https://login.microsoftonline.com/error?code=4242"
    )
    assert aadsts.hint_for({"error": "invalid_grant"}) is None


def test_short_description_drops_trace_lines() -> None:
    text = "AADSTS50013: Assertion failed.\r\nTrace ID: 1\r\nCorrelation ID: 2"
    assert aadsts.short_description(text) == "AADSTS50013: Assertion failed."


@settings(max_examples=150)
@given(
    st.dictionaries(
        st.sampled_from(["error", "error_codes", "error_description"]),
        st.one_of(st.text(), st.lists(st.integers()), st.integers()),
    )
)
def test_hint_for_never_raises(error: dict[str, Any]) -> None:
    hint = aadsts.hint_for(error)
    assert hint is None or hint.startswith(("AADSTS", "look up AADSTS"))


@settings(max_examples=150)
@given(st.text(max_size=200))
def test_resource_of_and_audience_never_raise(scope: str) -> None:
    from agentctl.providers.entra import audience_matches, resource_of

    resource = resource_of(scope)
    assert isinstance(resource, str)
    assert audience_matches(resource, resource) is True


@settings(max_examples=100)
@given(st.text(max_size=300))
def test_bad_certificate_bundles_are_usage_errors(pem: str) -> None:
    import pytest

    from agentctl.errors import AgentctlError
    from agentctl.providers.base import Credential
    from agentctl.providers.entra import credential_from

    try:
        cred = credential_from(Credential("c", "private_key_jwt", private_key_pem=pem))
    except AgentctlError:
        return
    with pytest.raises(Exception):  # noqa: B017,PT011 -- parsing junk must fail somewhere
        cred.thumbprints()
