"""`agentctl agent list|show|rotate|delete` through the CLI, and the `--json` contract of every
command this area adds (register, agent …, doctor)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agentctl.errors import OAuthError
from agentctl.http import build_http_client
from agentctl.idp.inprocess import in_process_client
from agentctl.idp.service import IdpService
from agentctl.providers.base import Credential
from agentctl.providers.local import LocalProvider
from agentctl.providers.oidc import OidcProvider
from tests.conftest import MemoryKeyring
from tests.emulators.entra.profile import add_entra_profile
from tests.emulators.entra.world import EntraWorld, make_world
from tests.helpers import run, stored_credential
from tests.idp.conftest import _fast_kdf  # noqa: F401 - fixture

ENVELOPE = {"schema", "command", "status", "exit_code", "data", "errors", "warnings"}


def _json(*args: str, **kw: Any) -> dict[str, Any]:
    res = run(*args, "--json", **kw)
    assert res.exit_code == 0, res.stdout + res.stderr
    doc = res.json()
    assert set(doc) >= {"schema", "command", "status", "exit_code", "data"}
    return doc  # type: ignore[no-any-return]


def _embedded() -> LocalProvider:
    return LocalProvider.embedded(in_process_client(IdpService.open()))


def _stored(name: str) -> dict[str, Any]:
    return stored_credential(name)


def _cred(blob: dict[str, Any]) -> Credential:
    return Credential(
        blob["client_id"],
        blob["method"],
        secret=blob.get("secret"),
        private_key_pem=blob.get("private_key_pem"),
        key_id=blob.get("key_id"),
    )


def test_list_and_show() -> None:
    assert "no agents in profile local" in run("agent", "list").stdout
    run("register", "a-bot", "--sponsor", "alice@example.com")
    run("register", "b-bot", "--credential", "private-key-jwt")
    listed = run("agent", "list")
    assert listed.exit_code == 0
    assert "a-bot" in listed.stdout
    assert "b-bot" in listed.stdout
    names = [a["name"] for a in _json("agent", "list")["data"]["agents"]]
    assert names == ["a-bot", "b-bot"]
    shown = _json("agent", "show", "a-bot")["data"]
    assert shown["credential"]["present"] is True
    assert shown["at_idp"] is True
    assert shown["agent"]["sponsor"] == "alice@example.com"
    by_id = _json("agent", "show", shown["agent"]["client_id"])["data"]
    assert by_id["agent"]["name"] == "a-bot"


@pytest.mark.parametrize("credential", ["client-secret", "private-key-jwt"])
def test_rotate_changes_the_credential_at_the_idp_and_in_the_store(credential: str) -> None:
    run("register", "rot", "--credential", credential)
    old = _cred(_stored("rot"))
    res = run("agent", "rotate", "rot")
    assert res.exit_code == 0, res.stderr
    assert "rotated agent rot" in res.stdout
    new = _cred(_stored("rot"))
    assert (new.secret, new.private_key_pem) != (old.secret, old.private_key_pem)
    provider = _embedded()
    with pytest.raises(OAuthError):
        provider.client_credentials(old)
    assert provider.client_credentials(new).access_token


def test_delete_removes_it_at_the_idp_and_locally() -> None:
    data = _json("register", "gone")["data"]
    res = run("agent", "delete", "gone")
    assert res.exit_code == 0, res.stderr
    assert not _embedded().agent_exists(data["agent"]["client_id"])
    assert _json("agent", "list")["data"]["agents"] == []
    missing = run("agent", "delete", "gone")
    assert missing.exit_code == 3
    assert "no agent named gone in profile local" in missing.stderr


def test_unknown_agent_is_one_line_with_the_fix() -> None:
    for cmd in (["show"], ["rotate"], ["delete"]):
        res = run("agent", *cmd, "nobody")
        assert res.exit_code == 3
        assert res.stderr.strip() == (
            "error: no agent named nobody in profile local — agentctl register nobody"
        )


def test_show_notices_an_agent_deleted_behind_its_back() -> None:
    data = _json("register", "ghost")["data"]
    svc = IdpService.open()
    from agentctl.idp import records

    for issuer in ("enterprise", "mcp-as"):
        records.delete_client(svc.store, issuer, data["agent"]["client_id"])
    shown = _json("agent", "show", "ghost")["data"]
    assert shown["at_idp"] is False
    assert "no longer knows" in run("agent", "show", "ghost").stdout


# -- the npm OpenID provider: RFC 7592 ---------------------------------------------------------


@pytest.mark.peer
def test_rotate_and_delete_at_the_npm_provider_by_rfc7592(
    oidc_peer: str, memory_keyring: MemoryKeyring
) -> None:
    assert run("profile", "add", "peer", "--issuer", oidc_peer).exit_code == 0
    run("register", "pk", "--profile", "peer", "--credential", "private-key-jwt")
    blob = json.loads(memory_keyring.items[("agentctl", "peer/agent/pk")])
    res = run("agent", "rotate", "pk", "--profile", "peer")
    assert res.exit_code == 0, res.stderr
    new = json.loads(memory_keyring.items[("agentctl", "peer/agent/pk")])
    assert new["private_key_pem"] != blob["private_key_pem"]
    provider = OidcProvider.discover(build_http_client(timeout=10), oidc_peer)
    assert provider.client_credentials(_cred(new), scope="api:read").access_token
    with pytest.raises(OAuthError):
        provider.client_credentials(_cred(blob), scope="api:read")
    assert run("agent", "delete", "pk", "--profile", "peer").exit_code == 0
    assert ("agentctl", "peer/agent/pk") not in memory_keyring.items
    with pytest.raises(OAuthError):
        provider.client_credentials(_cred(new), scope="api:read")


@pytest.mark.peer
def test_an_idp_that_keeps_secrets_on_update_says_so_and_stays_manageable(
    oidc_peer: str,
) -> None:
    assert run("profile", "add", "peer", "--issuer", oidc_peer).exit_code == 0
    assert run("register", "s", "--profile", "peer").exit_code == 0
    res = run("agent", "rotate", "s", "--profile", "peer")
    assert res.exit_code == 8
    assert "kept the same client secret" in res.stderr
    assert "--credential private-key-jwt" in res.stderr
    # The registration access token the update may have rotated was kept: delete still works.
    deleted = run("agent", "delete", "s", "--profile", "peer")
    assert deleted.exit_code == 0, deleted.stderr


# -- Entra -------------------------------------------------------------------------------------


@pytest.fixture
def entra() -> Iterator[EntraWorld]:
    world = make_world()
    add_entra_profile(world)
    yield world
    world.http.close()


def test_entra_rotate_and_delete(entra: EntraWorld, memory_keyring: MemoryKeyring) -> None:
    obj = {"transport": entra.transport}
    data = _json("register", "app-bot", "--profile", "contoso", "--kind", "app", obj=obj)["data"]
    object_id = data["agent"]["extra"]["object_id"]
    before = json.loads(memory_keyring.items[("agentctl", "contoso/agent/app-bot")])["secret"]
    rotated = _json("agent", "rotate", "app-bot", "--profile", "contoso", obj=obj)["data"]
    after = json.loads(memory_keyring.items[("agentctl", "contoso/agent/app-bot")])["secret"]
    assert after != before
    assert any(r["url"].endswith("/addPassword") for r in rotated["requests"])
    assert len(entra.emu.apps[object_id].passwords) == 1  # the old secret was removed
    assert run("agent", "delete", "app-bot", "--profile", "contoso", obj=obj).exit_code == 0
    assert object_id not in entra.emu.apps


def test_entra_agent_identity_delete_removes_what_register_made(entra: EntraWorld) -> None:
    obj = {"transport": entra.transport}
    data = _json(
        "register",
        "aid",
        "--profile",
        "contoso",
        "--kind",
        "agent-identity",
        "--sponsor",
        "alice@contoso.onmicrosoft.com",
        obj=obj,
    )["data"]
    blueprint = data["agent"]["extra"]["blueprint"]["object_id"]
    assert run("agent", "rotate", "aid", "--profile", "contoso", obj=obj).exit_code == 0
    deleted = _json("agent", "delete", "aid", "--profile", "contoso", obj=obj)["data"]
    assert any("blueprint" in d for d in deleted["deleted_at_idp"])
    # Deletes are soft (30-day recycle bin): the blueprint is marked deleted, not purged.
    assert entra.emu.apps[blueprint].deleted_at is not None


# -- the JSON contract -------------------------------------------------------------------------

AGENT_KEYS = {
    "name",
    "client_id",
    "profile",
    "kind",
    "issuer",
    "credential_type",
    "description",
    "sponsor",
    "secret_location",
    "extra",
}
CONTRACT: dict[tuple[str, ...], set[str]] = {
    ("register",): {"action", "dry_run", "agent", "registration", "credential", "requests"},
    ("register", "--dry-run"): {
        "action",
        "dry_run",
        "agent",
        "registration",
        "credential",
        "requests",
        "notes",
    },
    ("agent", "list"): {"profile", "kind", "agents"},
    ("agent", "show"): {"agent", "credential", "at_idp"},
    ("agent", "rotate"): {"action", "agent", "credential", "requests"},
    ("agent", "delete"): {"action", "agent", "deleted_at_idp", "forgotten"},
    ("doctor",): {
        "profile",
        "reachable",
        "checks",
        "capabilities",
        "modes",
        "clock",
        "keyring",
        "summary",
    },
}


def test_json_contract_of_every_command() -> None:
    docs = {
        ("register",): _json("register", "c"),
        ("register", "--dry-run"): _json("register", "d", "--dry-run"),
        ("agent", "list"): _json("agent", "list"),
        ("agent", "show"): _json("agent", "show", "c"),
        ("agent", "rotate"): _json("agent", "rotate", "c"),
        ("agent", "delete"): _json("agent", "delete", "c"),
        ("doctor",): _json("doctor"),
    }
    for key, doc in docs.items():
        assert set(doc) == ENVELOPE, key
        assert doc["schema"] == "agentctl.result/1"
        assert set(doc["data"]) == CONTRACT[key], key
    assert docs[("register",)]["command"] == ["register"]
    assert docs[("agent", "rotate")]["command"] == ["agent", "rotate"]
    for key in (("register",), ("agent", "show"), ("agent", "rotate"), ("agent", "delete")):
        assert set(docs[key]["data"]["agent"]) == AGENT_KEYS, key
    assert set(docs[("register",)]["data"]["credential"]) == {
        "type",
        "method",
        "key_id",
        "stored_in",
    }
    check = docs[("doctor",)]["data"]["checks"][0]
    assert set(check) == {"id", "section", "status", "message", "fix"}
    assert set(docs[("doctor",)]["data"]["summary"]) == {"ok", "no", "warn", "fail", "info"}
    assert set(docs[("doctor",)]["data"]["modes"]) == {"register", "agent", "user", "obo", "id-jag"}


def test_errors_use_the_envelope_too() -> None:
    res = run("agent", "show", "nobody", "--json")
    assert res.exit_code == 3
    doc = res.json()
    assert doc["status"] == "error"
    assert doc["command"] == ["agent", "show"]
    assert doc["errors"][0]["code"] == "config"
    assert doc["errors"][0]["hint"] == "agentctl register nobody"
