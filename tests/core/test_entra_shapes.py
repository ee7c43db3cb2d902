"""Entra tokens as Microsoft documents them: the shipped examples have real shapes, and the
blueprint's exchange token (T1) is named for what it is."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.core.dialects import detect_kind, entra_exchange_target
from agentctl.core.explain import explain
from agentctl.core.tokens import parse
from tests.core.inspect_fixtures import MINT, NOW, make_token, parsed_example

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
GRAPH_AUDIENCES = {"https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"}
ENTRA_EXAMPLES = (
    "entra-obo",
    "entra-agent",
    "entra-agent-user",
    "entra-exchange-token",
    "entra-app-v1",
    "entra-classic-obo",
)
TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee"
BLUEPRINT = "e4d3c2b1-aaaa-bbbb-cccc-ddddeeeeffff"
AGENT = "6a3f7c2e-5b1d-4e8a-9c0f-1d2e3f4a5b6c"


def _payload(name: str) -> dict[str, Any]:
    payload = parsed_example(name).payload
    assert payload is not None
    return payload


@pytest.mark.parametrize("name", ENTRA_EXAMPLES)
def test_entra_examples_follow_the_documented_claim_tables(name: str) -> None:
    p = _payload(name)
    header = parsed_example(name).header
    assert header["typ"] == "JWT"  # Entra never types its access tokens at+jwt
    if p["ver"] == "1.0":
        # v1: sts.windows.net issuer, appid/appidacr, never azp.
        assert p["iss"] == f"https://sts.windows.net/{TENANT}/"
        assert GUID.match(p["appid"])
        assert "azp" not in p
        assert p["appidacr"] in ("0", "1", "2")
    else:
        # v2: login.microsoftonline.com/{tid}/v2.0, azp/azpacr, and aud is the API's client id.
        assert p["iss"] == f"https://login.microsoftonline.com/{TENANT}/v2.0"
        assert GUID.match(p["azp"])
        assert "appid" not in p
        assert GUID.match(p["aud"]), f"a v2 token's aud is a GUID, not {p['aud']}"
    if p["aud"] in GRAPH_AUDIENCES:
        assert p["ver"] == "1.0", "Microsoft Graph gets v1 tokens"
    user_token = "scp" in p and p.get("scp") != "/"
    if not user_token:
        assert p.get("idtyp") == "app"  # app-only tokens carry idtyp by default
    elif p["aud"] not in GRAPH_AUDIENCES:
        # Other APIs' user tokens carry idtyp only when the API opts in.
        assert "idtyp" not in p
    assert "act" not in p  # Entra records no act claim anywhere
    assert p["tid"] == TENANT
    assert GUID.match(p["oid"])


def test_entra_agent_examples_carry_the_facets_of_their_scenario() -> None:
    def facets(p: dict[str, Any], claim: str) -> set[str]:
        return set(str(p.get(claim, "")).split())

    autonomous = _payload("entra-agent")
    assert "11" in facets(autonomous, "xms_act_fct")
    assert "11" in facets(autonomous, "xms_sub_fct")
    assert "7" in facets(autonomous, "xms_idrel")
    assert autonomous["oid"] == autonomous["sub"]
    assert "scp" not in autonomous
    obo = _payload("entra-obo")
    assert "11" in facets(obo, "xms_act_fct")
    assert "1" in facets(obo, "xms_idrel")
    assert "xms_sub_fct" not in obo  # the subject is the human user
    agent_user = _payload("entra-agent-user")
    assert "13" in facets(agent_user, "xms_sub_fct")
    assert "11" in facets(agent_user, "xms_act_fct")
    for p in (autonomous, obo, agent_user):
        assert p.get("azp", p.get("appid")) == AGENT
        assert p["xms_par_app_azp"] == BLUEPRINT
    classic = _payload("entra-classic-obo")
    assert not any(k.startswith("xms_") and k.endswith("_fct") for k in classic)


def test_the_exchange_token_is_named_for_what_it_is() -> None:
    exp = explain(parsed_example("entra-exchange-token"), now=NOW)
    assert exp.kind == "client_assertion"
    assert "Agent ID exchange token (T1)" in exp.kind_evidence[0]
    assert "federated credential assertion" in exp.kind_evidence[0]
    # Not "an agent acting as itself": no mode, the blueprint vouches for the agent identity.
    assert exp.mode == "unknown"
    assert exp.subject is not None
    assert exp.subject.id == BLUEPRINT
    assert exp.actor is None
    assert exp.blueprint == BLUEPRINT
    assert exp.audit.startswith(
        f"blueprint {BLUEPRINT} vouches for agent identity {AGENT} in its token exchange"
    )
    assert any("client_assertion (leg 2)" in e for e in exp.mode_evidence)
    assert any("Keep it like a credential" in n for n in exp.notes)


def _t1(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "aud": "api://AzureADTokenExchange",
        "iss": f"https://sts.windows.net/{TENANT}/",
        "appid": BLUEPRINT,
        "idtyp": "app",
        "oid": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "sub": f"/eid1/c/pub/t/AAAA/a/BBBB/{AGENT}",
        "tid": TENANT,
        "iat": MINT,
        "exp": MINT + 3600,
        "ver": "1.0",
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("payload", "target"),
    [
        (_t1(), AGENT),  # the App ID URI form of the audience, in a v1 token
        (_t1(aud="fb60f99c-7a34-4190-8149-302f77469936"), AGENT),
        (_t1(sub="1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"), ""),  # T1 whose sub says nothing
        (_t1(aud="https://graph.microsoft.com"), None),
        (_t1(iss="https://evil.example/"), None),  # only Entra issues T1
        (_t1(aud=["api://AzureADTokenExchange", "https://api.example.com"]), None),
    ],
)
def test_exchange_token_detection(payload: dict[str, Any], target: str | None) -> None:
    assert entra_exchange_target(payload) == target
    kind = detect_kind({"typ": "JWT"}, payload).kind
    assert (kind == "client_assertion") == (target is not None)


def test_an_app_only_agent_token_is_still_the_agent_acting_as_itself() -> None:
    # The T1 rule must not swallow the leg-2 token it buys.
    exp = explain(parsed_example("entra-agent"), now=NOW)
    assert (exp.kind, exp.mode) == ("access_token", "agent_identity")
    t1_v1 = explain(parse(make_token(_t1())), now=NOW)
    assert t1_v1.mode == "unknown"
    assert "vouches for agent identity" in t1_v1.audit


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    iss=st.sampled_from([f"https://sts.windows.net/{TENANT}/", "https://x.example"]) | _json,
    aud=st.sampled_from(["api://AzureADTokenExchange", "fb60f99c-7a34-4190-8149-302f77469936"])
    | _json,
    sub=st.text(max_size=80).map(lambda s: "/eid1/c/pub/t/" + s) | _json,
)
def test_exchange_token_detection_never_raises(iss: Any, aud: Any, sub: Any) -> None:
    payload = {"iss": iss, "aud": aud, "sub": sub}
    target = entra_exchange_target(payload)
    assert target is None or isinstance(target, str)
    kind = detect_kind({"typ": "JWT"}, payload)
    assert (kind.kind == "client_assertion") == (target is not None)


@settings(max_examples=200, deadline=None)
@given(raw=st.text(max_size=20) | st.none())
def test_the_propagation_window_is_a_bounded_number_or_one_clear_error(raw: str | None) -> None:
    from agentctl.errors import ConfigError
    from agentctl.providers.entra import _propagation_window

    value: float | None = None
    message = ""
    try:
        value = _propagation_window(raw)
    except ConfigError as exc:
        message = exc.message
    if message:
        assert "AGENTCTL_ENTRA_PROPAGATION_WINDOW" in message
        assert "\n" not in message
    else:
        assert value is None or 0 <= value <= 86400
