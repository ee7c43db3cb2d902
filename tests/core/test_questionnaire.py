from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.core import questionnaire as qn
from agentctl.core.mode_plan import PlanContext, ProfileInfo
from agentctl.errors import InputError


def _rec(**answers: str | tuple[str, ...]) -> qn.Recommendation:
    return qn.recommend(qn.resolve(answers))


def _plan(**answers: str | tuple[str, ...]) -> tuple[qn.Recommendation, qn.Plan]:
    rec = _rec(**answers)
    return rec, qn.plan(rec)


# answers -> expected mode, and a reason (substring) that must appear for it
PATHS = [
    pytest.param(
        {"initiator": "user", "attribution": "required"},
        "hybrid_obo",
        "OBO names the agent next to the user",
        id="user-started + attribution required -> hybrid",
    ),
    pytest.param(
        {"initiator": "user", "attribution": "preferred", "decides": "asked"},
        "hybrid_obo",
        "the user authorised, the agent acted",
        id="user-started, attribution preferred -> hybrid",
    ),
    pytest.param(
        {"initiator": "user", "multi_agent": "yes", "attribution": "no"},
        "hybrid_obo",
        "nested act claims",
        id="user-started multi-agent chain -> hybrid",
    ),
    pytest.param(
        {"initiator": "system"},
        "agent_identity",
        "no user starts the task",
        id="system-initiated -> agent",
    ),
    pytest.param(
        {"initiator": "system", "attribution": "required", "decides": "asked"},
        "agent_identity",
        "authenticate as itself",
        id="system-initiated even with attribution -> agent",
    ),
    pytest.param(
        {"initiator": "mixed", "decides": "own"},
        "agent_identity",
        "answer for them itself",
        id="autonomous, mixed start -> agent",
    ),
    pytest.param(
        {"initiator": "user", "decides": "own"},
        "agent_identity",
        "its own decisions",
        id="autonomous decisions -> agent",
    ),
    pytest.param(
        {
            "initiator": "user",
            "user_could_do_it": "yes",
            "beyond_user_permissions": "no",
            "spans_domains": "no",
            "attribution": "no",
            "multi_agent": "no",
            "decides": "asked",
        },
        "user_scoped",
        "the simplest setup will do",
        id="simple user automation -> user-scoped",
    ),
    pytest.param(
        {"initiator": "user", "attribution": "no", "beyond_user_permissions": "yes"},
        "agent_identity",
        "no single user should hold",
        id="beyond user permissions -> agent",
    ),
    pytest.param(
        {"initiator": "user", "user_could_do_it": "no", "attribution": "no"},
        "agent_identity",
        "could not do the task",
        id="user could not do it -> agent",
    ),
    pytest.param(
        {"initiator": "mixed", "spans_domains": "yes", "attribution": "required"},
        "agent_identity",
        "several users' domains",
        id="cross-domain workflow -> agent",
    ),
]


@pytest.mark.parametrize(("answers", "expected", "reason"), PATHS)
def test_recommendation_table(answers: dict[str, str], expected: str, reason: str) -> None:
    rec = _rec(**answers)
    assert rec.recommended == expected
    assert rec.ranking[0].mode == expected
    assert any(reason in text for text in rec.ranked(expected).reasons)
    # every reason names the answer that drove it
    for ranked in rec.ranking:
        for factor in ranked.factors:
            assert f"({factor.key}={factor.value})" in factor.text()
            assert rec.answers[factor.key].text().split(",").count(factor.value) == 1


def test_user_scoped_loses_points_when_attribution_is_required() -> None:
    rec = _rec(initiator="user", attribution="required")
    us = rec.ranked("user_scoped")
    assert any(f.points < 0 and f.key == "attribution" for f in us.factors)
    assert us.score < rec.ranked("hybrid_obo").score


_SCORED = [q for q in qn.QUESTIONS if q.key not in {"idp", "targets"}]
_ALL = [
    dict(zip([q.key for q in _SCORED], combo, strict=True))
    for combo in itertools.product(*(q.values for q in _SCORED))
]


