from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from agentctl.errors import ConfigError, NetworkError, OAuthError
from agentctl.exit_codes import ExitCode
from agentctl.http import build_http_client
from agentctl.oauth.transport import json_body, raise_for_oauth_error, send
from tests.oauth.servers import Reply, Seen, json_reply, self_signed, serve, sleepy


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_names_the_host_and_what_to_check() -> None:
    port = _closed_port()
    with pytest.raises(NetworkError) as info:
        send(build_http_client(), "GET", f"http://127.0.0.1:{port}/x", idempotent=True, backoff=0)
    assert f"connection refused by 127.0.0.1:{port}" in info.value.message
    assert info.value.exit_code == ExitCode.NETWORK
    assert info.value.hint


def test_dns_failure_on_an_invalid_name() -> None:
    with pytest.raises(NetworkError) as info:
        send(build_http_client(), "GET", "https://idp.agentctl.invalid/x", backoff=0)
    assert "idp.agentctl.invalid" in info.value.message
    assert "resolve" in info.value.message or "cannot connect" in info.value.message


def test_timeout_is_reported_not_hung() -> None:
    with serve({"/slow": sleepy(1.5)}) as srv:
        client = build_http_client(timeout=0.2)
        with pytest.raises(NetworkError, match="did not answer in time"):
            send(client, "POST", srv.url + "/slow")
        assert srv.hits("/slow") == 1  # a token request is never retried


def _flaky(statuses: list[int]) -> tuple[dict[str, Callable[[Seen], Reply]], list[int]]:
    calls: list[int] = []

    def route(_: Seen) -> Reply:
        status = statuses[min(len(calls), len(statuses) - 1)]
        calls.append(status)
        return json_reply({"ok": True}, status) if status == 200 else (status, {}, b"down")

    return {"/r": route}, calls


def test_get_retries_503_then_succeeds() -> None:
    routes, calls = _flaky([503, 503, 200])
    with serve(routes) as srv:
        response = send(build_http_client(), "GET", srv.url + "/r", idempotent=True, backoff=0)
    assert response.status_code == 200
    assert calls == [503, 503, 200]


def test_post_is_not_retried_on_503() -> None:
    routes, calls = _flaky([503, 200])
    with serve(routes) as srv, pytest.raises(NetworkError, match="HTTP 503"):
        send(build_http_client(), "POST", srv.url + "/r", backoff=0)
    assert calls == [503]


def test_http_500_is_a_server_error_line() -> None:
    routes, _calls = _flaky([500])
    with serve(routes) as srv, pytest.raises(NetworkError) as info:
        send(build_http_client(), "GET", srv.url + "/r", idempotent=True, backoff=0)
    assert "HTTP 500" in info.value.message
    assert info.value.details["status"] == 500


def test_html_error_page_is_named_as_such() -> None:
    page = b"<!doctype html><html><body>Sign in to the proxy</body></html>"
    with serve({"/t": lambda _: (200, {"Content-Type": "text/html"}, page)}) as srv:
        response = send(build_http_client(), "GET", srv.url + "/t")
        with pytest.raises(NetworkError, match="is an HTML page, not JSON"):
            json_body(response, "token response")


def test_non_json_is_named() -> None:
    with serve({"/t": lambda _: (200, {"Content-Type": "text/plain"}, b"ok")}) as srv:
        response = send(build_http_client(), "GET", srv.url + "/t")
        with pytest.raises(NetworkError, match=r"non-JSON content \(text/plain\)"):
            json_body(response)


def test_oauth_error_body_keeps_error_and_description() -> None:
    body = {"error": "invalid_client", "error_description": "client authentication failed"}
    with serve({"/token": lambda _: json_reply(body, 401)}) as srv:
        response = send(build_http_client(), "POST", srv.url + "/token")
        with pytest.raises(OAuthError) as info:
            raise_for_oauth_error(response)
    assert info.value.error == "invalid_client"
    assert info.value.description == "client authentication failed"
    assert info.value.exit_code == ExitCode.IDP


def test_4xx_without_oauth_body_is_not_called_an_oauth_error() -> None:
    with serve({"/token": lambda _: (404, {"Content-Type": "text/html"}, b"<h1>nope</h1>")}) as srv:
        response = send(build_http_client(), "POST", srv.url + "/token")
        with pytest.raises(NetworkError, match="HTTP 404 without an OAuth error"):
            raise_for_oauth_error(response)


def test_self_signed_tls_fails_clearly_then_works_with_ca_bundle(tmp_path: Path) -> None:
    ctx, cert = self_signed(tmp_path)
    with serve({"/m": lambda _: json_reply({"ok": True})}, tls=ctx) as srv:
        with pytest.raises(NetworkError) as info:
            send(build_http_client(), "GET", srv.url + "/m", backoff=0)
        assert "TLS certificate of 127.0.0.1" in info.value.message
        assert "--ca-bundle" in (info.value.hint or "")
        ok = send(build_http_client(ca_bundle=str(cert)), "GET", srv.url + "/m")
        assert ok.json() == {"ok": True}


def test_plain_http_to_a_remote_host_is_refused_before_any_connection() -> None:
    with pytest.raises(ConfigError) as info:
        send(build_http_client(), "GET", "http://idp.example.com/token")
    assert "only for loopback" in info.value.message
    assert info.value.exit_code == ExitCode.CONFIG
