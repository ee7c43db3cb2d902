"""`agentctl exchange` through the CLI: every mode on the embedded IdP in-process and over real
HTTP, the exit codes a user meets (5 wrong shape, 6 refused, 7 network, 8 unsupported),
--trace without secrets, --emit, and the --json contract."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import CliResult, run
from tests.idp.conftest import Idp, _free_port
from tests.idp.conftest import idp as idp

PASSWORD = "correct horse battery staple"
ENV = {"AGENTCTL_USER_PASSWORD": PASSWORD}
MCP_RESOURCE = "http://127.0.0.1:8400/i/mcp-as/resource"
API = "https://api.example"


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    # scrypt's production cost is the point in real use and dead time here.
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


def claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def xrun(*args: str, **kw: Any) -> CliResult:
    env = {**ENV, **kw.pop("env", {})}
    return run("exchange", *args, env=env, **kw)


def ok_json(result: CliResult) -> dict[str, Any]:
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = result.json()
    assert doc["status"] == "ok"
    return doc["data"]  # type: ignore[no-any-return]


@pytest.fixture
def embedded() -> str:
    """An agent `bot` (allowed audience API) and a user alice (no delegation grant yet)."""
    r = run("register", "bot", "--sponsor", "owner@example.com", "--audience", API)
    assert r.exit_code == 0, r.stdout + r.stderr
    r = run("idp", "users", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.exit_code == 0, r.stderr
    return "bot"


def grant() -> None:
    assert run("idp", "grant", "alice", "bot").exit_code == 0


# -- each mode on the embedded IdP, in-process ----------------------------------------------


def test_agent_mode_gives_a_token_whose_subject_is_the_agent(embedded: str) -> None:
    data = ok_json(xrun("--mode", "agent", "--agent", "bot", "--json"))
    (only,) = data["runs"]
    assert only["ok"] is True
    assert [s["grant"] for s in only["steps"]] == ["client_credentials"]
    expl = only["token"]["explanation"]
    assert expl["subject"]["id"] == data["agent"]["client_id"]
    assert expl["actor"] is None
    assert {c["name"] for c in only["checks"]} >= {"sub is the agent", "no act claim"}
    assert all(c["ok"] for c in only["checks"])


def test_user_mode_signs_in_then_impersonates_for_the_asked_resource(embedded: str) -> None:
    data = ok_json(
        xrun("--mode", "user", "--agent", "bot", "--user", "alice", "--resource", API, "--json")
    )
    run_ = data["runs"][0]
    grants = [s["grant"] for s in run_["steps"]]
    assert grants[-1] == "urn:ietf:params:oauth:grant-type:token-exchange"
    expl = run_["token"]["explanation"]
    assert expl["subject"]["id"] == "alice"
    assert expl["actor"] is None
    assert expl["audience"] == [API]
    assert {c["name"]: c["ok"] for c in run_["checks"]} == {
        "sub is the user": True,
        "no act claim": True,
        "audience is the target": True,
    }


def test_password_comes_from_stdin_and_never_from_the_command_line(embedded: str) -> None:
    r = run(
        "exchange",
        "--mode",
        "user",
        "--agent",
        "bot",
        "--user",
        "alice",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.stdout
    assert PASSWORD not in r.stdout + r.stderr
    assert run("exchange", "--mode", "user", "--password", PASSWORD).exit_code == 2


def test_password_from_a_hidden_prompt_on_stderr(embedded: str) -> None:
    r = run(
        "exchange",
        "--mode",
        "user",
        "--agent",
        "bot",
        "--user",
        "alice",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    # no terminal (the test runner's stdin is a pipe): the piped line is read without a prompt
    # nobody would see, and without getpass's GetPassWarning
    assert "password for alice" not in r.stderr
    assert r.json()["data"]["runs"][0]["ok"] is True


def test_obo_without_the_users_consent_is_refused_with_the_next_step(embedded: str) -> None:
    r = xrun("--mode", "obo", "--agent", "bot", "--user", "alice")
    assert r.exit_code == 6
    assert "invalid_request" in r.stderr
    assert "has not allowed this client" in r.stderr
    assert "agentctl idp grant alice bot" in r.stderr


def test_obo_after_the_grant_names_the_user_and_the_agent(embedded: str) -> None:
    grant()
    data = ok_json(xrun("--mode", "obo", "--agent", "bot", "--user", "alice", "--json"))
    run_ = data["runs"][0]
    token = claims_of(
        xrun("--mode", "obo", "--agent", "bot", "--user", "alice", "--json", "--show-token")
    )
    assert token["sub"] == "alice"
    assert token["act"]["sub"] == data["agent"]["client_id"]
    names = {c["name"] for c in run_["checks"]}
    assert names == {
        "sub is the user",
        "act.sub is the agent",
        "audience is the target",
        "a scope is granted",
        "scopes did not widen",
        "lifetime within the subject token's",
    }
    assert run_["token"]["explanation"]["mode"] == "hybrid_obo"


def claims_of(result: CliResult) -> dict[str, Any]:
    data = ok_json(result)
    return claims(data["runs"][0]["token"]["value"])


def test_all_runs_the_three_modes_side_by_side(embedded: str) -> None:
    grant()
    r = xrun("--mode", "all", "--agent", "bot", "--user", "alice")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "the modes side by side" in r.stdout
    data = ok_json(xrun("--mode", "all", "--agent", "bot", "--user", "alice", "--json"))
    rows = {row["mode"]: row for row in data["table"]}
    assert list(rows) == ["agent", "user", "obo"]
    assert rows["agent"]["actor"] is None
    assert rows["user"]["actor"] is None
    assert rows["obo"]["actor"] == data["agent"]["client_id"]
    assert rows["user"]["subject"] == rows["obo"]["subject"] == "alice"
    assert all(row["audit"] and row["lifetime"] for row in rows.values())
    # alice signs in once; obo reuses that sign-in
    obo_steps = data["runs"][2]["steps"]
    assert obo_steps[0]["outcome"] == "reused"


def test_id_jag_path_reaches_the_second_issuer_through_rfc9728(embedded: str) -> None:
    data = ok_json(
        xrun(
            "--via",
            "id-jag",
            "--resource",
            MCP_RESOURCE,
            "--agent",
            "bot",
            "--user",
            "alice",
            "--json",
        )
    )
    run_ = data["runs"][0]
    names = [s["name"] for s in run_["steps"]]
    assert any("RFC 9728" in n for n in names)
    jag = next(t for t in run_["tokens"] if t["label"] == "ID-JAG")
    assert jag["explanation"]["kind"] == "id_jag"
    assert jag["issued_token_type"] == "urn:ietf:params:oauth:token-type:id-jag"
    on_jag = {c["name"] for c in run_["checks"] if c["token"] == "ID-JAG"}
    assert {"typ is oauth-id-jag+jwt", "aud is the resource authorization server"} <= on_jag
    assert "client_id is the client at the resource AS" in on_jag
    assert "resource is the one asked for" in on_jag
    final = run_["token"]["explanation"]
    assert final["issuer"] == "http://127.0.0.1:8400/i/mcp-as"
    assert final["audience"] == [MCP_RESOURCE]
    assert final["subject"]["id"] == "alice"


# -- failures a user meets -------------------------------------------------------------------


def test_wrong_shape_exits_5_and_still_reports_everything(embedded: str) -> None:
    # An honest mistake: the agent's own token passed as "the user's token". The IdP happily
    # impersonates it (it was issued to the caller), but the result's subject is the agent.
    agent_token = ok_json(xrun("--mode", "agent", "--agent", "bot", "--json", "--show-token"))[
        "runs"
    ][0]["token"]["value"]
    r = xrun(
        "--mode",
        "user",
        "--agent",
        "bot",
        "--subject-token",
        agent_token,
        "--resource",
        API,
        "--json",
    )
    assert r.exit_code == 5
    doc = r.json()
    assert doc["status"] == "partial"
    assert doc["errors"][0]["code"] == "check_failed"
    run_ = doc["data"]["runs"][0]
    failed = [c for c in run_["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["sub is the user"]
    assert run_["steps"][-1]["outcome"] == "ok"  # the IdP answered
    human = xrun(
        "--mode", "user", "--agent", "bot", "--subject-token", agent_token, "--resource", API
    )
    assert human.exit_code == 5
    assert "✗" in human.stdout
    assert "sub is the user" in human.stdout


def test_oauth_error_exits_6_with_error_and_description(embedded: str) -> None:
    r = xrun("--mode", "agent", "--agent", "bot", "--scope", "admin")
    assert r.exit_code == 6
    assert "invalid_scope" in r.stderr
    doc = xrun("--mode", "agent", "--agent", "bot", "--scope", "admin", "--json").json()
    assert doc["exit_code"] == 6
    details = doc["errors"][0]["details"]
    assert details["error"] == "invalid_scope"
    assert details["error_description"]
    assert doc["data"]["runs"][0]["steps"][0]["outcome"] == "error"


def test_connection_refused_exits_7() -> None:
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/i/enterprise"
    assert run("profile", "add", "gone", "--kind", "local", "--issuer", issuer).exit_code == 0
    r = xrun("--mode", "agent", "--profile", "gone")
    assert r.exit_code == 7
    assert "connection refused" in r.stderr
    assert "Traceback" not in r.stderr


def test_unsupported_exits_8_against_the_independent_oidc_provider(oidc_peer: str) -> None:
    r = run(
        "profile",
        "add",
        "peer",
        "--kind",
        "oidc",
        "--issuer",
        oidc_peer,
        "--client-id",
        "agentctl-admin",
        "--secret-stdin",
        stdin="agentctl-admin-secret\n",
    )
    assert r.exit_code == 0, r.stderr
    # The metadata omits token exchange; it is tried, and exit 8 is the server's own answer.
    r = xrun("--mode", "obo", "--profile", "peer", "--subject-token", "opaque-user-token")
    assert r.exit_code == 8
    assert "this IdP does not offer token exchange" in r.stderr
    assert "it answered unsupported_grant_type" in r.stderr


def test_usage_errors_exit_2(embedded: str) -> None:
    assert xrun("--agent", "bot").exit_code == 2
    assert xrun("--via", "id-jag", "--agent", "bot").exit_code == 2
    assert xrun("--mode", "all", "--emit", "header", "--agent", "bot").exit_code == 2
    assert xrun("--mode", "agent", "--agent", "bot", "--emit", "cookies").exit_code == 2
    # The old leaky form (extraHTTPHeaders to every origin) is refused, naming its successors.
    old = xrun("--mode", "agent", "--agent", "bot", "--emit", "playwright")
    assert old.exit_code == 2
    assert "playwright-python or playwright-node" in old.stderr
    unknown = xrun("--mode", "agent", "--agent", "nobody")
    assert unknown.exit_code == 3
    assert "nobody" in unknown.stderr


# -- trace, tokens, emit ---------------------------------------------------------------------


def _secret_of(name: str) -> str:
    from agentctl.config.resolve import resolve_settings
    from agentctl.services.agents import load_agent

    _, credential = load_agent(resolve_settings(), name)
    assert credential.secret
    return credential.secret


def test_trace_shows_every_request_without_secrets_or_raw_tokens(embedded: str) -> None:
    grant()
    r = xrun("--mode", "obo", "--agent", "bot", "--user", "alice", "--trace")
    assert r.exit_code == 0, r.stderr
    assert "> POST http://127.0.0.1:8400/i/enterprise/admin/user-token" in r.stderr
    assert "> POST http://127.0.0.1:8400/i/enterprise/token" in r.stderr
    assert "decoded (unverified)" in r.stderr  # claims beside each token
    assert "<redacted sha256:" in r.stderr
    everything = r.stdout + r.stderr
    assert "eyJ" not in everything
    assert PASSWORD not in everything
    assert _secret_of("bot") not in everything


def test_trace_goes_into_the_json_document(embedded: str) -> None:
    r = xrun("--mode", "agent", "--agent", "bot", "--trace", "--json")
    data = ok_json(r)
    kinds = [e["kind"] for e in data["trace"]]
    assert "request" in kinds
    assert "response" in kinds
    assert "eyJ" not in r.stdout
    assert _secret_of("bot") not in r.stdout
    assert r.stderr == ""


def test_raw_tokens_only_with_show_token(embedded: str) -> None:
    plain = xrun("--mode", "agent", "--agent", "bot")
    assert "eyJ" not in plain.stdout + plain.stderr
    assert "sha256:" in plain.stdout
    shown = xrun("--mode", "agent", "--agent", "bot", "--show-token")
    assert "eyJ" in shown.stdout


@pytest.mark.parametrize("fmt", ["header", "env", "curl"])
def test_emit_writes_only_the_token_line_on_stdout(embedded: str, fmt: str) -> None:
    r = xrun("--mode", "agent", "--agent", "bot", "--emit", fmt)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    token = (
        lines[0].split("Bearer ")[-1].split("'")[0].split()[0]
        if fmt != "env"
        else (lines[0].split("=", 1)[1])
    )
    assert claims(token)["sub"].startswith("agt_")
    assert {"header": "Authorization: Bearer ", "env": "export AGENTCTL_TOKEN=", "curl": "curl "}[
        fmt
    ] in lines[0]
    assert "every check holds" in r.stderr  # the report moved to stderr
    if fmt == "curl":
        assert lines[0].endswith("http://127.0.0.1:8400/i/enterprise/resource")


def test_emit_playwright_to_a_private_file(embedded: str, tmp_path: Path) -> None:
    target = tmp_path / "agent-auth.cjs"
    r = xrun("--mode", "agent", "--agent", "bot", "--emit", "playwright-node", "--out", str(target))
    assert r.exit_code == 0, r.stderr
    assert "eyJ" not in r.stdout
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    text = target.read_text()
    assert "extraHTTPHeaders" not in text  # the header goes to the app's origin only
    assert 'const ORIGIN = "http://127.0.0.1:8400";' in text
    assert '"baseURL": "http://127.0.0.1:8400/i/enterprise/resource"' in text
    header = text.split('const AUTHORIZATION = "', 1)[1].split('"', 1)[0]
    assert claims(header.removeprefix("Bearer "))["sub"].startswith("agt_")


def test_no_token_is_emitted_when_a_check_fails(embedded: str) -> None:
    agent_token = ok_json(xrun("--mode", "agent", "--agent", "bot", "--json", "--show-token"))[
        "runs"
    ][0]["token"]["value"]
    r = xrun("--mode", "user", "--agent", "bot", "--subject-token", agent_token, "--emit", "header")
    assert r.exit_code == 5
    assert "Authorization:" not in r.stdout
    assert "no token emitted" in r.stderr


# -- the --json contract ---------------------------------------------------------------------

DATA_KEYS = {
    "profile",
    "provider",
    "issuer",
    "agent",
    "user",
    "mode",
    "via",
    "targets",
    "ok",
    "notes",
    "runs",
    "table",
    "emit",
}
RUN_KEYS = {
    "mode",
    "flow",
    "provider",
    "ok",
    "steps",
    "token",
    "tokens",
    "checks",
    "notes",
    "resource_view",
    "error",
}
STEP_KEYS = {"name", "grant", "endpoint", "outcome", "detail", "error"}
CHECK_KEYS = {"name", "ok", "expected", "actual", "reference", "token"}
TOKEN_KEYS = {
    "label",
    "fingerprint",
    "token_type",
    "issued_token_type",
    "expires_in",
    "scope",
    "explanation",
}
ROW_KEYS = {
    "mode",
    "flow",
    "subject",
    "actor",
    "client",
    "audience",
    "scopes",
    "lifetime",
    "audit",
    "checks",
    "ok",
    "error",
}


def test_json_contract(embedded: str) -> None:
    grant()
    r = xrun("--mode", "all", "--agent", "bot", "--user", "alice", "--json")
    doc = r.json()
    assert set(doc) == {"schema", "command", "status", "exit_code", "data", "errors", "warnings"}
    assert doc["schema"] == "agentctl.result/1"
    assert doc["command"] == ["exchange"]
    data = doc["data"]
    assert set(data) == DATA_KEYS
    assert data["provider"] == "local"
    assert data["mode"] == "all"
    for run_ in data["runs"]:
        assert set(run_) == RUN_KEYS
        assert all(set(s) == STEP_KEYS for s in run_["steps"])
        assert all(set(c) == CHECK_KEYS for c in run_["checks"])
        assert set(run_["token"]) == TOKEN_KEYS
    assert all(set(row) == ROW_KEYS for row in data["table"])


# -- the same over real HTTP: `agentctl idp` serving on 127.0.0.1 ---------------------------


def test_every_mode_over_http_against_a_served_idp(idp: Idp, tmp_path: Path) -> None:
    assert run("profile", "add", "served", "--kind", "local", "--issuer", idp.url()).exit_code == 0
    # An audience is the administrator's to allow: asserted by the client alone it is refused,
    # carried by an initial access token it is granted.
    r = run("register", "sbot", "--profile", "served", "--audience", API)
    assert r.exit_code == 6, r.stderr
    assert "set by the administrator" in r.stderr
    iat = tmp_path / "iat.txt"
    made = run("idp", "registration-token", "--audience", API, "--out", str(iat))
    assert made.exit_code == 0, made.stderr
    assert iat.stat().st_mode & 0o777 == 0o600
    r = run(
        *("register", "sbot", "--profile", "served", "--audience", API),
        "--initial-access-token-stdin",
        stdin=iat.read_text(),
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    idp.user("alice")
    idp.svc.grant("alice", "sbot")
    r = xrun("--mode", "all", "--profile", "served", "--agent", "sbot", "--user", "alice", "--json")
    data = ok_json(r)
    assert data["issuer"] == idp.url()
    assert [row["ok"] for row in data["table"]] == [True, True, True]
    endpoints = {s["endpoint"] for run_ in data["runs"] for s in run_["steps"]}
    assert f"{idp.url()}/token" in endpoints


def test_id_jag_over_http_against_a_served_idp(idp: Idp) -> None:
    # `agentctl register` against a running IdP goes through RFC 7591; the IdP registers the
    # agent at the resource AS that trusts it too (same client id), as the ID-JAG path needs.
    assert run("profile", "add", "served", "--kind", "local", "--issuer", idp.url()).exit_code == 0
    registered = run("register", "sbot", "--profile", "served", "--json")
    assert registered.exit_code == 0, registered.stdout
    assert registered.json()["data"]["agent"]["extra"]["registered_at"] == ["enterprise", "mcp-as"]
    idp.user("alice")
    resource = idp.url("mcp-as", "resource")
    r = xrun(
        "--via",
        "id-jag",
        "--resource",
        resource,
        "--profile",
        "served",
        "--agent",
        "sbot",
        "--user",
        "alice",
        "--json",
    )
    data = ok_json(r)
    assert data["runs"][0]["token"]["explanation"]["audience"] == [resource]


def test_user_mode_by_device_authorization_over_http(idp: Idp) -> None:
    """RFC 8628 end to end: the code is shown (here: to a hook that approves it on the IdP's
    own verification page, as a person would), then agentctl polls for the user's token."""
    import re
    from datetime import UTC, datetime

    from agentctl.config.resolve import resolve_settings
    from agentctl.http import build_http_client
    from agentctl.oauth.device import DeviceAuthorization
    from agentctl.services.exchange import ExchangeOptions, Hooks, run_exchange

    assert run("profile", "add", "served", "--kind", "local", "--issuer", idp.url()).exit_code == 0
    _save_served_agent(idp, "dbot")
    idp.user("alice")
    shown: list[str] = []

    def approve(auth: DeviceAuthorization) -> None:
        shown.append(auth.user_code)
        page = idp.http.get(auth.verification_uri_complete or auth.verification_uri)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None, page.text
        form = {"csrf": found.group(1), "user_code": auth.user_code, "username": "alice"}
        answer = idp.http.post(idp.url("enterprise", "device"), data={**form, "password": PASSWORD})
        assert answer.status_code == 200, answer.text

    with build_http_client() as http:
        result = run_exchange(
            ExchangeOptions(mode="user", agent="dbot"),
            settings=resolve_settings(profile_flag="served"),
            http=http,
            now=lambda: datetime.now(tz=UTC),
            hooks=Hooks(prompt=approve),
        )
    assert result.exit_code == 0, result.errors
    assert shown
    run_ = result.data["runs"][0]
    assert [s["grant"] for s in run_["steps"]][-1] == "urn:ietf:params:oauth:grant-type:device_code"
    assert run_["token"]["explanation"]["subject"]["id"] == "alice"


def test_device_sign_in_is_refused_up_front_in_process(embedded: str) -> None:
    r = xrun("--mode", "user", "--agent", "bot")
    assert r.exit_code == 2
    assert "--user NAME" in r.stderr


def _save_served_agent(idp: Idp, name: str) -> None:
    from agentctl.config.resolve import resolve_settings
    from agentctl.providers.base import Credential
    from agentctl.services.agents import AgentRecord, save_agent

    creds = idp.agent(name)
    save_agent(
        resolve_settings(profile_flag="served"),
        AgentRecord(name, creds.client_id, "served", "local", idp.url(), "client_secret"),
        Credential(creds.client_id, secret=creds.client_secret),
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=st.text(min_size=1, max_size=300).filter(lambda t: not t.startswith(("-", "@"))))
def test_any_subject_token_gets_a_clear_answer_never_a_traceback(embedded: str, token: str) -> None:
    r = xrun("--mode", "user", "--agent", "bot", "--subject-token", token, "--json")
    assert r.exit_code in (2, 5), r.stdout
    doc = r.json()
    assert doc["errors"]
    assert doc["errors"][0]["code"] != "internal"
