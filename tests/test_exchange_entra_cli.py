"""`agentctl exchange` on an Entra profile: every mode through the CLI against the emulator
(routed by the injected transport, so msal and the Agent ID legs run unmodified)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.emulators.entra.model import GRAPH_APP_ID
from tests.emulators.entra.profile import add_entra_profile
from tests.emulators.entra.world import EntraWorld, make_world
from tests.helpers import CliResult, run

ALICE = "alice@contoso.onmicrosoft.com"


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    w = make_world(device_interval=0, device_auto_approve=ALICE)
    add_entra_profile(w)
    yield w
    w.http.close()


def cli(world: EntraWorld, *args: str) -> CliResult:
    return run(*args, "--profile", "contoso", obj={"transport": world.transport})


def data_of(result: CliResult) -> dict[str, Any]:
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.json()["data"]  # type: ignore[no-any-return]


def register(world: EntraWorld, name: str, *extra: str) -> dict[str, Any]:
    """Registered through the CLI, which also makes the grants the modes need (nothing is
    seeded inside the emulator)."""
    return data_of(cli(world, "register", name, "--json", *extra))["agent"]  # type: ignore[no-any-return]


@pytest.fixture
def agent_identity(world: EntraWorld) -> dict[str, Any]:
    return register(world, "aid", "--kind", "agent-identity", "--sponsor", ALICE)


def test_agent_mode_classic_app(world: EntraWorld) -> None:
    app = register(world, "app-bot", "--kind", "app")
    data = data_of(cli(world, "exchange", "--mode", "agent", "--agent", "app-bot", "--json"))
    (run_,) = data["runs"]
    assert data["provider"] == "entra"
    assert run_["flow"] == "classic-client-credentials"
    assert run_["ok"] is True
    assert run_["checks"]
    claims = run_["token"]["explanation"]
    assert claims["dialect"] == "entra"
    assert claims["client_id"] == app["client_id"]
    assert run_["notes"]  # where Entra differs from RFC 8693


def test_agent_mode_agent_id_two_legs(world: EntraWorld, agent_identity: dict[str, Any]) -> None:
    r = cli(world, "exchange", "--mode", "agent", "--agent", "aid")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "agent-id" in r.stdout
    data = data_of(cli(world, "exchange", "--mode", "agent", "--agent", "aid", "--json"))
    run_ = data["runs"][0]
    assert run_["flow"] == "agent-id"
    assert len(run_["steps"]) == 2  # T1 with fmi_path, then client credentials with T1
    expl = run_["token"]["explanation"]
    assert expl["agent_id"] is True
    assert all(c["ok"] for c in run_["checks"])
    assert "eyJ" not in r.stdout


def test_obo_mode_agent_id_signs_the_user_in_by_device_code(
    world: EntraWorld, agent_identity: dict[str, Any]
) -> None:
    r = cli(world, "exchange", "--mode", "obo", "--agent", "aid", "--json")
    data = data_of(r)
    assert "enter the code" in r.stderr  # the device code prompt, on stderr
    run_ = data["runs"][0]
    assert run_["flow"] == "agent-id-obo"
    assert run_["steps"][0]["name"].startswith("user sign-in for the blueprint")
    expl = run_["token"]["explanation"]
    assert expl["subject"]["id"] == world.alice.id
    assert expl["actor"]["id"] == agent_identity["client_id"]
    assert all(c["ok"] for c in run_["checks"])


def test_obo_mode_classic_with_a_given_user_token(world: EntraWorld) -> None:
    from agentctl.config.resolve import resolve_settings
    from agentctl.providers.base import Credential
    from agentctl.services.agents import AgentRecord, save_agent

    api, _sp, secret = world.emu.add_api(world.tenant, "orders-api")
    assert secret is not None
    world.emu.grant_delegated(world.tenant, api.app_id, GRAPH_APP_ID, ("User.Read",))
    save_agent(
        resolve_settings(profile_flag="contoso"),
        AgentRecord("orders-api", api.app_id, "contoso", "entra", None, "client_secret"),
        Credential(api.app_id, "client_secret_post", secret=secret),
    )
    user_token = world.emu.user_token(
        world.tenant, world.alice, world.public_client.app_id, f"api://{api.app_id}/access_as_user"
    )
    data = data_of(
        cli(
            world,
            "exchange",
            "--mode",
            "obo",
            "--agent",
            "orders-api",
            "--subject-token",
            user_token,
            "--json",
        )
    )
    run_ = data["runs"][0]
    assert run_["flow"] == "classic-obo"
    assert run_["ok"] is True
    assert run_["token"]["explanation"]["client_id"] == api.app_id


def test_user_mode_by_device_code(world: EntraWorld) -> None:
    r = cli(world, "exchange", "--mode", "user")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "enter the code" in r.stderr
    data = data_of(cli(world, "exchange", "--mode", "user", "--json"))
    run_ = data["runs"][0]
    assert run_["flow"] == "device-code"
    assert run_["token"]["explanation"]["subject"]["id"] == world.alice.id
    assert run_["token"]["explanation"]["actor"] is None


def test_all_modes_side_by_side(world: EntraWorld, agent_identity: dict[str, Any]) -> None:
    data = data_of(cli(world, "exchange", "--mode", "all", "--agent", "aid", "--json"))
    assert [row["mode"] for row in data["table"]] == ["agent", "user", "obo"]
    assert [row["ok"] for row in data["table"]] == [True, True, True]


def test_entra_aadsts_error_exits_6_with_the_next_step(world: EntraWorld) -> None:
    register(world, "app-bot", "--kind", "app")
    r = cli(world, "exchange", "--mode", "agent", "--agent", "app-bot", "--scope", "User.Read")
    assert r.exit_code == 6
    assert "AADSTS" in r.stderr


def test_id_jag_is_unsupported_on_entra(world: EntraWorld) -> None:
    r = cli(world, "exchange", "--via", "id-jag", "--resource", "https://mcp.example/")
    assert r.exit_code == 8
    assert "does not offer ID-JAG" in r.stderr


def test_user_flag_is_refused_on_entra(world: EntraWorld) -> None:
    r = cli(world, "exchange", "--mode", "user", "--user", "alice")
    assert r.exit_code == 2
    assert "device code" in r.stderr
