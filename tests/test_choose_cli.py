from __future__ import annotations

import builtins
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.core.questionnaire import QUESTION_KEYS
from agentctl.output.envelope import SCHEMA
from tests.helpers import run

SYSTEM = ("--answer", "initiator=system")


def test_without_a_terminal_or_answers_it_fails_at_once() -> None:
    res = run("choose")  # the runner's stdin is not a TTY
    assert res.exit_code == 2
    assert "no terminal to ask on and no answers given" in res.stderr
    assert "--answer KEY=VALUE" in res.stderr
    assert res.stderr.count("\n") == 1
    assert res.stdout == ""


def test_no_interactive_takes_every_default_and_says_so() -> None:
    res = run("choose", "--no-interactive", "--json")
    assert res.exit_code == 0
    data = res.json()["data"]
    assert data["assumed"] == list(QUESTION_KEYS)
    assert all(a["assumed"] for a in data["answers"].values())


def test_json_contract() -> None:
    res = run(
        "choose",
        "--json",
        "--answer",
        "initiator=user",
        "--answer",
        "attribution=required",
        "--answer",
        "idp=okta",
        "--answer",
        "targets=api,mcp",
        "--answer",
        "targets=browser",
    )
    assert res.exit_code == 0, res.stderr
    doc = res.json()
    assert doc["schema"] == SCHEMA
    assert doc["command"] == ["choose"]
    assert doc["status"] == "ok"
    data = doc["data"]
    assert set(data) == {
        "recommended",
        "title",
        "ranking",
        "answers",
        "assumed",
        "tradeoff",
        "common_path",
        "idp",
        "idp_notes",
        "paths",
        "next_commands",
        "profile",
    }
    assert data["recommended"] == "hybrid_obo"
    assert [r["mode"] for r in data["ranking"]] == ["hybrid_obo", "agent_identity", "user_scoped"]
    for r in data["ranking"]:
        assert set(r) == {"mode", "score", "reasons", "factors"}
        assert isinstance(r["score"], int)
        assert all(isinstance(x, str) for x in r["reasons"])
        assert len(r["reasons"]) == len(r["factors"])
        for f in r["factors"]:
            assert set(f) == {"answer", "points", "reason"}
    assert list(data["answers"]) == list(QUESTION_KEYS)
    assert data["answers"]["idp"] == {"value": "okta", "assumed": False}
    assert data["answers"]["targets"] == {"value": ["api", "browser", "mcp"], "assumed": False}
    assert data["answers"]["decides"] == {"value": "asked", "assumed": True}
    assert data["assumed"] == [
        "user_present",
        "user_could_do_it",
        "beyond_user_permissions",
        "spans_domains",
        "multi_agent",
        "decides",
    ]
    assert set(data["tradeoff"]) == {
        "mode",
        "who_the_token_is_for",
        "who_acted",
        "permissions",
        "audit_trail",
        "accountability",
        "idp_setup",
        "best_for",
    }
    assert data["tradeoff"]["best_for"] == "attributed automation"
    assert set(data["idp"]) == {
        "kind",
        "name",
        "mode",
        "support",
        "maturity",
        "flow",
        "claims",
        "alternative",
        "run_mode",
    }
    assert data["idp"]["support"] == "yes"
    assert all(isinstance(n, str) for n in data["idp_notes"])
    assert [p["target"] for p in data["paths"]] == ["mcp", "browser"]
    for p in data["paths"]:
        assert set(p) == {"target", "summary", "steps", "notes"}
    for c in data["next_commands"]:
        assert set(c) == {"command", "purpose"}
        assert c["command"].startswith("agentctl ")
    commands = [c["command"] for c in data["next_commands"]]
    # No okta profile yet: the first command makes one; only what agentctl cannot know is <…>.
    assert commands[0] == (
        "agentctl profile add okta --kind oidc --issuer <issuer-url> --client-id <client-id> "
        "--secret-stdin"
    )
    assert (
        "agentctl exchange --via id-jag --resource <https://your-mcp-server/mcp> --profile okta"
        in commands
    )
    assert (
        "agentctl exchange --mode obo --profile okta --emit playwright-python "
        "--out agent_auth.py" in commands
    )
    assert data["profile"] == {
        "name": None,
        "kind": "okta",
        "configured": False,
        "flag": True,
        "agent": None,
        "user": None,
    }


def test_human_output_shows_the_recommendation_tradeoff_and_next_commands() -> None:
    res = run("choose", "-a", "initiator=user", "-a", "attribution=required", "-a", "idp=keycloak")
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    assert "Recommended: hybrid on-behalf-of (OBO) (hybrid_obo)" in out
    assert "(attribution=required)" in out
    for words in (
        "not possible (no delegation)",  # Keycloak's own setup row, not the design's
        "cannot delegate: at most azp = the agent",
        "user authorised, agent acted",
        "attributed automation",
        "start user-scoped, move to hybrid OBO when attribution matters",
        "Keycloak cannot do hybrid",
        "alternative:",
        "agentctl exchange --mode user --profile keycloak",
        "Assumed (not answered, default taken):",
    ):
        assert words in out, words


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-a", "colour=blue"), "unknown question 'colour'; valid keys: initiator, "),
        (("-a", "idp=ping"), "valid values: entra, okta, keycloak, auth0, oidc, local"),
        (("-a", "targets=api,fax"), "valid values: api, browser, mcp"),
        (("-a", "initiator"), "is not KEY=VALUE"),
    ],
)
def test_unknown_keys_or_values_one_line_exit_2(args: tuple[str, ...], message: str) -> None:
    res = run("choose", *args)
    assert res.exit_code == 2
    assert message in res.stderr
    assert res.stderr.count("\n") == 1
    assert "Traceback" not in res.stderr


