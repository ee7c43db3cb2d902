"""The official MCP Python SDK against agentctl's embedded IdP, nothing of agentctl's client
code in between: an SDK-built MCP server (tests/mcp/server.py) whose authorization server is
the embedded `mcp-as`; the SDK's SEP-990 leg-2 client (`IdentityAssertionOAuthProvider`)
redeeming an ID-JAG that the enterprise issuer minted; and the SDK's standard OAuth client
(RFC 9728 discovery, dynamic registration, authorization code + PKCE) with the sign-in page
driven in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from agentctl.idp import constants as c
from tests.idp.conftest import PASSWORD, Idp, serving
from tests.mcp.fixtures import McpServer

pytest.importorskip("mcp")
pytestmark = pytest.mark.slow


@pytest.fixture
def idp() -> Iterator[Idp]:
    with serving() as running:
        yield running


@pytest.fixture
def mcp_server(idp: Idp) -> Iterator[McpServer]:
    from tests.helpers import run

    server = McpServer(idp.url("mcp-as"))
    # The operator registers the MCP server as a resource its AS serves (as with any AS).
    r = run("idp", "resources", "--issuer", "mcp-as", "--add", server.url)
    assert r.exit_code == 0, r.stderr
    idp.svc.ctx.forget_issuer("mcp-as")  # the running server would see it within 2 s anyway
    try:
        yield server
    finally:
        server.stop()


class MemoryStorage:
    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


async def _whoami(url: str, auth: Any) -> dict[str, Any]:
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(auth=auth, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = {t.name for t in (await session.list_tools()).tools}
        assert {"whoami", "echo"} <= tools
        result = await session.call_tool("whoami", {})
        text = result.content[0].text  # type: ignore[union-attr]
        return json.loads(text)  # type: ignore[no-any-return]


def test_metadata_is_valid_oidc_discovery_and_the_sdk_parses_it(idp: Idp) -> None:
    from authlib.oidc.discovery import OpenIDProviderMetadata
    from mcp.shared.auth import OAuthMetadata

    for issuer in ("enterprise", "mcp-as"):
        base = idp.base_url
        for url in (
            f"{base}/.well-known/oauth-authorization-server/i/{issuer}",
            f"{base}/.well-known/openid-configuration/i/{issuer}",
            f"{base}/i/{issuer}/.well-known/openid-configuration",
        ):
            meta = httpx.get(url).json()
            OpenIDProviderMetadata(meta).validate()
            parsed = OAuthMetadata.model_validate(meta)
            assert str(parsed.authorization_endpoint) == idp.url(issuer, "authorize")
            assert meta["code_challenge_methods_supported"] == ["S256"]


def test_sdk_identity_assertion_client_redeems_an_agentctl_id_jag(
    idp: Idp, mcp_server: McpServer
) -> None:
    from mcp.client.auth.extensions.identity_assertion import IdentityAssertionOAuthProvider

    agent = idp.agent("mcp-bot")
    idp.user("alice")
    seen: dict[str, str] = {}

    async def fetch_id_jag(audience: str, resource: str) -> str:
        # Leg 1 at the enterprise IdP (what `agentctl exchange --via id-jag --emit id-jag` does).
        seen.update(audience=audience, resource=resource)
        id_token = idp.user_tokens(agent)["id_token"]
        r = idp.exchange(
            agent,
            id_token,
            c.TT_ID_TOKEN,
            requested_token_type=c.TT_ID_JAG,
            audience=audience,
            resource=resource,
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    provider = IdentityAssertionOAuthProvider(
        server_url=mcp_server.url,
        storage=MemoryStorage(),
        client_id=agent.client_id,
        client_secret=agent.client_secret or "",
        issuer=idp.url("mcp-as"),
        assertion_provider=fetch_id_jag,
        scope="read",
    )
    who = anyio.run(_whoami, mcp_server.url, provider)
    assert seen == {"audience": idp.url("mcp-as"), "resource": mcp_server.url}
    assert who["sub"] == "alice"
    assert who["client_id"] == agent.client_id
    assert who["iss"] == idp.url("mcp-as")


def test_mcp_as_refuses_an_id_jag_spent_on_another_resource(idp: Idp) -> None:
    other = "http://127.0.0.1:1/elsewhere"
    agent = idp.agent("bot", allowed_audiences=["http://127.0.0.1:2/mcp", other])
    idp.user("alice")
    jag = idp.exchange(
        agent,
        idp.user_tokens(agent)["id_token"],
        c.TT_ID_TOKEN,
        requested_token_type=c.TT_ID_JAG,
        audience=idp.url("mcp-as"),
        resource="http://127.0.0.1:2/mcp",
    ).json()["access_token"]
    r = idp.token(
        {"grant_type": c.GRANT_JWT_BEARER, "assertion": jag, "resource": other}, agent, "mcp-as"
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_target"


def _chromium() -> Any:
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.environ.get("CI"):
            raise AssertionError("CI must have chromium and chromedriver")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


@pytest.mark.browser
def test_sdk_oauth_client_signs_in_by_code_and_pkce_in_a_real_browser(
    idp: Idp, mcp_server: McpServer
) -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    idp.svc.add_user("bob", "bob@example.com", PASSWORD, issuer="mcp-as")

    class Callback(BaseHTTPRequestHandler):  # the client's loopback redirect target
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"signed in")

        def log_message(self, *args: Any) -> None:
            pass

    listener = HTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    callback = f"http://127.0.0.1:{listener.server_address[1]}/callback"
    driver = _chromium()
    landed: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        def sign_in() -> None:
            driver.get(url)
            driver.find_element(By.ID, "username").send_keys("bob")
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.ID, "approve").click()
            WebDriverWait(driver, 15).until(lambda d: d.current_url.startswith(callback))
            landed["url"] = driver.current_url

        await anyio.to_thread.run_sync(sign_in)

    async def callback_handler() -> AuthorizationCodeResult:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(landed["url"]).query)
        return AuthorizationCodeResult(
            code=query["code"][0], state=query.get("state", [None])[0], iss=query["iss"][0]
        )

    provider = OAuthClientProvider(
        server_url=mcp_server.url,
        client_metadata=OAuthClientMetadata(
            client_name="sdk-client",
            redirect_uris=[callback],  # type: ignore[list-item]
            grant_types=["authorization_code"],
            response_types=["code"],
            token_endpoint_auth_method="none",
            scope="read",
        ),
        storage=MemoryStorage(),
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    try:
        who = anyio.run(_whoami, mcp_server.url, provider)
    finally:
        driver.quit()
        listener.shutdown()
    assert who["sub"] == "bob"
    assert who["iss"] == idp.url("mcp-as")
    # what the user consented to, within what the client registered (identity scopes aside)
    client = next(
        cl
        for cl in idp.svc.store.rows("SELECT metadata FROM clients WHERE issuer = ?", ("mcp-as",))
        if "sdk-client" in cl["metadata"]
    )
    registered = set(json.loads(client["metadata"]).get("scope", "").split())
    assert set(who["scope"].split()) - {"openid", "profile", "email"} <= registered
    events = [a["event"] for a in idp.svc.audit(issuer="mcp-as", limit=50)]
    assert "authorize:approved" in events
