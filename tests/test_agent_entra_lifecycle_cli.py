"""`agentctl agent disable|enable|restore` on Entra agent identities, against the emulator whose
admin app holds exactly the README's permissions (agentidentity-update, agentidentity-delete,
directory-deleteditems-restore)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agentctl.config.resolve import resolve_settings
from tests.emulators.entra.model import DOCUMENTED_ADMIN_ROLES
from tests.emulators.entra.profile import add_entra_profile
from tests.emulators.entra.world import EntraWorld, make_world
from tests.helpers import run


@pytest.fixture
def entra() -> Iterator[EntraWorld]:
    world = make_world()
    add_entra_profile(world)
    yield world
    world.http.close()


def _cli(world: EntraWorld, *args: str, code: int = 0) -> dict[str, Any]:
    res = run(*args, "--profile", "contoso", "--json", obj={"transport": world.transport})
    assert res.exit_code == code, res.stdout + res.stderr
    return res.json()  # type: ignore[no-any-return]


def _register(world: EntraWorld, name: str) -> dict[str, Any]:
    doc = _cli(world, "register", name, "--kind", "agent-identity", "--sponsor", world.alice.id)
    return doc["data"]  # type: ignore[no-any-return]


def _agent_token(world: EntraWorld, name: str, code: int = 0) -> dict[str, Any]:
    return _cli(world, "exchange", "--mode", "agent", "--agent", name, code=code)


def _sp(world: EntraWorld, name: str) -> Any:
    return next(s for s in world.tenant.sps.values() if s.display_name == name)


def test_disable_stops_tokens_and_enable_brings_them_back(entra: EntraWorld) -> None:
    _register(entra, "bot")
    _agent_token(entra, "bot")
    doc = _cli(entra, "agent", "disable", "bot")
    assert doc["data"]["action"] == "disabled"
    assert doc["data"]["agent"]["extra"]["enabled"] is False
    # Done as the blueprint (AgentIdentity.CreateAsManager), the typed agentIdentity path.
    (call,) = doc["data"]["graph_calls"]
    assert (call["method"], call["auth"]) == ("PATCH", "blueprint")
    assert call["url"].endswith("/microsoft.graph.agentIdentity")
    assert _sp(entra, "bot").enabled is False
    refused = _agent_token(entra, "bot", code=6)
    text = str(refused["errors"])
    assert "7000112" in text
    assert "agent enable" in text
    assert _cli(entra, "agent", "enable", "bot")["data"]["action"] == "enabled"
    assert _agent_token(entra, "bot")["status"] == "ok"


def test_disable_without_the_blueprint_credential_needs_enable_disable_all(
    entra: EntraWorld,
) -> None:
    # The admin app of the README lacks AgentIdentity.EnableDisable.All: without the blueprint's
    # credential the emulator refuses, as agentidentity-update documents.
    _register(entra, "bot")
    from agentctl.config.resolve import resolve_settings
    from agentctl.services.entra_lifecycle import set_agent_enabled

    settings = resolve_settings(profile_flag="contoso")
    from agentctl.services import agents as store

    store._store(settings).delete(store.secret_key("contoso", "bot"))
    from agentctl.errors import ProviderError

    with pytest.raises(ProviderError) as caught:
        set_agent_enabled(settings, entra.http, "bot", enabled=False)
    assert "403" in caught.value.message
    assert "EnableDisable" in caught.value.message
    assert _sp(entra, "bot").enabled is True
    assert "AgentIdentity.EnableDisable.All" not in DOCUMENTED_ADMIN_ROLES


def test_an_ordinary_app_cannot_be_disabled_this_way(entra: EntraWorld) -> None:
    _cli(entra, "register", "plain", "--kind", "app")
    doc = _cli(entra, "agent", "disable", "plain", code=2)
    assert "not an agent identity" in str(doc["errors"])


def test_restore_brings_a_deleted_agent_back_under_its_blueprint(entra: EntraWorld) -> None:
    first = _register(entra, "bot")
    _register(entra, "helper")  # shares the profile's blueprint, so it stays
    object_id = _sp(entra, "bot").id
    deleted = _cli(entra, "agent", "delete", "bot")
    assert any(f"agent restore {object_id}" in d for d in deleted["data"]["deleted_at_idp"])
    assert _sp(entra, "bot").deleted_at is not None
    _agent_token(entra, "bot", code=3)  # agentctl forgot it
    doc = _cli(entra, "agent", "restore", object_id)
    assert doc["data"]["action"] == "restored"
    assert doc["data"]["known_locally"] is True
    assert _sp(entra, "bot").deleted_at is None
    assert doc["data"]["agent"]["extra"]["blueprint"] == first["agent"]["extra"]["blueprint"]
    assert any("agent grant bot" in w for w in doc["warnings"])
    _cli(entra, "agent", "grant", "bot")
    assert _agent_token(entra, "bot")["status"] == "ok"


def test_restore_refuses_what_is_not_in_the_recycle_bin(entra: EntraWorld) -> None:
    _register(entra, "bot")
    live = _sp(entra, "bot").id
    doc = _cli(entra, "agent", "restore", live, code=6)
    assert "404" in str(doc["errors"])
    bad = _cli(entra, "agent", "restore", "bot", code=2)
    assert "not an object id" in str(bad["errors"])


def test_restore_after_the_last_agent_took_its_blueprint_is_restored_only_in_entra(
    entra: EntraWorld,
) -> None:
    _register(entra, "solo")
    object_id = _sp(entra, "solo").id
    _cli(entra, "agent", "delete", "solo")  # the blueprint goes too: nobody else uses it
    doc = _cli(entra, "agent", "restore", object_id)
    assert doc["data"]["known_locally"] is False
    assert any("cannot get tokens for it" in w for w in doc["warnings"])


def test_a_second_agent_reuses_the_profile_blueprint_through_the_cli(entra: EntraWorld) -> None:
    # Regression: the reused blueprint makes no new credential, and register used to stop with
    # "Entra returned no credential"; the second agent keeps the blueprint's stored one.
    one = _register(entra, "one")["agent"]["extra"]["blueprint"]
    two = _register(entra, "two")["agent"]["extra"]["blueprint"]
    assert one == two
    blueprints = [a for a in entra.emu.apps.values() if a.kind == "blueprint"]
    assert len(blueprints) == 1
    assert _agent_token(entra, "two")["status"] == "ok"
    assert _agent_token(entra, "one")["status"] == "ok"


def test_the_propagation_window_variable_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression: AGENTCTL_ENTRA_PROPAGATION_WINDOW was documented but never read. A window too
    # short for the tenant's propagation stops at once and names the variable.
    world = make_world(propagation_delay=50)
    add_entra_profile(world)
    monkeypatch.setenv("AGENTCTL_ENTRA_PROPAGATION_WINDOW", "1")
    doc = _cli(
        world, "register", "slow", "--kind", "agent-identity", "--sponsor", world.alice.id, code=6
    )
    text = str(doc["errors"])
    assert "still not visible after 0s" in text
    assert "AGENTCTL_ENTRA_PROPAGATION_WINDOW" in text
    monkeypatch.setenv("AGENTCTL_ENTRA_PROPAGATION_WINDOW", "ten minutes")
    bad = _cli(
        world, "register", "slow", "--kind", "agent-identity", "--sponsor", world.alice.id, code=3
    )
    assert "AGENTCTL_ENTRA_PROPAGATION_WINDOW='ten minutes'" in str(bad["errors"])
    world.http.close()


def test_sponsors_can_be_users_and_groups_and_a_new_blueprint_gets_owners(
    entra: EntraWorld,
) -> None:
    group = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"
    owner = entra.emu.add_user(entra.tenant, "bob", "Bob Owner")
    doc = _cli(
        entra,
        "register",
        "team-bot",
        "--kind",
        "agent-identity",
        "--sponsor",
        entra.alice.upn,
        "--sponsor-group",
        group,
        "--owner",
        owner.upn,
    )
    assert doc["status"] == "ok"
    blueprint = next(a for a in entra.emu.apps.values() if a.kind == "blueprint")
    # The blueprint takes only users as sponsors at creation; owners are bound there.
    assert blueprint.sponsors == [entra.alice.id]
    assert blueprint.owners == [owner.id]
    agent = _sp(entra, "team-bot")
    assert set(agent.sponsors) == {entra.alice.id, group}
    body = next(
        e["body"]
        for e in entra.emu.log
        if e.get("method") == "POST" and str(e.get("path")).endswith("agentIdentityBlueprint")
    )
    assert all("/users/" in b for b in body["sponsors@odata.bind"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--sponsor", "alice@contoso.onmicrosoft.com", "--sponsor-group", "not-a-guid"),
            "takes a group's object id",
        ),
        (("--sponsor-group", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"), "needs a user as sponsor"),
    ],
)
def test_group_sponsors_are_checked_before_anything_is_created(
    entra: EntraWorld, args: tuple[str, ...], message: str
) -> None:
    doc = _cli(entra, "register", "g-bot", "--kind", "agent-identity", *args, code=2)
    assert message in str(doc["errors"])
    assert not [a for a in entra.emu.apps.values() if a.kind == "blueprint"]


def test_owner_and_group_options_are_for_entra_agent_identities(entra: EntraWorld) -> None:
    doc = _cli(entra, "register", "app-bot", "--kind", "app", "--owner", "x@y", code=2)
    assert "need --kind agent-identity" in str(doc["errors"])


# --- a federated identity credential on the blueprint (no secret) ------------------------------

ISSUER = "https://oidc.ci.example.com"
SUBJECT = "repo:contoso/agents:ref:refs/heads/main"


def _workload_token(
    key: Any, *, sub: str = SUBJECT, aud: str = "api://AzureADTokenExchange"
) -> str:
    import time

    import jwt

    now = int(time.time())
    claims = {"iss": ISSUER, "sub": sub, "aud": aud, "iat": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "ci-1"})


@pytest.fixture
def workload(entra: EntraWorld, tmp_path: Any) -> tuple[Any, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    entra.emu.federated_issuers[ISSUER] = key.public_key()
    token_file = tmp_path / "workload-token"
    token_file.write_text(_workload_token(key) + "\n")
    return key, token_file


def _register_federated(entra: EntraWorld, token_file: Any, code: int = 0) -> dict[str, Any]:
    return _cli(
        entra,
        "register",
        "wif-bot",
        "--kind",
        "agent-identity",
        "--sponsor",
        entra.alice.id,
        "--federated-issuer",
        ISSUER,
        "--federated-subject",
        SUBJECT,
        "--federated-token-file",
        str(token_file),
        code=code,
    )


def test_a_federated_blueprint_keeps_no_secret_and_gets_tokens(
    entra: EntraWorld, workload: tuple[Any, Any]
) -> None:
    key, token_file = workload
    doc = _register_federated(entra, token_file)
    blueprint = next(a for a in entra.emu.apps.values() if a.kind == "blueprint")
    assert blueprint.passwords == []
    assert blueprint.keys == []
    (fic,) = blueprint.federated
    assert (fic["issuer"], fic["subject"], fic["audiences"]) == (
        ISSUER,
        SUBJECT,
        ["api://AzureADTokenExchange"],
    )
    assert "secret" not in str(doc["data"].get("credential", {})).lower()
    shown = _cli(entra, "agent", "show", "wif-bot")["data"]["credential"]
    assert shown["method"] == "federated_token_file"
    assert shown["present"] is True
    # The file is read at each use: a rotated token keeps working.
    assert _agent_token(entra, "wif-bot")["status"] == "ok"
    token_file.write_text(_workload_token(key))
    assert _agent_token(entra, "wif-bot")["status"] == "ok"
    # Nothing to rotate: the issuer rotates the token.
    rotated = _cli(entra, "agent", "rotate", "wif-bot", code=8)
    assert "no secret to rotate" in str(rotated["errors"])


def test_a_token_that_matches_no_federated_credential_is_refused(
    entra: EntraWorld, workload: tuple[Any, Any]
) -> None:
    key, token_file = workload
    _register_federated(entra, token_file)
    token_file.write_text(_workload_token(key, sub="repo:someone/else:ref:refs/heads/main"))
    refused = _agent_token(entra, "wif-bot", code=6)
    assert "70021" in str(refused["errors"])


def test_a_missing_token_file_stops_before_anything_is_created(
    entra: EntraWorld, tmp_path: Any
) -> None:
    doc = _register_federated(entra, tmp_path / "absent", code=3)
    assert "federated token file" in str(doc["errors"])
    assert not [a for a in entra.emu.apps.values() if a.kind == "blueprint"]


# --- inheritable permissions -------------------------------------------------------------------


def test_inheritable_permissions_consent_once_for_every_agent_of_the_blueprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_world(device_interval=0, device_auto_approve="alice@contoso.onmicrosoft.com")
    add_entra_profile(world)
    first = _cli(
        world,
        "register",
        "inh-1",
        "--kind",
        "agent-identity",
        "--sponsor",
        world.alice.id,
        "--inherit",
    )["data"]
    assert first["agent"]["extra"]["blueprint"]["inherits"] == "User.Read"
    blueprint = next(a for a in world.emu.apps.values() if a.kind == "blueprint")
    graph_app = "00000003-0000-0000-c000-000000000000"
    assert blueprint.inheritable_scopes == {graph_app: {"User.Read"}}
    _cli(world, "register", "inh-2", "--kind", "agent-identity", "--sponsor", world.alice.id)
    agents = {s.id for s in world.tenant.sps.values() if s.kind == "agentIdentity"}
    principal = world.tenant.sp_by_app_id(blueprint.app_id)
    assert principal is not None
    # One delegated grant, on the blueprint principal; none on the agent identities.
    assert [g.client_sp_id for g in world.tenant.grants if "User.Read" in g.scopes] == [
        principal.id
    ]
    assert not [g for g in world.tenant.grants if g.client_sp_id in agents]
    for name in ("inh-1", "inh-2"):
        run_ = _cli(world, "exchange", "--mode", "obo", "--agent", name)["data"]["runs"][0]
        assert run_["ok"] is True
    # Both conditions: without the blueprint principal's grant nothing is inherited (65001).
    world.tenant.grants = [g for g in world.tenant.grants if g.client_sp_id != principal.id]
    settings = resolve_settings(profile_flag="contoso")
    from agentctl.services import agents as store

    store.keep_agent_session(settings, "inh-1", None)
    refused = _cli(world, "exchange", "--mode", "obo", "--agent", "inh-1", code=6)
    assert "65001" in str(refused["data"]["runs"][0]["error"])
    world.http.close()