def test_hard_facts_always_win_across_every_combination() -> None:
    for answers in _ALL:
        rec = _rec(**answers)
        assert sorted(r.mode for r in rec.ranking) == sorted(qn.MODE_TITLES)
        scores = [r.score for r in rec.ranking]
        assert scores == sorted(scores, reverse=True)
        if answers["initiator"] == "system" or answers["beyond_user_permissions"] == "yes":
            assert rec.recommended == "agent_identity", answers


def test_every_mode_is_reachable_and_the_result_is_deterministic() -> None:
    seen = {_rec(**a).recommended for a in _ALL}
    assert seen == {"user_scoped", "hybrid_obo", "agent_identity"}
    first = [_rec(**a).recommended for a in _ALL[:50]]
    assert first == [_rec(**a).recommended for a in _ALL[:50]]


def test_ties_break_towards_hybrid() -> None:
    rec = _rec(initiator="user", attribution="required", decides="own")
    assert rec.ranking[0].score == rec.ranking[1].score
    assert rec.recommended == "hybrid_obo"


def test_targets_and_idp_do_not_change_the_mode() -> None:
    base = _rec(initiator="user", attribution="required").recommended
    for idp in ("keycloak", "entra", "okta"):
        assert _rec(initiator="user", attribution="required", idp=idp).recommended == base
    assert _rec(initiator="user", attribution="required", targets=("mcp",)).recommended == base


# --- what the IdP can do, paths and next commands ---------------------------------------------


def test_keycloak_hybrid_need_names_the_alternative() -> None:
    rec, plan = _plan(initiator="user", attribution="required", idp="keycloak")
    assert rec.recommended == "hybrid_obo"
    assert plan.support.value == "no"
    assert plan.run_mode == "user_scoped"
    notes = " | ".join(plan.idp_notes)
    assert "Keycloak cannot do hybrid" in notes
    assert "alternative:" in notes
    assert "azp" in notes
    commands = [c.command for c in plan.next_commands]
    assert "agentctl register my-agent --profile keycloak" in commands
    assert "agentctl exchange --mode user --profile keycloak" in commands
    assert commands[-1] == "agentctl demo"  # the embedded IdP shows the real shape
    assert not any("--mode obo" in c for c in commands)


def test_entra_hybrid_is_agent_id_obo_with_azp_and_facets() -> None:
    _, plan = _plan(initiator="user", attribution="required", idp="entra")
    assert plan.support.value == "yes"
    assert "Agent ID OBO" in plan.flow
    notes = " | ".join(plan.idp_notes)
    assert "xms_act_fct" in notes
    assert "azp" in notes
    assert "not in an act claim" in notes
    assert any(c.startswith("xms_act_fct") for c in plan.claims)
    commands = [c.command for c in plan.next_commands]
    assert "agentctl exchange --mode obo --profile entra" in commands


def test_okta_mcp_uses_id_jag() -> None:
    _, plan = _plan(initiator="user", attribution="required", idp="okta", targets=("api", "mcp"))
    [mcp] = [p for p in plan.paths if p.target == "mcp"]
    assert "ID-JAG" in mcp.summary
    assert any("jwt-bearer" in s for s in mcp.steps)
    assert any("urn:ietf:params:oauth:token-type:id-jag" in s for s in mcp.steps)
    assert any("okta" in n and "local" in n for n in mcp.notes)  # which IdPs issue ID-JAGs
    commands = [c.command for c in plan.next_commands]
    assert (
        "agentctl exchange --via id-jag --resource <https://your-mcp-server/mcp> --profile okta"
        in commands
    )
    # what the MCP server sees through ID-JAG, said where it matters
    assert any("sub = the user, the agent only as client_id" in n for n in mcp.notes)


