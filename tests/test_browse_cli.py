"""`agentctl browse` at the edges (usage errors, no Chromium, the order of checks), the demo web
app over real HTTP without a browser, and `browse --mode` end to end on the embedded IdP."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agentctl.idp.service import IdpService
from tests.helpers import run

CHROMIUM = "/usr/bin/chromium"
APP = "http://127.0.0.1:8400/i/enterprise/app"


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


# -- usage and environment errors: one line, a documented exit code, nothing started ----------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((APP,), "give --mode agent|user|obo (with --agent) or --token"),
        ((APP, "--token", "x", "--mode", "agent"), "not both"),
        (("ftp://x/", "--token", "x"), "URL: origin must be an http(s) URL"),
        ((APP, "--token", "x", "--inject", "cookies"), "unknown emit form 'cookies'"),
        ((APP, "--token", "x", "--inject", "env"), "--inject env is not a browser form"),
        ((APP, "--token", "x", "--inject", "header:key=x"), "takes only origin=URL"),
        ((APP, "--token", "x", "--timeout", "0"), "--timeout must be between"),
        ((APP, "--token", "x", "--screenshot", "/no/such/dir/a.png"), "no directory"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: tuple[str, ...], says: str) -> None:
    r = run("browse", *args)
    assert r.exit_code == 2, r.stdout + r.stderr
    assert says in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_no_chromium_is_a_one_line_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium, chromium-browser, google-chrome
    r = run("browse", APP, "--token", "x", "--json")
    assert r.exit_code == 3
    error = r.json()["errors"][0]
    assert error["message"].startswith("no Chromium installed")
    assert "apt-get install chromium" in error["hint"]
    named = run("browse", APP, "--token", "x", "--browser", str(tmp_path / "nope"))
    assert named.exit_code == 3
    assert f"no browser at {tmp_path / 'nope'}" in named.stderr


def test_no_chromium_is_found_before_any_token_is_requested(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An unknown agent would be exit 3 too; the message shows which check came first.
    monkeypatch.setenv("PATH", str(tmp_path))
    r = run("browse", APP, "--mode", "agent", "--agent", "nobody")
    assert r.exit_code == 3
    assert "no Chromium installed" in r.stderr
    assert "nobody" not in r.stderr


def test_browse_is_listed_and_its_help_has_examples() -> None:
    r = run("--help")
    assert "browse" in r.stdout
    h = run("browse", "--help")
    assert h.exit_code == 0
    assert "--inject" in h.stdout
    assert "agentctl browse http://127.0.0.1:8400/i/enterprise/app" in h.stdout


# -- the demo web app over HTTP (no browser) ---------------------------------------------------


@pytest.fixture
def svc() -> Iterator[IdpService]:
    service = IdpService.open()
    yield service
    service.store.close()


def _client(svc: IdpService) -> httpx.Client:
    from agentctl.idp.inprocess import in_process_client

    return in_process_client(svc)


def _agent_token(svc: IdpService, http: httpx.Client) -> str:
    agent = svc.create_agent("web-bot", allowed_scopes=["read"], sponsor="o@example.com")
    r = http.post(
        f"{svc.ctx.base_url}/i/enterprise/token",
        data={"grant_type": "client_credentials"},
        auth=(agent.client_id, agent.client_secret or ""),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_the_app_page_shows_the_audit_sentence_for_a_header_or_a_cookie(svc: IdpService) -> None:
    with _client(svc) as http:
        token = _agent_token(svc, http)
        url = f"{svc.ctx.base_url}/i/enterprise/app"
        for kwargs, via in (
            ({"headers": {"Authorization": f"Bearer {token}"}}, "header"),
            ({"headers": {"Cookie": f"access_token={token}"}}, "cookie"),
        ):
            r = http.get(url, **kwargs)  # type: ignore[arg-type]
            assert r.status_code == 200
            assert "<title>agentctl demo app: agent web-bot did this as itself</title>" in r.text
            assert f'<dd id="via">{via}</dd>' in r.text
            assert 'data-state="signed-in"' in r.text
            assert "script-src 'self'" in r.headers["content-security-policy"]
            assert r.headers["cache-control"] == "no-store"
            assert token not in r.text  # the page never shows the token back
            last = svc.audit(limit=1)[-1]
            assert last["event"] == "webapp:view"
            assert last["detail"]["via"] == via
        anonymous = http.get(url)
        assert anonymous.status_code == 200
        assert 'data-state="pending"' in anonymous.text  # the script looks in storage next


def test_the_app_refuses_a_bad_token_and_says_why(svc: IdpService) -> None:
    with _client(svc) as http:
        url = f"{svc.ctx.base_url}/i/enterprise/app"
        r = http.get(url, headers={"Authorization": "Bearer not.a.jwt"})
        assert r.status_code == 401
        assert 'data-state="refused"' in r.text
        assert "the access token is not a well-formed JWT" in r.text
        who = http.get(url + "/whoami", headers={"Authorization": "Bearer not.a.jwt"})
        assert who.status_code == 401
        assert who.json()["ok"] is False
        assert svc.audit(limit=1)[-1]["event"] == "webapp:refused"


def test_a_token_cookie_over_plain_http_beyond_loopback_is_refused(svc: IdpService) -> None:
    with _client(svc) as http:
        token = _agent_token(svc, http)  # minted on loopback; the same database below
    wide = IdpService.open(bind_host="0.0.0.0")  # noqa: S104 - the setting under test
    try:
        with _client(wide) as http:
            r = http.get(
                f"{wide.ctx.base_url}/i/enterprise/app",
                headers={"Cookie": f"access_token={token}"},
            )
            assert r.status_code == 400
            assert "the token cookie is accepted over https only" in r.text
    finally:
        wide.store.close()


def test_unknown_issuer_has_no_app(svc: IdpService) -> None:
    with _client(svc) as http:
        assert http.get(f"{svc.ctx.base_url}/i/nope/app").status_code == 404
        assert http.get(f"{svc.ctx.base_url}/i/nope/app/app.js").status_code == 404


# -- browse --mode, end to end on the embedded IdP --------------------------------------------


def _port_busy(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.browser
@pytest.mark.slow
def test_browse_runs_the_exchange_and_serves_the_embedded_idp_for_the_visit(
    tmp_path: Path,
) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")
    if _port_busy(8400):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("port 8400 is taken: the embedded IdP's origin must be free")
        pytest.skip("port 8400 is taken (another IdP runs here)")
    assert run("demo").exit_code == 0
    shot = tmp_path / "obo.png"
    r = run(
        "browse",
        APP,
        "--mode",
        "obo",
        "--agent",
        "demo-agent",
        "--user",
        "alice",
        "--inject",
        "storage-script:shape=msal",
        "--screenshot",
        str(shot),
        "--json",
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    data = r.json()["data"]
    assert data["served_embedded_idp"] is True
    assert data["state"] == "signed-in"
    assert data["title"] == "agentctl demo app: agent demo-agent did this as user alice"
    assert data["token"]["mode"] == "obo"
    assert data["token"]["fingerprint"].startswith("sha256:")
    assert "eyJ" not in r.stdout
    assert shot.stat().st_size > 1000
    assert not _port_busy(8400)  # the server lived for the visit only


# -- agentctl demo's browser path --------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_demo_shows_each_token_in_the_web_app_when_chromium_is_installed() -> None:
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")
    r = run("demo", "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    data = r.json()["data"]
    assert data["browser"] == {"ran": True, "browser": CHROMIUM}
    for each in data["runs"]:
        [check] = [c for c in each["checks"] if c["token"] == "demo web app in Chromium"]
        assert check["ok"], check
        assert check["actual"].startswith("Signed in: ")
    views = [e for e in data["audit"] if e["event"] == "webapp:view"]
    assert len(views) == len(data["runs"])


def test_demo_without_chromium_skips_the_browser_path_and_still_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    r = run("demo", "--json")
    assert r.exit_code == 0, r.stdout + r.stderr
    data = r.json()["data"]
    assert data["browser"]["ran"] is False
    assert data["browser"]["reason"].startswith("no Chromium installed")