def test_unknown_value_with_json_gives_the_error_envelope() -> None:
    res = run("choose", "--json", "-a", "idp=ping")
    assert res.exit_code == 2
    doc = res.json()
    assert doc["status"] == "error"
    assert doc["errors"][0]["code"] == "bad_input"
    assert "valid values" in doc["errors"][0]["message"]


def test_answers_file_json_and_toml_and_flags_win(tmp_path: Path) -> None:
    as_json = tmp_path / "a.json"
    as_json.write_text('{"initiator": "system", "idp": "keycloak", "targets": ["mcp"]}')
    as_toml = tmp_path / "a.toml"
    as_toml.write_text('initiator = "system"\nidp = "keycloak"\ntargets = "mcp"\n')
    for path in (as_json, as_toml):
        data = run("choose", "--json", "--answers", str(path)).json()["data"]
        assert data["recommended"] == "agent_identity"
        assert data["answers"]["idp"] == {"value": "keycloak", "assumed": False}
        assert data["answers"]["targets"]["value"] == ["mcp"]
    data = run("choose", "--json", "--answers", str(as_toml), "-a", "idp=auth0").json()["data"]
    assert data["answers"]["idp"]["value"] == "auth0"


def test_answers_from_stdin() -> None:
    res = run("choose", "--json", "--answers", "-", stdin='initiator = "system"\n')
    assert res.exit_code == 0, res.stderr
    assert res.json()["data"]["recommended"] == "agent_identity"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"colour": 1}', "unknown question 'colour' in answers file; valid keys"),
        ("initiator = \n", "neither a JSON object nor TOML"),
        ('{"initiator": "robot"}', "valid values: user, mixed, system"),
    ],
)
def test_bad_answers_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "answers"
    path.write_text(content)
    res = run("choose", "--answers", str(path))
    assert res.exit_code == 2
    assert message in res.stderr
    assert res.stderr.count("\n") == 1


def test_missing_answers_file(tmp_path: Path) -> None:
    res = run("choose", "--answers", str(tmp_path / "nope.toml"))
    assert res.exit_code == 2
    assert "cannot read answers file" in res.stderr


def test_stdin_answers_and_prompts_cannot_share_stdin() -> None:
    res = run("choose", "--interactive", "--answers", "-", stdin="{}")
    assert res.exit_code == 2
    assert "cannot read it too" in res.stderr


# --- prompts ----------------------------------------------------------------------------------


def test_prompts_numbers_values_why_and_defaults() -> None:
    replies = [
        "3",  # initiator -> system
        "",  # user_present -> default
        "",  # user_could_do_it -> default
        "?",  # beyond_user_permissions: why ...
        "maybe",  # ... not an option ...
        "no",  # ... then a value
        "",  # spans_domains
        "1",  # attribution -> required
        "",  # multi_agent
        "own",  # decides
        "2",  # idp -> okta
        "api, 3",  # targets -> api + mcp
    ]
    res = run("choose", "--interactive", "--json", stdin="\n".join(replies) + "\n")
    assert res.exit_code == 0, res.stderr
    data = res.json()["data"]  # prompts went to stderr, so stdout is pure JSON
    assert data["recommended"] == "agent_identity"
    values = {k: a["value"] for k, a in data["answers"].items()}
    assert values["initiator"] == "system"
    assert values["user_could_do_it"] == "yes"
    assert values["attribution"] == "required"
    assert values["decides"] == "own"
    assert values["idp"] == "okta"
    assert values["targets"] == ["api", "mcp"]
    assert data["assumed"] == []  # Enter on a prompt is an answer, not an assumption
    assert "[1/10] Who starts each task the agent runs?" in res.stderr
    assert "why this matters: Such permissions can only live" in res.stderr
    assert "'maybe' is not an option" in res.stderr


def test_prompts_only_ask_what_was_not_answered() -> None:
    res = run(
        "choose",
        "--interactive",
        *SYSTEM,
        "-a",
        "idp=entra",
        stdin="\n" * 8,
        env={"COLUMNS": "100"},
    )
    assert res.exit_code == 0, res.stderr
    assert "[1/8] Is that person there while the agent works" in res.stderr
    assert "Who starts each task" not in res.stderr
    assert "Recommended: agent identity (agent_identity)" in res.stdout


def test_end_of_input_during_prompts_exits_130_without_traceback() -> None:
    res = run("choose", "--interactive", stdin="1\n2\n")
    assert res.exit_code == 130
    assert res.stderr.strip().splitlines()[-1] == "error: interrupted: no recommendation made"
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


def test_ctrl_c_during_prompts_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(builtins, "input", interrupted)
    res = run("choose", "--interactive", "--json")
    assert res.exit_code == 130
    doc = res.json()
    assert doc["errors"][0]["code"] == "interrupted"
    assert "Traceback" not in res.stderr


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=120),
        st.text(max_size=120),
        st.dictionaries(
            st.sampled_from([*QUESTION_KEYS, "colour"]),
            st.one_of(st.text(max_size=8), st.booleans(), st.integers(), st.lists(st.text())),
            max_size=4,
        ).map(json.dumps),
    )
)
def test_fuzz_answers_on_stdin_never_traceback(doc: bytes | str) -> None:
    res = run("choose", "--answers", "-", stdin=doc)  # type: ignore[arg-type]
    assert res.exit_code in (0, 2), res.stderr
    assert "Traceback" not in res.stderr
    if res.exit_code == 2:
        assert res.stderr.count("\n") == 1