def test_entra_mcp_has_no_id_jag_command_and_says_why() -> None:
    _, plan = _plan(initiator="user", attribution="required", idp="entra", targets=("mcp",))
    assert not any("--via id-jag" in c.command for c in plan.next_commands)
    [mcp] = plan.paths
    assert "no ID-JAG issuer support" in mcp.notes[0]


def test_autonomous_agent_on_mcp_is_pointed_at_client_credentials() -> None:
    rec, plan = _plan(initiator="system", idp="okta", targets=("mcp",))
    assert rec.recommended == "agent_identity"
    assert not any("--via id-jag" in c.command for c in plan.next_commands)
    assert "client_credentials" in plan.paths[0].notes[0]
    assert any("service app" in n for n in plan.idp_notes)


def test_browser_target_gets_token_injection() -> None:
    _, plan = _plan(initiator="system", idp="local", targets=("browser",))
    [browser] = plan.paths
    assert "injection" in browser.summary
    assert any("--emit playwright-python|playwright-node|" in s for s in browser.steps)
    assert "agentctl exchange --mode agent --emit playwright-python --out agent_auth.py" in [
        c.command for c in plan.next_commands
    ]


def test_auth0_browser_mentions_session_transfer() -> None:
    _, plan = _plan(idp="auth0", targets=("browser",))
    assert "Session Transfer Token" in plan.paths[0].notes[0]


def test_generic_oidc_says_check_with_doctor() -> None:
    _, plan = _plan(initiator="user", attribution="required", idp="oidc")
    assert plan.support.value == "depends"
    assert plan.run_mode == "hybrid_obo"
    commands = [c.command for c in plan.next_commands]
    assert commands[:2] == [
        "agentctl profile add oidc --kind oidc --issuer <issuer-url> --client-id <client-id> "
        "--secret-stdin",
        "agentctl doctor --profile oidc",
    ]


def test_local_needs_no_profile_flag() -> None:
    _, plan = _plan(initiator="user", attribution="no", idp="local")
    assert all("--profile" not in c.command for c in plan.next_commands)
    # a fresh machine: the demo sets up a user and an agent, then the exchange runs as is
    assert [c.command for c in plan.next_commands] == [
        "agentctl demo",
        "agentctl exchange --mode user",
    ]


def test_tradeoff_rows_reuse_the_design_words() -> None:
    rows = dict(qn.TRADEOFFS["hybrid_obo"].rows())
    assert rows["permissions"] == "the user's"
    assert rows["audit trail reads"] == '"agent did X as user"'
    assert rows["accountability"] == "user authorised, agent acted"
    assert rows["IdP setup"] == "token exchange + agent registration"
    assert rows["best for"] == "attributed automation"
    assert qn.TRADEOFFS["agent_identity"].best_for == "autonomous decisions"
    assert qn.TRADEOFFS["user_scoped"].best_for == "simple automation"


# --- answers: validation and parsing ----------------------------------------------------------


def test_resolve_marks_defaults_as_assumed() -> None:
    answers = qn.resolve({"idp": "okta"})
    assert answers["idp"] == qn.Answer("okta", False)
    assert answers["initiator"] == qn.Answer("user", True)
    assert answers["targets"] == qn.Answer(("api",), True)
    assert list(answers) == list(qn.QUESTION_KEYS)


def test_flags_accumulate_targets_and_normalise_case() -> None:
    got = qn.parse_flags(["targets=mcp", "targets=API,browser", "IDP=Okta"])
    assert got == {"targets": ("api", "browser", "mcp"), "idp": "okta"}


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["colour=blue"], "unknown question 'colour'; valid keys: initiator, user_present"),
        (["idp=ping"], "invalid value 'ping' for idp; valid values: entra, okta, keycloak"),
        (["targets=api,fax"], "valid values: api, browser, mcp (several allowed"),
        (["targets="], "invalid value '' for targets"),
        (["initiator"], "is not KEY=VALUE; valid keys"),
        (["attribution=maybe"], "valid values: required, preferred, no"),
    ],
)
def test_bad_flags_list_the_valid_ones(flags: list[str], message: str) -> None:
    with pytest.raises(InputError) as err:
        qn.parse_flags(flags)
    assert message in err.value.message
    assert "\n" not in err.value.message


