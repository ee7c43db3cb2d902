"""`agentctl doctor --profile <entra>`: the admin app's Graph permissions, per operation, read from
its own token on the emulated tenant, with a full, a deficient and a trapped admin app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agentctl.providers.entra.permissions import DOCUMENTED, NEEDS
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


def _doctor(world: EntraWorld, profile: str, code: int = 0) -> dict[str, Any]:
    res = run("doctor", "--profile", profile, "--json", obj={"transport": world.transport})
    assert res.exit_code == code, res.stdout + res.stderr
    return res.json()["data"]  # type: ignore[no-any-return]


def _graph(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in data["checks"] if c["section"] == "graph"}


def _admin_profile(world: EntraWorld, name: str, roles: tuple[str, ...]) -> None:
    app, secret = world.emu.add_admin(world.tenant, roles=roles)
    res = run(
        "profile",
        "add",
        name,
        "--kind",
        "entra",
        "--tenant",
        world.tenant.id,
        "--client-id",
        app.app_id,
        "--secret-stdin",
        stdin=secret,
    )
    assert res.exit_code == 0, res.stderr


def test_the_documented_admin_holds_every_permission_agentctl_needs(entra: EntraWorld) -> None:
    # The emulator's admin holds exactly the README's list; the doctor must find each row met.
    assert set(DOCUMENTED) <= set(DOCUMENTED_ADMIN_ROLES)
    data = _doctor(entra, "contoso")
    graph = _graph(data)
    for need in NEEDS:
        check = graph[f"graph.{need.any_of[0]}"]
        assert check["status"] == "ok", check
        assert need.operation in check["message"]
    assert graph["graph.trap"]["status"] == "ok"
    perms = data["graph_permissions"]
    assert perms["missing"] == []
    assert perms["trap"] == []
    assert set(perms["held"]) == set(DOCUMENTED_ADMIN_ROLES)


def test_a_deficient_admin_is_told_what_it_lacks_per_operation(entra: EntraWorld) -> None:
    lacking = ("AgentIdentityBlueprint.Create", "User.Read.All", "AgentIdentity.DeleteRestore.All")
    _admin_profile(entra, "thin", tuple(r for r in DOCUMENTED_ADMIN_ROLES if r not in lacking))
    data = _doctor(entra, "thin")  # lacking a permission is a warning, not a broken profile
    graph = _graph(data)
    blueprint = graph["graph.AgentIdentityBlueprint.Create"]
    assert blueprint["status"] == "warn"
    assert "create a blueprint: lacks AgentIdentityBlueprint.Create" in blueprint["message"]
    assert "/v2.0/adminconsent?client_id=" in blueprint["fix"]
    assert graph["graph.User.Read.All"]["status"] == "warn"
    # Optional rows are said plainly but do not warn.
    assert graph["graph.AgentIdentity.DeleteRestore.All"]["status"] == "no"
    assert graph["graph.Application.ReadWrite.All"]["status"] == "ok"
    assert data["graph_permissions"]["missing"] == [
        "AgentIdentityBlueprint.Create",
        "User.Read.All",
    ]
    # Human output: its own section, each lack with the consent step.
    human = run("doctor", "--profile", "thin", obj={"transport": entra.transport})
    assert "Microsoft Graph permissions of the admin app" in human.stdout
    assert "lacks AgentIdentityBlueprint.Create" in human.stdout


def test_a_deficient_admin_fails_registration_the_way_doctor_said(entra: EntraWorld) -> None:
    _admin_profile(
        entra,
        "thin",
        tuple(r for r in DOCUMENTED_ADMIN_ROLES if r != "AgentIdentityBlueprint.Create"),
    )
    missing = _doctor(entra, "thin")["graph_permissions"]["missing"]
    res = run(
        "register",
        "bot",
        "--profile",
        "thin",
        "--kind",
        "agent-identity",
        "--sponsor",
        entra.alice.id,
        "--json",
        obj={"transport": entra.transport},
    )
    assert res.exit_code != 0
    assert all(m in res.stdout + res.stderr for m in missing)


def test_directory_readwrite_all_is_reported_as_the_trap(entra: EntraWorld) -> None:
    _admin_profile(entra, "broad", (*DOCUMENTED_ADMIN_ROLES, "Directory.ReadWrite.All"))
    data = _doctor(entra, "broad", code=3)
    trap = _graph(data)["graph.trap"]
    assert trap["status"] == "fail"
    assert "Directory.ReadWrite.All" in trap["message"]
    assert "403" in trap["message"]
    assert data["graph_permissions"]["trap"] == ["Directory.ReadWrite.All"]


def test_an_admin_with_no_permissions_lacks_them_all(entra: EntraWorld) -> None:
    _admin_profile(entra, "bare", ())
    data = _doctor(entra, "bare")
    graph = _graph(data)
    assert "nothing (no roles)" in graph["graph.held"]["message"]
    assert {graph[f"graph.{n.any_of[0]}"]["status"] for n in NEEDS} == {"warn", "no"}


def test_a_wrong_admin_secret_is_a_failed_check_not_a_crash(entra: EntraWorld) -> None:
    res = run(
        "profile",
        "add",
        "wrong",
        "--kind",
        "entra",
        "--tenant",
        entra.tenant.id,
        "--client-id",
        entra.admin.app_id,
        "--secret-stdin",
        stdin="not-the-secret",
    )
    assert res.exit_code == 0
    res = run("doctor", "--profile", "wrong", "--json", obj={"transport": entra.transport})
    assert res.exit_code != 0
    data = res.json()["data"]
    token = _graph(data)["graph.token"]
    assert token["status"] == "fail"
    assert "could not get its own Graph token" in token["message"]
    assert "not-the-secret" not in res.stdout + res.stderr
