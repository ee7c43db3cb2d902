"""The emulator speaks Entra's documented shapes, and msal runs unmodified against it through the
project's httpx client (the `http_client` adapter)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import jwt
import msal
import pytest

from agentctl.errors import NetworkError
from agentctl.oauth.transport import send
from agentctl.providers.entra.msal_client import MsalHttpClient
from tests.emulators.entra.model import GRAPH_APP_ID
from tests.emulators.entra.world import EntraWorld, make_world

LOGIN = "https://login.microsoftonline.com"


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    w = make_world(device_interval=0, device_auto_approve="alice@contoso.onmicrosoft.com")
    yield w
    w.http.close()


def authority(world: EntraWorld) -> str:
    return f"{LOGIN}/{world.tenant.id}"


def test_metadata_and_jwks_verify_issued_tokens(world: EntraWorld) -> None:
    doc = send(
        world.http, "GET", f"{LOGIN}/{world.tenant.domain}/v2.0/.well-known/openid-configuration"
    ).json()
    assert doc["issuer"] == f"{LOGIN}/{world.tenant.id}/v2.0"
    assert doc["device_authorization_endpoint"].endswith("/oauth2/v2.0/devicecode")
    keys = send(world.http, "GET", doc["jwks_uri"]).json()["keys"]
    api, _sp, _ = world.emu.add_api(world.tenant, "orders-api")
    token = world.emu.user_token(
        world.tenant, world.alice, world.public_client.app_id, f"api://{api.app_id}/access_as_user"
    )
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": keys[0]["kid"]}
    key = jwt.PyJWK(keys[0]).key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=api.app_id, issuer=doc["issuer"])
    assert claims["ver"] == "2.0"
    assert claims["azp"] == world.public_client.app_id
    # idtyp is optional in user tokens: only when the API opts in (include_user_token).
    assert "idtyp" not in claims
    assert claims["scp"] == "access_as_user"


def test_error_envelope_has_entra_shape(world: EntraWorld) -> None:
    url = f"{authority(world)}/oauth2/v2.0/token"
    response = send(world.http, "POST", url, data={"client_id": world.admin.app_id})
    body = response.json()
    assert response.status_code == 400
    assert body["error"] == "invalid_request"
    assert body["error_description"].startswith("AADSTS900144:")
    assert body["error_codes"] == [900144]
    for key in ("timestamp", "trace_id", "correlation_id", "error_uri"):
        assert key in body


def test_other_hosts_are_not_reachable(world: EntraWorld) -> None:
    with pytest.raises(NetworkError):
        send(world.http, "GET", "https://example.com/")


def test_graph_rejects_missing_and_foreign_tokens(world: EntraWorld) -> None:
    response = send(world.http, "GET", "https://graph.microsoft.com/v1.0/applications")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    api, _sp, _ = world.emu.add_api(world.tenant, "orders-api")
    not_graph = world.emu.user_token(
        world.tenant, world.alice, world.public_client.app_id, f"api://{api.app_id}/access_as_user"
    )
    response = send(
        world.http,
        "GET",
        "https://graph.microsoft.com/v1.0/applications",
        headers={"Authorization": f"Bearer {not_graph}"},
    )
    assert response.status_code == 401


def test_msal_client_credentials_and_cache_through_the_adapter(world: EntraWorld) -> None:
    app = msal.ConfidentialClientApplication(
        world.admin.app_id,
        client_credential=world.admin_secret,
        authority=authority(world),
        http_client=MsalHttpClient(world.http),
    )
    first = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    second = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert first["token_source"] == "identity_provider"
    assert second["token_source"] == "cache"
    posts = [r for r in world.transport.requests if r.method == "POST"]
    assert len(posts) == 1
    assert b"client_secret=" in posts[0].content
    assert posts[0].headers["x-client-sku"]  # msal's own headers pass through the adapter


def test_client_secret_basic_is_accepted(world: EntraWorld) -> None:
    response = send(
        world.http,
        "POST",
        f"{authority(world)}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"},
        auth=(world.admin.app_id, world.admin_secret),
    )
    assert response.status_code == 200, response.text


def test_msal_device_flow_and_instance_discovery(world: EntraWorld) -> None:
    app = msal.PublicClientApplication(
        world.public_client.app_id,
        authority=authority(world),
        http_client=MsalHttpClient(world.http),
    )
    # An empty cache makes msal look the authority's aliases up (instance discovery, v1.1).
    assert app.get_accounts() == []
    flow = app.initiate_device_flow(scopes=["User.Read"])
    assert "user_code" in flow
    assert flow["message"]
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    accounts = app.get_accounts()
    assert accounts
    assert accounts[0]["username"] == "alice@contoso.onmicrosoft.com"
    silent = app.acquire_token_silent(["User.Read"], account=accounts[0])
    assert silent
    assert silent["token_source"] == "cache"
    discovery = [r for r in world.transport.requests if r.url.path == "/common/discovery/instance"]
    assert discovery
    assert discovery[0].url.params["api-version"] == "1.1"


@pytest.mark.skipif(
    "fmi_path"
    not in inspect.signature(
        msal.ConfidentialClientApplication.acquire_token_for_client
    ).parameters,
    reason="this msal has no fmi_path parameter (needs msal >= 1.37)",
)
def test_msal_native_agent_legs_match_the_emulator(world: EntraWorld) -> None:
    """msal's own fmi_path and user-FIC support sends the same wire shape the emulator accepts."""
    reg = world.provider().register(
        "agent-identity",
        "msal-bot",
        sponsors=[world.alice.id],
        agent_user_upn="msalbot@contoso.onmicrosoft.com",
    )
    assert reg.blueprint is not None
    assert reg.credential is not None
    assert reg.agent_user is not None
    world.emu.grant_delegated(
        world.tenant, reg.client_id, GRAPH_APP_ID, ("User.Read",), principal_id=reg.agent_user["id"]
    )
    http = MsalHttpClient(world.http)
    blueprint = msal.ConfidentialClientApplication(
        reg.blueprint["app_id"],
        client_credential=reg.credential.secret,
        authority=authority(world),
        http_client=http,
    )

    def t1(*_args: object) -> str:
        result = blueprint.acquire_token_for_client(
            ["api://AzureADTokenExchange/.default"], fmi_path=reg.client_id
        )
        return str(result["access_token"])

    agent = msal.ConfidentialClientApplication(
        reg.client_id,
        client_credential={"client_assertion": t1},
        authority=authority(world),
        http_client=http,
    )
    own = agent.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in own, own
    assert (
        "11" in jwt.decode(own["access_token"], options={"verify_signature": False})["xms_act_fct"]
    )
    if hasattr(agent, "acquire_token_by_user_federated_identity_credential"):
        t2 = agent.acquire_token_for_client(["api://AzureADTokenExchange/.default"])
        user = agent.acquire_token_by_user_federated_identity_credential(
            ["https://graph.microsoft.com/User.Read"],
            t2["access_token"],
            username=reg.agent_user["upn"],
        )
        assert "access_token" in user, user
        claims = jwt.decode(user["access_token"], options={"verify_signature": False})
        assert claims["oid"] == reg.agent_user["id"]