def test_json_and_toml_documents() -> None:
    as_json = qn.parse_document(
        b'{"idp": "okta", "targets": ["mcp", "api"], "spans_domains": false}'
    )
    as_toml = qn.parse_document(b'idp = "okta"\ntargets = "api, mcp"\nspans_domains = false\n')
    assert as_json == as_toml == {"idp": "okta", "targets": ("api", "mcp"), "spans_domains": "no"}
    assert qn.parse_document("\ufeff{}") == {}
    assert qn.parse_document(b"") == {}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b'{"idp": "okta",', "not valid JSON"),
        (b"idp = ", "neither a JSON object nor TOML"),
        (b"[1, 2]", "must hold one object of answers"),
        (b'{"colour": "blue"}', "unknown question 'colour' in answers file; valid keys"),
        (b'{"idp": 3}', "invalid value '3' for idp"),
        (b'{"initiator": true}', "invalid value 'true' for initiator"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'[answers]\nidp = "okta"\n', "unknown question 'answers'"),
    ],
)
def test_bad_documents(doc: bytes, message: str) -> None:
    with pytest.raises(InputError) as err:
        qn.parse_document(doc)
    assert message in err.value.message


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_keyish = st.sampled_from([*qn.QUESTION_KEYS, "x", ""]) | st.text(max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200),
        _json_values.map(json.dumps),
        st.dictionaries(_keyish, _json_values, max_size=5).map(json.dumps),
        st.dictionaries(
            st.sampled_from(qn.QUESTION_KEYS),
            st.sampled_from(["user", "yes", "no", "okta", "api,mcp", "API", " mixed "])
            | st.lists(st.sampled_from(["api", "mcp", "fax"]), max_size=3),
            max_size=6,
        ).map(json.dumps),
        st.dictionaries(_keyish, st.text(max_size=10), max_size=4).map(
            lambda d: "\n".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in d.items())
        ),
    )
)
def test_fuzz_answers_documents_never_crash(doc: bytes | str) -> None:
    try:
        parsed = qn.parse_document(doc)
    except InputError as err:
        message = err.message
    else:
        message = ""
    if message:
        assert "\n" not in message
        return
    answers = qn.resolve(parsed)  # whatever parses must be usable as it is
    qn.plan(qn.recommend(answers))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=4))
def test_fuzz_answer_flags(flags: list[str]) -> None:
    try:
        parsed = qn.parse_flags(flags)
    except InputError as err:
        message = err.message
    else:
        qn.resolve(parsed)
        return
    assert "valid" in message


# --- prompt replies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "line", "value"),
    [
        ("initiator", "", "user"),
        ("initiator", "3", "system"),
        ("initiator", " Mixed ", "mixed"),
        ("targets", "", ("api",)),
        ("targets", "3,1", ("api", "mcp")),
        ("targets", "browser mcp", ("browser", "mcp")),
        ("idp", "6", "local"),
    ],
)
def test_replies_pick_options(key: str, line: str, value: qn.AnswerValue) -> None:
    assert qn.interpret_reply(qn.question(key), line) == qn.Reply(value=value)


@pytest.mark.parametrize(
    ("key", "line", "problem"),
    [
        ("initiator", "4", "'4' is not an option; type 1-3"),
        ("initiator", "0", "is not an option"),
        ("initiator", "1 2", "pick one option"),
        ("targets", "api,fax", "'fax' is not an option"),
    ],
)
def test_bad_replies_explain(key: str, line: str, problem: str) -> None:
    reply = qn.interpret_reply(qn.question(key), line)
    assert reply.value is None
    assert reply.problem is not None
    assert problem in reply.problem


