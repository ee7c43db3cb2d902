"""`agentctl token introspect|revoke` against the embedded IdP (RFC 7662 / RFC 7009)."""

from __future__ import annotations

import pytest

from tests.helpers import run


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


def _agent_token() -> str:
    r = run("exchange", "--mode", "agent", "--show-token", "--json")
    assert r.exit_code == 0, r.stdout
    token = r.json()["data"]["runs"][0]["token"]["value"]
    assert isinstance(token, str)
    assert token.count(".") == 2
    return token


def test_introspect_then_revoke_then_introspect_again() -> None:
    assert run("demo", "--json").exit_code == 0
    token = _agent_token()

    active = run("token", "introspect", "-", stdin=token)
    assert active.exit_code == 0, active.stderr
    assert "active" in active.stdout
    assert token not in active.stdout  # the raw token is never printed
    doc = run("token", "introspect", token, "--json").json()
    assert doc["data"]["active"] is True
    assert doc["data"]["claims"]["sub"] == doc["data"]["agent"]["client_id"]

    revoked = run("token", "revoke", f"Bearer {token}")
    assert revoked.exit_code == 0, revoked.stderr
    assert "revoked" in revoked.stdout

    gone = run("token", "introspect", token, "--json")
    assert gone.exit_code == 5
    assert gone.json()["data"]["active"] is False
    assert gone.json()["errors"][0]["code"] == "inactive"


def test_without_an_agent_it_says_how_to_pick_one() -> None:
    r = run("token", "introspect", "a.b.c")
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1
    assert "--agent NAME" in r.stderr


def test_an_unknown_agent_is_named() -> None:
    r = run("token", "revoke", "a.b.c", "--agent", "nobody")
    assert r.exit_code == 3
    assert "nobody" in r.stderr
