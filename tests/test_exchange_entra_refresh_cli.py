"""Agent OBO on Entra keeps the refresh token Entra returns (in the agent's secret-store entry)
and uses it: the next `exchange --mode obo` needs no sign-in (grant_type=refresh_token with T1
as client assertion, agent-on-behalf-of-oauth-flow). A refused one is dropped and the user signs
in again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agentctl.config.resolve import resolve_settings
from agentctl.services import agents as store
from tests.emulators.entra.profile import add_entra_profile
from tests.emulators.entra.world import EntraWorld, make_world
from tests.helpers import CliResult, run

ALICE = "alice@contoso.onmicrosoft.com"


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    w = make_world(device_interval=0, device_auto_approve=ALICE)
    add_entra_profile(w)
    res = run(
        "register",
        "aid",
        "--kind",
        "agent-identity",
        "--sponsor",
        ALICE,
        "--profile",
        "contoso",
        obj={"transport": w.transport},
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    yield w
    w.http.close()


def _obo(world: EntraWorld) -> tuple[CliResult, dict[str, Any]]:
    res = run(
        "exchange",
        "--mode",
        "obo",
        "--agent",
        "aid",
        "--profile",
        "contoso",
        "--json",
        obj={"transport": world.transport},
    )
    assert res.exit_code == 0, res.stdout + res.stderr
    (run_,) = res.json()["data"]["runs"]
    return res, run_


def _session() -> dict[str, Any] | None:
    return store.load_agent_session(resolve_settings(profile_flag="contoso"), "aid")


def test_the_second_obo_uses_the_kept_refresh_token(world: EntraWorld) -> None:
    first, run1 = _obo(world)
    assert "enter the code" in first.stderr
    session = _session()
    assert session is not None
    assert session["user"] == world.alice.id
    kept = session["refresh_token"]
    assert kept in world.emu.refresh_tokens
    assert kept not in first.stdout + first.stderr  # never shown
    assert any("kept the refresh token" in n for n in run1["notes"])

    second, run2 = _obo(world)
    assert "enter the code" not in second.stderr  # no device sign-in
    assert run2["flow"] == "agent-id-obo-refresh"
    assert [s["grant"] for s in run2["steps"]] == ["client_credentials", "refresh_token"]
    expl = run2["token"]["explanation"]
    assert expl["subject"]["id"] == world.alice.id
    assert expl["mode"] == "hybrid_obo"
    assert all(c["ok"] for c in run2["checks"])
    assert any("no sign-in" in n for n in run2["notes"])
    renewed = _session()
    assert renewed is not None
    assert renewed["refresh_token"] != kept


def test_a_refused_refresh_token_is_dropped_and_the_user_signs_in_again(
    world: EntraWorld,
) -> None:
    _obo(world)
    world.emu.refresh_tokens.clear()  # revoked at Entra (sign-out, password reset, …)
    res, run_ = _obo(world)
    assert "enter the code" in res.stderr
    assert run_["flow"] == "agent-id-obo"
    assert any("was refused" in n for n in run_["notes"])
    session = _session()
    assert session is not None
    assert session["refresh_token"] in world.emu.refresh_tokens


def test_forgetting_the_agent_forgets_its_session(world: EntraWorld) -> None:
    _obo(world)
    assert _session() is not None
    res = run("agent", "delete", "aid", "--profile", "contoso", obj={"transport": world.transport})
    assert res.exit_code == 0, res.stdout + res.stderr
    settings = resolve_settings(profile_flag="contoso")
    assert store._store(settings).get(store.secret_key("contoso", "aid")) is None
