"""`agentctl doctor`: capabilities from metadata, modes, clock skew, keyring and profile problems,
and its exit codes (0 fine, 3 configuration, 7 unreachable)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest
from flask import Flask, jsonify

from tests.emulators.entra.profile import add_entra_profile
from tests.emulators.entra.world import EntraWorld, make_world
from tests.helpers import run
from tests.idp.conftest import Idp, _fast_kdf, idp  # noqa: F401 - fixtures


def _doctor(*args: str, code: int = 0, **kw: Any) -> dict[str, Any]:
    res = run("doctor", *args, "--json", **kw)
    assert res.exit_code == code, res.stdout + res.stderr
    return res.json()["data"]  # type: ignore[no-any-return]


def _check(data: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(c for c in data["checks"] if c["id"] == check_id)


def test_embedded_idp_is_healthy_and_runs_every_mode() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    data = _doctor()
    assert data["reachable"] is True
    assert data["modes"] == {
        "register": True,
        "agent": True,
        "user": True,
        "obo": True,
        "id-jag": True,
    }
    assert data["capabilities"]["token_exchange"]
    assert data["capabilities"]["id_jag_issuer"]
    assert _check(data, "keyring")["status"] == "info"
    assert _check(data, "id_jag.resource_issuer")["status"] == "ok"
    assert data["summary"]["fail"] == 0
    human = run("doctor")
    assert human.exit_code == 0
    assert "nothing wrong" in human.stdout
    assert "RFC 8693 token exchange (modes user, obo): offered" in human.stdout


def test_served_idp_reports_clock_skew_from_its_date_header(idp: Idp) -> None:  # noqa: F811
    assert run("profile", "add", "srv", "--kind", "local", "--issuer", idp.url()).exit_code == 0
    data = _doctor("--profile", "srv")
    assert _check(data, "clock")["status"] == "ok"
    assert abs(data["clock"]["skew_seconds"]) < 5


@pytest.mark.peer
def test_npm_provider_does_not_offer_token_exchange(oidc_peer: str) -> None:
    assert run("profile", "add", "peer", "--issuer", oidc_peer).exit_code == 0
    data = _doctor("--profile", "peer")
    assert data["capabilities"]["token_exchange"] is False
    assert data["capabilities"]["registration"] is True
    assert data["modes"]["obo"] is False
    assert data["modes"]["agent"] is True
    obo = _check(data, "mode.obo")
    assert "does not offer token exchange" in obo["message"]
    human = run("doctor", "--profile", "peer")
    assert human.exit_code == 0
    # Unlisted is not "not offered" (metadata is advice); with no client to probe it stays so.
    assert "RFC 8693 token exchange (modes user, obo): not listed" in human.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_idp_is_exit_7() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    assert run("profile", "add", "dead", "--issuer", url).exit_code == 0
    data = _doctor("--profile", "dead", code=7)
    assert data["reachable"] is False
    assert "connection refused" in _check(data, "reachable")["message"]
    human = run("doctor", "--profile", "dead")
    assert human.exit_code == 7
    assert "Traceback" not in human.stdout + human.stderr


def test_missing_secret_is_a_config_problem() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    assert run("profile", "add", "c", "--issuer", url, "--client-id", "abc").exit_code == 0
    data = _doctor("--profile", "c", code=3)  # config wins over the unreachable IdP
    secret = _check(data, "profile.secret")
    assert secret["status"] == "fail"
    assert "AGENTCTL_SECRET_C" in secret["fix"]


def test_unreadable_ca_bundle_and_plain_http_issuer(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    data = _doctor(env={"AGENTCTL_CA_BUNDLE": str(missing)}, code=3)
    assert _check(data, "profile.ca_bundle")["status"] == "fail"
    assert data["reachable"] is None  # not tried with a broken trust store
    assert run("profile", "add", "p", "--issuer", "https://idp.example.com").exit_code == 0
    data = _doctor("--profile", "p", env={"AGENTCTL_ISSUER": "http://idp.example.com"}, code=3)
    issuer = _check(data, "profile.issuer")
    assert issuer["status"] == "fail"
    assert "plain http" in issuer["message"]


def test_unusable_keyring_for_a_keyring_profile(tmp_path: Path) -> None:
    assert run("profile", "add", "k", "--issuer", "https://idp.example.com").exit_code == 0
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    unreachable = {"transport": httpx.WSGITransport(app=_metadata_app("https://idp.example.com"))}
    data = _doctor("--profile", "k", code=3, obj=unreachable)
    check = _check(data, "keyring")
    assert check["status"] == "fail"
    assert "--secret-store file" in check["fix"]


def _metadata_app(issuer: str, *, date: str | None = None) -> Flask:
    app = Flask("meta")

    @app.get("/.well-known/openid-configuration")
    def metadata() -> Any:
        response = jsonify(issuer=issuer, token_endpoint=f"{issuer}/token")
        if date:
            response.headers["Date"] = date
        return response

    return app


def test_big_clock_skew_fails_with_the_fix() -> None:
    issuer = "https://skewed.example"
    assert run("profile", "add", "s", "--issuer", issuer).exit_code == 0
    import time

    app = _metadata_app(issuer, date=formatdate(time.time() - 900, usegmt=True))
    data = _doctor("--profile", "s", code=3, obj={"transport": httpx.WSGITransport(app=app)})
    clock = _check(data, "clock")
    assert clock["status"] == "fail"
    assert "NTP" in clock["fix"]
    assert 890 <= data["clock"]["skew_seconds"] <= 910
    # No grant_types_supported: said so, as a warning.
    assert _check(data, "grants")["status"] == "warn"


@pytest.fixture
def entra() -> Iterator[EntraWorld]:
    world = make_world()
    add_entra_profile(world)
    yield world
    world.http.close()


def test_entra_capabilities_say_obo_runs_without_rfc8693(entra: EntraWorld) -> None:
    data = _doctor("--profile", "contoso", obj={"transport": entra.transport})
    assert data["capabilities"]["token_exchange"] is False
    assert data["modes"]["obo"] is True
    assert "AADSTS82001" in _check(data, "grant.token_exchange")["fix"]
    assert any(c["id"] == "documented.hybrid_obo" for c in data["checks"])


def test_entra_profile_without_admin_secret_is_a_config_problem(entra: EntraWorld) -> None:
    res = run(
        "profile",
        "add",
        "bare",
        "--kind",
        "entra",
        "--tenant",
        entra.tenant.id,
        "--client-id",
        entra.admin.app_id,
    )
    assert res.exit_code == 0
    data = _doctor("--profile", "bare", code=3, obj={"transport": entra.transport})
    assert _check(data, "profile.secret")["status"] == "fail"
