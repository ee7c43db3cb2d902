"""`agentctl register` through the CLI: embedded IdP (in-process and over HTTP), the npm
OpenID provider, Entra through its emulator, and the failures a user meets."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest
from flask import Flask, jsonify, request

from agentctl.http import build_http_client
from agentctl.idp.inprocess import in_process_client
from agentctl.idp.service import IdpService
from agentctl.providers.base import Credential
from agentctl.providers.local import LocalProvider
from agentctl.providers.oidc import OidcProvider
from tests.conftest import MemoryKeyring
from tests.emulators.entra.profile import add_entra_profile
from tests.emulators.entra.world import EntraWorld, make_world
from tests.helpers import run, state_db_bytes, stored_credential
from tests.idp.conftest import Idp, _fast_kdf, decode, idp  # noqa: F401 - fixtures


def _json(*args: str, **kw: Any) -> dict[str, Any]:
    res = run(*args, "--json", **kw)
    assert res.exit_code == 0, res.stdout + res.stderr
    return res.json()  # type: ignore[no-any-return]


def _embedded() -> LocalProvider:
    return LocalProvider.embedded(in_process_client(IdpService.open()))


def _cred(data: dict[str, Any]) -> Credential:
    agent = data["agent"]
    cred = data["credential"]
    return Credential(
        agent["client_id"],
        cred["method"],
        secret=cred.get("secret"),
        private_key_pem=cred.get("private_key_pem"),
        key_id=cred.get("key_id"),
    )


# -- the embedded IdP, in-process ---------------------------------------------------------------


def test_register_on_the_embedded_idp_prints_what_was_made_and_not_the_secret() -> None:
    res = run("register", "billing-bot", "--sponsor", "alice@example.com", "--may-act-for", "alice")
    assert res.exit_code == 0, res.stderr
    out = res.stdout
    assert "registered agent billing-bot" in out
    assert "http://127.0.0.1:8400/i/enterprise/token" in out
    assert "agentctl.sqlite3" in out  # where the secret is stored
    secret = stored_credential("billing-bot")["secret"]
    assert secret not in out
    assert secret not in res.stderr
    agent = IdpService.open().agent("billing-bot")
    assert (agent.sponsor, agent.may_act_for) == ("alice@example.com", ["alice"])


def test_show_secret_prints_a_secret_that_works() -> None:
    data = _json("register", "bot", "--show-secret")["data"]
    assert data["action"] == "created"
    token = _embedded().client_credentials(_cred(data))
    assert decode(token.access_token)["sub"] == data["agent"]["client_id"]


def test_private_key_jwt_keeps_the_private_key_and_registers_the_public_one() -> None:
    data = _json("register", "pk", "--credential", "private-key-jwt", "--show-secret")["data"]
    assert data["agent"]["credential_type"] == "private_key_jwt"
    assert "PRIVATE KEY" in data["credential"]["private_key_pem"]
    client = IdpService.open().client(data["agent"]["client_id"])
    assert "d" not in client.metadata["jwks"]["keys"][0]  # public part only
    assert _embedded().client_credentials(_cred(data)).access_token
    hidden = run("agent", "show", "pk", "--json").stdout
    assert "PRIVATE KEY" not in hidden


def test_rerun_reports_the_existing_agent_and_replace_makes_a_new_one() -> None:
    first = _json("register", "bot", "--show-secret")["data"]
    again = run("register", "bot")
    assert again.exit_code == 0
    assert "agent bot is already registered" in again.stdout
    assert first["agent"]["client_id"] in again.stdout
    replaced = _json("register", "bot", "--replace")["data"]
    assert replaced["action"] == "replaced"
    assert replaced["agent"]["client_id"] != first["agent"]["client_id"]
    provider = _embedded()
    assert not provider.agent_exists(first["agent"]["client_id"])  # the old one is gone
    assert provider.agent_exists(replaced["agent"]["client_id"])


def test_dry_run_shows_the_request_and_changes_nothing() -> None:
    res = run(
        "register", "planned", "--scope", "read", "--audience", "https://api.example", "--dry-run"
    )
    assert res.exit_code == 0, res.stderr
    assert "POST http://127.0.0.1:8400/i/enterprise/register" in res.stdout
    assert '"allowed_audiences"' in res.stdout
    data = _json("register", "planned", "--dry-run")["data"]
    assert data["action"] == "dry_run"
    assert data["requests"][0]["body"]["client_name"] == "planned"
    assert IdpService.open().list_agents() == []
    assert _json("agent", "list")["data"]["agents"] == []


def test_embedded_idp_needs_no_keyring() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    assert run("register", "headless").exit_code == 0
    assert run("agent", "rotate", "headless").exit_code == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--credential", "password"], "unknown credential type 'password'"),
        (["--kind", "app"], "--kind and --agent-user are for Entra profiles"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], says: str) -> None:
    res = run("register", "bot", *args)
    assert res.exit_code == 2
    assert says in res.stderr
    assert "Traceback" not in res.stderr


# -- a running embedded IdP, by URL -------------------------------------------------------------


def _served_profile(idp: Idp, *extra: str) -> None:  # noqa: F811
    res = run("profile", "add", "srv", "--kind", "local", "--issuer", idp.url(), *extra)
    assert res.exit_code == 0, res.stderr


def test_register_over_http_keeps_the_secret_in_the_keyring(
    idp: Idp,  # noqa: F811
    memory_keyring: MemoryKeyring,
) -> None:
    _served_profile(idp, "--secret-store", "keyring")
    data = _json("register", "remote", "--profile", "srv", "--sponsor", "bob@example.com")["data"]
    assert "OS keyring" in data["credential"]["stored_in"]
    blob = json.loads(memory_keyring.items[("agentctl", "srv/agent/remote")])
    assert blob["registration_access_token"]  # kept for RFC 7592 rotate/delete
    assert blob["secret"].encode() not in state_db_bytes()
    assert idp.svc.agent("remote").sponsor == "bob@example.com"
    client = build_http_client(timeout=10)
    provider = LocalProvider.at_url(client, idp.url())
    cred = Credential(data["agent"]["client_id"], secret=blob["secret"])
    assert provider.client_credentials(cred).access_token


def test_a_store_failure_after_registration_rolls_the_client_back(idp: Idp) -> None:  # noqa: F811
    _served_profile(idp, "--secret-store", "keyring")
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    res = run("register", "doomed", "--profile", "srv")
    assert res.exit_code == 3
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "no usable OS keyring" in lines[0]
    assert "removed from the IdP again" in lines[0]
    assert idp.svc.list_agents() == []  # nothing half-made at the IdP
    assert run("agent", "list", "--profile", "srv", "--json").json()["data"]["agents"] == []


def test_a_served_embedded_idp_also_keeps_credentials_with_its_data(idp: Idp) -> None:  # noqa: F811
    _served_profile(idp)
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    data = _json("register", "remote", "--profile", "srv")["data"]
    assert "agentctl.sqlite3" in data["credential"]["stored_in"]
    assert data["agent"]["extra"]["registration_client_uri"].startswith(idp.url())
    assert run("agent", "delete", "remote", "--profile", "srv").exit_code == 0
    assert idp.svc.list_agents() == []  # deleted at the server by RFC 7592


# -- the independent OpenID provider (npm) -----------------------------------------------------


@pytest.mark.peer
def test_register_at_the_npm_provider_by_rfc7591(oidc_peer: str) -> None:
    assert run("profile", "add", "peer", "--issuer", oidc_peer).exit_code == 0
    data = _json(
        "register", "peer-bot", "--profile", "peer", "--scope", "api:read", "--show-secret"
    )["data"]
    assert data["registration"]["registration_client_uri"].startswith(oidc_peer)
    provider = OidcProvider.discover(build_http_client(timeout=10), oidc_peer)
    token = provider.client_credentials(_cred(data), scope="api:read")
    assert token.access_token
    dry = _json("register", "other", "--profile", "peer", "--dry-run")["data"]
    assert dry["requests"][0]["method"] == "POST"
    assert dry["requests"][0]["url"] == provider.metadata()["registration_endpoint"]
    assert dry["requests"][0]["body"]["client_name"] == "other"
    assert [a["name"] for a in _json("agent", "list", "--profile", "peer")["data"]["agents"]] == [
        "peer-bot"
    ]


# -- failures a user meets ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_one_line_and_exit_7() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    assert run("profile", "add", "dead", "--issuer", url).exit_code == 0
    res = run("register", "bot", "--profile", "dead")
    assert res.exit_code == 7
    assert res.stderr.count("\n") == 1
    assert "connection refused" in res.stderr
    assert "Traceback" not in res.stderr


def _strict_idp() -> Flask:
    """An IdP whose registration endpoint demands an initial access token."""
    app = Flask("strict")
    issuer = "https://strict.example"

    @app.get("/.well-known/openid-configuration")
    def metadata() -> Any:
        return jsonify(
            issuer=issuer,
            token_endpoint=f"{issuer}/token",
            registration_endpoint=f"{issuer}/register",
            grant_types_supported=["client_credentials"],
        )

    @app.post("/register")
    def register() -> Any:
        if request.headers.get("Authorization") != "Bearer iat-123":
            return jsonify(error="invalid_token"), 401
        body = request.get_json()
        return jsonify(client_id="new-client", client_secret="x", **body), 201

    return app


@pytest.fixture
def strict() -> dict[str, Any]:
    transport = httpx.WSGITransport(app=_strict_idp())
    assert run("profile", "add", "strict", "--issuer", "https://strict.example").exit_code == 0
    return {"transport": transport}


def test_idp_refusing_registration_names_the_initial_access_token(
    strict: dict[str, Any],
) -> None:
    res = run("register", "bot", "--profile", "strict", obj=strict)
    assert res.exit_code == 6
    assert "requires an initial access token" in res.stderr
    assert "--initial-access-token-stdin" in res.stderr
    ok = run(
        "register",
        "bot",
        "--profile",
        "strict",
        "--initial-access-token-stdin",
        stdin="iat-123\n",
        obj=strict,
    )
    assert ok.exit_code == 0, ok.stderr
    assert "new-client" in ok.stdout


def test_initial_access_token_from_the_environment(strict: dict[str, Any]) -> None:
    res = run(
        "register",
        "bot",
        "--profile",
        "strict",
        "--may-act-for",
        "alice",
        "--json",
        obj=strict,
        env={"AGENTCTL_INITIAL_ACCESS_TOKEN": "iat-123"},
    )
    assert res.exit_code == 0, res.stderr
    # Options an RFC 7591 server has no field for are said to be dropped, not silently lost.
    assert any("--may-act-for was not sent" in w for w in res.json()["warnings"])


def test_a_wrong_initial_access_token_is_named(strict: dict[str, Any]) -> None:
    res = run(
        "register",
        "bot",
        "--profile",
        "strict",
        obj=strict,
        env={"AGENTCTL_INITIAL_ACCESS_TOKEN": "stale"},
    )
    assert res.exit_code == 6
    assert "the token was not accepted" in res.stderr
    assert "stale" not in res.stderr  # the token itself is never echoed


# -- Entra, through the emulator ---------------------------------------------------------------


@pytest.fixture
def entra() -> Iterator[EntraWorld]:
    world = make_world()
    add_entra_profile(world)
    yield world
    world.http.close()


def test_entra_register_app_through_the_cli(
    entra: EntraWorld, memory_keyring: MemoryKeyring
) -> None:
    obj = {"transport": entra.transport}
    data = _json("register", "report-bot", "--profile", "contoso", "--kind", "app", obj=obj)["data"]
    agent = data["agent"]
    assert agent["kind"] == "entra"
    assert agent["credential_type"] == "client_secret"
    assert agent["extra"]["entra_kind"] == "app"
    assert entra.emu.apps[agent["extra"]["object_id"]].app_id == agent["client_id"]
    blob = json.loads(memory_keyring.items[("agentctl", "contoso/agent/report-bot")])
    assert blob["secret"]
    assert blob["client_id"] == agent["client_id"]
    cert = _json(
        "register",
        "cert-bot",
        "--profile",
        "contoso",
        "--kind",
        "app",
        "--credential",
        "private-key-jwt",
        obj=obj,
    )["data"]
    assert cert["agent"]["credential_type"] == "certificate"


def test_entra_register_agent_identity_through_the_cli(
    entra: EntraWorld, memory_keyring: MemoryKeyring
) -> None:
    obj = {"transport": entra.transport}
    res = run(
        "register",
        "triage",
        "--profile",
        "contoso",
        "--kind",
        "agent-identity",
        "--sponsor",
        "alice@contoso.onmicrosoft.com",
        "--agent-user",
        "triage@contoso.onmicrosoft.com",
        obj=obj,
    )
    assert res.exit_code == 0, res.stderr
    assert "agent-identity" in res.stdout
    assert "blueprint" in res.stdout
    agent = _json("agent", "show", "triage", "--profile", "contoso")["data"]["agent"]
    assert agent["credential_type"] == "entra-agent-identity"
    blueprint = agent["extra"]["blueprint"]
    blob = json.loads(memory_keyring.items[("agentctl", "contoso/agent/triage")])
    assert blob["client_id"] == blueprint["app_id"]  # the credential is the blueprint's
    assert agent["extra"]["agent_user"]["upn"] == "triage@contoso.onmicrosoft.com"


def test_entra_dry_run_prints_graph_requests_and_creates_nothing(entra: EntraWorld) -> None:
    before = set(entra.emu.apps)
    data = _json(
        "register",
        "planned",
        "--profile",
        "contoso",
        "--kind",
        "agent-identity",
        "--sponsor",
        "alice@contoso.onmicrosoft.com",
        "--dry-run",
        obj={"transport": entra.transport},
    )["data"]
    urls = [r["url"] for r in data["requests"]]
    assert any(
        u.endswith("/v1.0/applications/microsoft.graph.agentIdentityBlueprint") for u in urls
    )
    assert any(u.endswith("/v1.0/servicePrincipals/microsoft.graph.agentIdentity") for u in urls)
    assert set(entra.emu.apps) == before
