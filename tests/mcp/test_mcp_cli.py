"""`agentctl mcp` against an MCP server built with the official SDK (tests/mcp/server.py, a
subprocess on a free loopback port) whose authorization server is the embedded IdP's `mcp-as`,
served over HTTP in a thread; plus `exchange`'s resource view and `--emit-token id-jag`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentctl.services.mcp import parse_challenge
from tests.helpers import CliResult, run
from tests.idp.conftest import PASSWORD, Idp, decode, header, serving
from tests.mcp.fixtures import ROOT, McpServer

pytest.importorskip("mcp")
pytestmark = pytest.mark.slow


@pytest.fixture
def idp() -> Iterator[Idp]:
    with serving() as running:
        yield running


@pytest.fixture
def mcp_server(idp: Idp) -> Iterator[McpServer]:
    server = McpServer(idp.url("mcp-as"))
    try:
        yield server
    finally:
        server.stop()


def _setup(idp: Idp, server: McpServer) -> None:
    """An agent registered on the in-process profile (the built-in `local`), allowed the MCP
    server by the administrator; a user; a profile `served` pointing at the same IdP over
    HTTP. The agent is then used through `served`: one IdP, one set of agents."""
    r = run("register", "bot", "--sponsor", "owner@example.com")
    assert r.exit_code == 0, r.stderr
    r = run("idp", "agents", "set", "bot", "--audience", server.url)
    assert r.exit_code == 0, r.stderr
    idp.user("alice")
    r = run("profile", "add", "served", "--kind", "local", "--issuer", idp.url())
    assert r.exit_code == 0, r.stderr


ENV = {"AGENTCTL_USER_PASSWORD": PASSWORD}


def mcp(*args: str) -> CliResult:
    return run("mcp", *args, env=ENV)


def data_of(r: CliResult) -> dict[str, Any]:
    doc = json.loads(r.stdout)
    assert doc["command"] == ["mcp"]
    return doc["data"]  # type: ignore[no-any-return]


def failed_checks(data: dict[str, Any]) -> set[str]:
    return {c["name"] for c in data["run"]["checks"] if not c["ok"]}


def whoami(data: dict[str, Any]) -> dict[str, Any]:
    call = data["server"]["call"]
    assert call["tool"] == "whoami"
    assert not call["is_error"]
    return json.loads(call["content"][0]["text"])  # type: ignore[no-any-return]


# -- the server's authorization ------------------------------------------------------------------


def test_probe_from_the_in_process_profile_reaches_the_external_server(
    idp: Idp, mcp_server: McpServer
) -> None:
    # The built-in profile is the in-process IdP; the MCP server is not, so it must be asked
    # over the network (it used to be routed into the in-process IdP, which has no such URL).
    r = mcp(mcp_server.url, "--probe", "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    auth = data_of(r)["authorization"]
    assert auth["status"] == 401
    assert auth["challenge"]["resource_metadata"].endswith(
        "/.well-known/oauth-protected-resource/mcp"
    )
    assert auth["resource"] == mcp_server.url
    assert auth["authorization_servers"] == [idp.url("mcp-as")]
    server = auth["authorization_server"]
    assert server["id_jag"] is True
    assert "client_credentials" in server["grant_types_supported"]


# -- each mode ---------------------------------------------------------------------------------


def test_default_mode_is_id_jag_and_the_server_sees_the_user(
    idp: Idp, mcp_server: McpServer
) -> None:
    _setup(idp, mcp_server)
    r = mcp(mcp_server.url, "--profile", "served", "--agent", "bot", "--user", "alice",
            "--call", "whoami", "--json")  # fmt: skip
    assert r.exit_code == 0, r.stdout + r.stderr
    data = data_of(r)
    assert data["mode"] == "id-jag"
    assert data["server"]["accepted"] is True
    assert {t["name"] for t in data["server"]["tools"]} == {"whoami", "echo"}
    who = whoami(data)
    assert who["sub"] == "alice"
    assert who["iss"] == idp.url("mcp-as")
    assert who["client_id"] == data["agent"]["client_id"]
    names = {c["name"] for c in data["run"]["checks"]}
    assert {"issuer is an authorization server of the resource", "not expired"} <= names
    assert "the MCP server accepted the token" in names


def test_agent_mode_at_the_resources_authorization_server(idp: Idp, mcp_server: McpServer) -> None:
    _setup(idp, mcp_server)
    r = mcp(mcp_server.url, "--mode", "agent", "--profile", "served", "--agent", "bot",
            "--call", "echo", "--args", '{"text": "hello"}', "--json")  # fmt: skip
    assert r.exit_code == 0, r.stdout + r.stderr
    data = data_of(r)
    assert data["run"]["token"]["explanation"]["issuer"] == idp.url("mcp-as")
    assert data["server"]["call"]["content"] == [{"type": "text", "text": "hello"}]


def test_user_mode_on_another_domain_travels_as_an_id_jag(idp: Idp, mcp_server: McpServer) -> None:
    _setup(idp, mcp_server)
    r = mcp(mcp_server.url, "--mode", "user", "--profile", "served", "--agent", "bot",
            "--user", "alice", "--call", "whoami", "--json")  # fmt: skip
    assert r.exit_code == 0, r.stdout + r.stderr
    data = data_of(r)
    assert whoami(data)["sub"] == "alice"
    assert whoami(data)["act"] is None
    assert any("ID-JAG" in n for n in data["notes"])


def test_obo_is_refused_where_the_as_does_not_trust_the_idps_tokens(
    idp: Idp, mcp_server: McpServer
) -> None:
    _setup(idp, mcp_server)
    r = mcp(mcp_server.url, "--mode", "obo", "--profile", "served", "--agent", "bot",
            "--user", "alice", "--json")  # fmt: skip
    assert r.exit_code == 6, r.stdout + r.stderr
    data = data_of(r)
    assert data["server"] is None  # nothing was presented
    assert any("--mode id-jag" in n for n in data["notes"])


# -- refusals: what the server would not take -----------------------------------------------------


def _token(args: list[str]) -> tuple[str, dict[str, Any]]:
    r = run("exchange", *args, "--show-token", "--json", env=ENV)
    doc = json.loads(r.stdout)
    assert doc["data"].get("runs"), doc["errors"]
    return doc["data"]["runs"][0]["token"]["value"], doc


def test_wrong_issuer_is_a_failed_check_naming_the_as_and_the_server_refuses(
    idp: Idp, mcp_server: McpServer
) -> None:
    _setup(idp, mcp_server)
    # exchange --mode agent --resource <MCP server>: a token from the enterprise issuer. It
    # used to report "every check holds"; the resource trusts only mcp-as.
    token, doc = _token(
        ["--mode", "agent", "--profile", "served", "--agent", "bot", "--resource", mcp_server.url]
    )
    assert doc["exit_code"] == 5
    checks = {c["name"]: c for c in doc["data"]["runs"][0]["checks"]}
    wrong = checks["issuer is an authorization server of the resource"]
    assert not wrong["ok"]
    assert wrong["expected"] == idp.url("mcp-as")
    assert any(idp.url("mcp-as") in n for n in doc["data"]["runs"][0]["notes"])
    r = mcp(mcp_server.url, "--token", token, "--json")
    assert r.exit_code == 5, r.stdout + r.stderr
    data = data_of(r)
    assert "issuer is an authorization server of the resource" in failed_checks(data)
    assert "the MCP server accepted the token" in failed_checks(data)
    assert data["server"]["status"] == 401
    assert "invalid_token" in data["server"]["www_authenticate"]


def test_wrong_audience_is_refused(idp: Idp, mcp_server: McpServer) -> None:
    _setup(idp, mcp_server)
    # The right issuer (mcp-as, through ID-JAG), but for its demo resource, not this server.
    token, doc = _token(
        [
            "--via",
            "id-jag",
            "--resource",
            idp.url("mcp-as", "resource"),
            "--profile",
            "served",
            "--agent",
            "bot",
            "--user",
            "alice",
        ]
    )
    assert doc["exit_code"] == 0, doc["errors"]
    r = mcp(mcp_server.url, "--token", token, "--json")
    assert r.exit_code == 5, r.stdout + r.stderr
    data = data_of(r)
    assert failed_checks(data) == {"audience is the resource", "the MCP server accepted the token"}


def test_expired_token_is_a_failed_check_and_refused(tmp_path: Any) -> None:
    # An IdP whose clock runs an hour behind issues tokens already expired by real time.
    with serving(clock=lambda: time.time() - 3600) as idp:
        server = McpServer(idp.url("mcp-as"))
        try:
            _setup(idp, server)
            r = mcp(server.url, "--mode", "agent", "--profile", "served", "--agent", "bot",
                    "--json")  # fmt: skip
        finally:
            server.stop()
    assert r.exit_code == 5, r.stdout + r.stderr
    data = data_of(r)
    assert failed_checks(data) == {"not expired", "the MCP server accepted the token"}


# -- exchange: leg 1 alone, for another client -----------------------------------------------------


def test_emit_token_id_jag_stops_after_leg_one(idp: Idp, mcp_server: McpServer) -> None:
    _setup(idp, mcp_server)
    r = run("exchange", "--via", "id-jag", "--resource", mcp_server.url, "--profile", "served",
            "--agent", "bot", "--user", "alice", "--emit", "env", "--emit-token", "id-jag",
            env=ENV)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    jag = r.stdout.strip().removeprefix("export AGENTCTL_TOKEN=").strip("'")
    assert header(jag)["typ"] == "oauth-id-jag+jwt"
    assert decode(jag)["aud"] == idp.url("mcp-as")
    assert decode(jag)["resource"] == mcp_server.url
    assert "jwt-bearer" not in r.stderr.split("stopped after leg 1")[0].split("ID-JAG from")[1]
    events = [e["event"] for e in idp.svc.audit(issuer="mcp-as", limit=20)]
    assert not any("jwt" in e or "token" in e for e in events), events


def test_emit_token_id_jag_needs_the_id_jag_path() -> None:
    r = run("exchange", "--mode", "agent", "--emit", "env", "--emit-token", "id-jag")
    assert r.exit_code == 2
    assert "--via id-jag" in r.stderr


# -- bad input and the optional SDK --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["ftp://127.0.0.1/mcp"], "not an MCP server URL"),
        (["http://mcp.example.com/mcp"], "plain http"),
        (["http://127.0.0.1:1/mcp", "--call", "echo", "--args", "{nope"], "--args is not JSON"),
        (["http://127.0.0.1:1/mcp", "--call", "echo", "--args", "[1]"], "JSON object"),
        (["http://127.0.0.1:1/mcp", "--args", "{}"], "--args goes with --call"),
        (["http://127.0.0.1:1/mcp", "--mode", "agent", "--token", "a.b.c"], "--token"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], says: str) -> None:
    r = run("mcp", *args)
    assert r.exit_code == 2, r.stdout + r.stderr
    assert says in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_without_the_sdk_one_line_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['mcp'] = None; sys.argv = ['agentctl', 'mcp', "
        "'http://127.0.0.1:1/mcp']; from agentctl.cli.app import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "agentctl[mcp]" in done.stderr
    assert "Traceback" not in done.stderr


@given(st.text(max_size=300))
def test_parse_challenge_never_raises(text: str) -> None:
    for header_value in (text, "Bearer " + text):
        parsed = parse_challenge(header_value)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items())


def test_parse_challenge_reads_quoted_and_bare_values() -> None:
    got = parse_challenge(
        'Bearer error="invalid_token", error_description="a \\"quoted\\" word", '
        "resource_metadata=https://x/.well-known/oauth-protected-resource/mcp"
    )
    assert got == {
        "error": "invalid_token",
        "error_description": 'a "quoted" word',
        "resource_metadata": "https://x/.well-known/oauth-protected-resource/mcp",
    }
    assert parse_challenge('Basic realm="x"') == {}
