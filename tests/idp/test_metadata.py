from __future__ import annotations

from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from agentctl.idp import constants as c
from tests.idp.conftest import Idp, assert_oauth_error


def test_rfc8414_and_oidc_discovery_serve_the_same_document(idp: Idp) -> None:
    issuer = idp.url("enterprise")
    rfc8414 = idp.http.get(f"{idp.base_url}/.well-known/oauth-authorization-server/i/enterprise")
    oidc = idp.http.get(f"{issuer}/.well-known/openid-configuration")
    assert rfc8414.status_code == oidc.status_code == 200
    assert rfc8414.json() == oidc.json()
    meta = rfc8414.json()
    assert meta["issuer"] == issuer  # RFC 8414 §3.3: must equal the issuer used
    AuthorizationServerMetadata(meta).validate()
    assert meta["token_endpoint"] == f"{issuer}/token"
    for grant in (c.GRANT_CLIENT_CREDENTIALS, c.GRANT_TOKEN_EXCHANGE, c.GRANT_JWT_BEARER):
        assert grant in meta["grant_types_supported"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",  # public clients, for the authorization code grant with PKCE only
    }
    assert meta["identity_chaining_requested_token_types_supported"] == [c.TT_ID_JAG]
    assert "authorization_grant_profiles_supported" not in meta


def test_resource_as_advertises_the_id_jag_grant_profile(idp: Idp) -> None:
    meta = idp.http.get(f"{idp.base_url}/.well-known/oauth-authorization-server/i/mcp-as").json()
    assert meta["issuer"] == idp.url("mcp-as")
    assert meta["authorization_grant_profiles_supported"] == [c.GRANT_PROFILE_ID_JAG]
    assert c.GRANT_JWT_BEARER in meta["grant_types_supported"]
    assert "identity_chaining_requested_token_types_supported" not in meta


def test_each_issuer_has_its_own_es256_key_in_jwks(idp: Idp) -> None:
    ent = idp.http.get(idp.url("enterprise", "jwks.json")).json()["keys"]
    mcp = idp.http.get(idp.url("mcp-as", "jwks.json")).json()["keys"]
    assert len(ent) == len(mcp) == 1
    assert ent[0]["kid"] != mcp[0]["kid"]
    assert ent[0]["alg"] == "ES256"
    assert ent[0]["kty"] == "EC"
    assert ent[0]["use"] == "sig"
    assert "d" not in ent[0]  # never the private part


def test_unknown_issuer_and_path_are_json_404s(idp: Idp) -> None:
    assert_oauth_error(idp.http.get(idp.url("nope", "jwks.json")), "not_found", 404)
    assert_oauth_error(idp.http.get(f"{idp.base_url}/nowhere"), "not_found", 404)
    assert_oauth_error(idp.http.get(idp.url("enterprise", "token")), "invalid_request", 405)


def test_index_lists_issuers(idp: Idp) -> None:
    names = [i["name"] for i in idp.http.get(idp.base_url + "/").json()["issuers"]]
    assert names == ["enterprise", "mcp-as"]


def test_a_plugin_adds_routes_grants_and_metadata() -> None:
    """The seam the device-flow and demo-resource modules use."""
    from typing import Any

    import httpx
    from flask import Flask

    from agentctl.http import build_http_client
    from agentctl.idp.context import IdpContext
    from agentctl.idp.server import IssuerServer
    from agentctl.idp.service import IdpService
    from agentctl.idp.wsgi import create_wsgi_app

    seen: list[str] = []

    class Plugin:
        def init_app(self, app: Flask, ctx: IdpContext) -> None:
            app.add_url_rule("/i/<name>/hello", "hello", lambda name: {"hello": name})

        def init_issuer(self, server: IssuerServer) -> None:
            seen.append(server.name)

        def metadata(self, server: IssuerServer) -> dict[str, Any]:
            return {"grant_types_supported": ["urn:example:grant"], "x_demo": True}

    svc = IdpService.open()
    transport = httpx.WSGITransport(app=create_wsgi_app(svc.ctx, plugins=[Plugin()]))
    with build_http_client(transport=transport, base_url=svc.ctx.base_url) as http:
        meta = http.get("/i/enterprise/.well-known/openid-configuration").json()
        assert http.get("/i/mcp-as/hello").json() == {"hello": "mcp-as"}
    assert meta["x_demo"] is True
    assert meta["grant_types_supported"][-1] == "urn:example:grant"
    assert "client_credentials" in meta["grant_types_supported"]
    assert seen == ["enterprise"]