def test_graph_type_casts_are_case_insensitive(world: EntraWorld) -> None:
    token = world.provider().tokens.admin_token().access_token
    for path in (
        "servicePrincipals/microsoft.graph.agentIdentity",
        "SERVICEPRINCIPALS/Microsoft.Graph.AgentIdentity",
    ):
        response = send(
            world.http,
            "GET",
            f"https://graph.microsoft.com/beta/{path}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        assert response.json()["value"] == []


def test_agent_identity_cannot_get_credentials(world: EntraWorld) -> None:
    reg = world.provider().register("agent-identity", "bot", sponsors=[world.alice.id])
    token = world.provider().tokens.admin_token().access_token
    response = send(
        world.http,
        "POST",
        f"https://graph.microsoft.com/beta/servicePrincipals/{reg.object_id}/addPassword",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "PropertyNotCompatibleWithAgentIdentity"


def test_only_the_blueprint_creates_its_agent_identities(world: EntraWorld) -> None:
    reg = world.provider().register("agent-identity", "bot", sponsors=[world.alice.id])
    assert reg.blueprint is not None
    token = world.provider().tokens.admin_token().access_token
    response = send(
        world.http,
        "POST",
        "https://graph.microsoft.com/beta/serviceprincipals/Microsoft.Graph.AgentIdentity",
        json={
            "displayName": "sneaky",
            "agentIdentityBlueprintId": reg.blueprint["app_id"],
            "sponsors@odata.bind": [f"https://graph.microsoft.com/v1.0/users/{world.alice.id}"],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
