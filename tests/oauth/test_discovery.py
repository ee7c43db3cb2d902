from __future__ import annotations

from collections.abc import Callable

import pytest

from agentctl.errors import NetworkError, ProviderError
from agentctl.http import build_http_client
from agentctl.oauth.discovery import fetch_metadata, fetch_protected_resource_metadata
from tests.oauth.servers import Reply, Seen, json_reply, serve


def _meta(issuer_box: list[str]) -> Callable[[Seen], Reply]:
    def route(_: Seen) -> Reply:
        issuer = issuer_box[0]
        return json_reply({"issuer": issuer, "token_endpoint": issuer + "/token"})

    return route


def test_oidc_form_appends_to_the_issuer_path() -> None:
    box: list[str] = []
    with serve({"/tenant1/.well-known/openid-configuration": _meta(box)}) as srv:
        box.append(srv.url + "/tenant1")
        doc = fetch_metadata(build_http_client(), srv.url + "/tenant1")
    assert doc["token_endpoint"] == srv.url + "/tenant1/token"


def test_rfc8414_form_inserts_between_host_and_path() -> None:
    box: list[str] = []
    routes = {"/.well-known/oauth-authorization-server/tenant1": _meta(box)}
    with serve(routes) as srv:
        box.append(srv.url + "/tenant1")
        doc = fetch_metadata(build_http_client(), srv.url + "/tenant1")
        assert srv.hits("/tenant1/.well-known/openid-configuration") == 1  # tried first
    assert doc["issuer"] == srv.url + "/tenant1"


def test_issuer_mismatch_is_refused() -> None:
    box = ["https://evil.example"]
    with (
        serve({"/.well-known/openid-configuration": _meta(box)}) as srv,
        pytest.raises(ProviderError, match=r"names issuer 'https://evil\.example'"),
    ):
        fetch_metadata(build_http_client(), srv.url)


def test_no_metadata_lists_what_was_tried() -> None:
    with serve({}) as srv, pytest.raises(NetworkError) as info:
        fetch_metadata(build_http_client(), srv.url)
    assert "openid-configuration → HTTP 404" in info.value.message
    assert "oauth-authorization-server → HTTP 404" in info.value.message


def test_protected_resource_metadata_rfc9728() -> None:
    box: list[str] = []

    def route(_: Seen) -> Reply:
        return json_reply({"resource": box[0], "authorization_servers": ["https://as.example"]})

    with serve({"/.well-known/oauth-protected-resource/mcp": route}) as srv:
        box.append(srv.url + "/mcp")
        doc = fetch_protected_resource_metadata(build_http_client(), srv.url + "/mcp")
    assert doc["authorization_servers"] == ["https://as.example"]


def test_discovery_against_the_npm_peer(oidc_peer: str) -> None:
    doc = fetch_metadata(build_http_client(), oidc_peer)
    assert doc["issuer"] == oidc_peer
    assert "client_credentials" in doc["grant_types_supported"]