def test_question_mark_asks_why() -> None:
    assert qn.interpret_reply(qn.question("idp"), "?").why
    assert all(q.why and q.default for q in qn.QUESTIONS)


# --- issue 11: commands that run as printed, honest trade-offs per IdP ------------------------


def _ctx(
    *,
    agent: str | None = None,
    user: str | None = None,
    others: tuple[ProfileInfo, ...] = (),
) -> PlanContext:
    current = ProfileInfo("local", "local", agent=agent, user=user, embedded=True)
    return PlanContext(current=current, others=others)


def test_known_agent_and_user_are_used_and_no_setup_is_printed() -> None:
    rec = _rec(initiator="user", attribution="required", targets=("api", "mcp"))
    plan = qn.plan(rec, _ctx(agent="demo-agent", user="alice"))
    assert [c.command for c in plan.next_commands] == [
        "agentctl exchange --mode obo",
        "agentctl exchange --via id-jag --resource http://127.0.0.1:8400/i/mcp-as/resource",
    ]


def test_an_existing_profile_of_the_idp_is_named_and_its_agent_reused() -> None:
    ctx = _ctx(others=(ProfileInfo("corp-entra", "entra", agent="bot"),))
    rec = _rec(initiator="user", attribution="required", idp="entra")
    commands = [c.command for c in qn.plan(rec, ctx).next_commands]
    assert commands == [
        "agentctl doctor --profile corp-entra",
        "agentctl exchange --mode obo --profile corp-entra",
    ]


@pytest.mark.parametrize(
    ("answers", "kind"),
    [
        ({"initiator": "user", "attribution": "required"}, " --kind agent-identity"),
        ({"initiator": "system"}, " --kind agent-identity"),
        ({"initiator": "user", "attribution": "no"}, ""),
    ],
)
def test_entra_registers_an_agent_identity_for_hybrid_and_agent_modes(
    answers: dict[str, str], kind: str
) -> None:
    """Issue 11: `register my-agent --profile entra` made a plain app (classic OBO)."""
    _, plan = _plan(idp="entra", **answers)
    [register] = [c.command for c in plan.next_commands if " register " in c.command]
    assert register == f"agentctl register my-agent --profile entra{kind}"


def test_placeholders_only_for_what_cannot_be_known() -> None:
    for idp in ("local",):
        for answers in _ALL[::37]:
            rec = _rec(idp=idp, targets=("api", "browser", "mcp"), **answers)
            assert not any("<" in c.command for c in qn.plan(rec).next_commands), answers


def test_multi_agent_scores_nested_act_only_where_the_idp_writes_act() -> None:
    """Issue 11: on Entra there is no act claim, yet multi_agent=yes scored +2 for it."""
    local = _rec(initiator="user", multi_agent="yes", idp="local").ranked("hybrid_obo")
    entra = _rec(initiator="user", multi_agent="yes", idp="entra").ranked("hybrid_obo")
    assert any("nested act claims" in r for r in local.reasons)
    assert not any("act claims" in r for r in entra.reasons)
    assert entra.score == local.score - 2


def test_tradeoff_says_where_the_agent_is_visible_per_idp() -> None:
    from agentctl.core.tradeoffs import tradeoff_for

    entra = tradeoff_for("entra", "hybrid_obo")
    for words in ("azp", "xms_act_fct", "no act claim", "no chain"):
        assert words in entra.who_acted, words
    assert "act.sub = agent" in tradeoff_for("local", "hybrid_obo").who_acted
    assert "cannot delegate" in tradeoff_for("keycloak", "hybrid_obo").who_acted


def test_an_absent_user_points_to_the_agents_own_identity() -> None:
    present = _rec(initiator="user", attribution="required")
    absent = _rec(initiator="user", attribution="required", user_present="no")
    assert present.recommended == "hybrid_obo"
    assert absent.ranked("agent_identity").score > present.ranked("agent_identity").score
    assert any("refresh token" in r for r in absent.ranked("hybrid_obo").reasons)
