"""agentctl.http_inprocess.InProcessClient against agentctl's httpx client over httpx's own
WSGITransport: the same requests, sent both ways to the same WSGI app, must reach the app alike
and come back alike (issue 16: the in-process path drops httpx, not HTTP semantics)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.errors import NetworkError
from agentctl.http import build_http_client
from agentctl.http_inprocess import Headers, InProcessClient
from agentctl.http_types import EventHooks, HttpClient
from agentctl.oauth.trace import Tracer
from agentctl.oauth.transport import json_body, send

ORIGIN = "http://127.0.0.1:8400"
SEEN_KEYS = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "REMOTE_ADDR",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "wsgi.url_scheme",
)


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answers with what it was sent, as JSON, and a few header shapes worth comparing."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    seen = {k: environ.get(k) for k in SEEN_KEYS}
    seen["headers"] = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
    seen["body"] = body.decode("utf-8", "replace")
    status = environ.get("HTTP_X_STATUS", "200 OK")
    start_response(
        status,
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Repeated", "one"),
            ("x-repeated", "two"),
            ("Cache-Control", "no-store"),
        ],
    )
    return [json.dumps(seen, sort_keys=True).encode()]


def no_network(hooks: EventHooks) -> HttpClient:
    raise AssertionError("nothing here leaves the process")


def both(app: Any = echo_app) -> tuple[HttpClient, HttpClient]:
    local = InProcessClient(app, origin=ORIGIN, fallback=no_network)
    reference = build_http_client(transport=httpx.WSGITransport(app=app))
    return local, reference


def same_exchange(method: str, url: str, **kwargs: Any) -> None:
    local, reference = both()
    mine = local.request(method, url, **kwargs)
    theirs = reference.request(method, url, **kwargs)
    assert mine.status_code == theirs.status_code
    assert mine.json() == theirs.json()  # what the app saw
    assert mine.content == theirs.content
    assert mine.text == theirs.text
    assert dict(mine.headers.items()) == dict(theirs.headers.items())
    assert list(mine.request.headers.items()) == list(theirs.request.headers.items())
    assert str(mine.request.url) == str(theirs.request.url)
    assert mine.request.content == theirs.request.content
    assert mine.request.method == theirs.request.method


def test_a_token_request_reaches_the_app_as_httpx_sends_it() -> None:
    same_exchange(
        "POST",
        f"{ORIGIN}/i/enterprise/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": "eyJ.x.y",
            "resource": ["https://a.example", "https://b.example"],
            "scope": "read write",
        },
        headers={"Authorization": "Basic YTpi"},
    )


def test_a_get_with_params_json_bodies_and_a_delete_match_too() -> None:
    same_exchange("GET", f"{ORIGIN}/.well-known/openid-configuration", params={"a": "1 2"})
    same_exchange("GET", f"{ORIGIN}/x?q=1", params={"r": ["2", "3"]})
    same_exchange("POST", f"{ORIGIN}/register", json={"client_name": "é agent", "n": [1, None]})
    same_exchange("POST", f"{ORIGIN}/empty")
    same_exchange("DELETE", f"{ORIGIN}/register/abc")
    same_exchange("GET", f"{ORIGIN}/x", headers={"X-Status": "404 Not Found"})
    # Dot segments are resolved before sending, as over a socket.
    same_exchange("GET", f"{ORIGIN}/i/x/../../admin/./signin")


form_values = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=8), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    segments=st.lists(st.sampled_from([".", ".."]) | st.text(min_size=1, max_size=10), max_size=4),
    data=st.none() | st.dictionaries(st.text(min_size=1, max_size=10), form_values, max_size=4),
    # (A query key with an empty list of values is left out: httpx then writes a bare "?",
    # and agentctl never sends one.)
    params=st.none()
    | st.dictionaries(
        st.text(min_size=1, max_size=6),
        form_values.filter(lambda v: v != []),
        max_size=3,
    ),
    header=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
)
def test_any_form_request_agentctl_builds_matches(
    method: str,
    segments: list[str],
    data: dict[str, Any] | None,
    params: dict[str, Any] | None,
    header: str,
) -> None:
    # URLs as agentctl builds them: percent-encoded path segments, query from params.
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    body = data if method in ("POST", "PUT", "PATCH") else None
    same_exchange(
        method,
        f"{ORIGIN}{path}",
        params=params,
        data=body,
        headers={"X-Probe": header.strip()},
    )


@settings(max_examples=80, deadline=None)
@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_any_json_body_matches(payload: Any) -> None:
    same_exchange("POST", f"{ORIGIN}/register", json=payload)


def test_the_trace_sees_the_same_requests_and_responses() -> None:
    events = []
    for client in both():
        tracer = Tracer(secrets=["s3cret"])
        tracer.attach(client)
        client.request(
            "POST",
            f"{ORIGIN}/token",
            data={"grant_type": "client_credentials", "client_secret": "s3cret"},
        )
        assert len(tracer.events) == 2
        events.append([{**e.to_dict(), "elapsed_ms": None} for e in tracer.events])
    assert events[0] == events[1]
    assert "s3cret" not in json.dumps(events[0])


def test_other_origins_go_to_the_fallback_built_once_with_the_hooks() -> None:
    built: list[EventHooks] = []
    outside = InProcessClient(echo_app, origin="https://mcp.example", fallback=no_network)

    def fallback(hooks: EventHooks) -> HttpClient:
        built.append(hooks)
        return outside

    seen: list[str] = []
    client = InProcessClient(
        echo_app,
        origin=ORIGIN,
        fallback=fallback,
        event_hooks={"request": [lambda r: seen.append(str(r.url))]},
    )
    client.request("GET", f"{ORIGIN}/a")
    assert built == []  # the network is not even set up for the IdP's own origin
    answer = client.request("GET", "https://MCP.example:443/tools")
    assert answer.json()["SERVER_NAME"] == "mcp.example"
    client.request("GET", "https://mcp.example/more")
    assert len(built) == 1
    assert built[0]["request"][0] is client.event_hooks["request"][0]
    assert seen == [f"{ORIGIN}/a"]  # the fallback runs the hooks it was given itself
    # Another port of the same host is another origin.
    with pytest.raises(AssertionError, match="nothing here leaves"):
        InProcessClient(echo_app, origin=ORIGIN, fallback=no_network).request(
            "GET", "http://127.0.0.1:8401/a"
        )


def test_send_caps_the_body_and_reads_json_as_over_the_network() -> None:
    local, _ = both()
    answer = send(local, "GET", f"{ORIGIN}/doc", max_bytes=64 * 1024)
    assert json_body(answer)["REQUEST_METHOD"] == "GET"
    with pytest.raises(NetworkError, match="exceeds"):
        send(local, "GET", f"{ORIGIN}/doc", max_bytes=10, what="key set")


def test_an_app_failure_reaches_the_caller() -> None:
    def failing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            import sys

            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b""]

    with pytest.raises(RuntimeError, match="boom"):
        InProcessClient(failing, origin=ORIGIN, fallback=no_network).request("GET", f"{ORIGIN}/x")


def test_the_app_iterable_is_closed_and_text_follows_the_charset() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            return iter(["caf\u00e9".encode("latin-1")])

        def close(self) -> None:
            closed.append(True)

    def latin(environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain; charset=latin-1")])
        return Body()

    answer = InProcessClient(latin, origin=ORIGIN, fallback=no_network).request(
        "GET", f"{ORIGIN}/x"
    )
    assert answer.text == "caf\u00e9"
    assert closed == [True]


def test_headers_are_case_insensitive_and_join_repeats() -> None:
    headers = Headers([("X-A", "1"), ("x-a", "2"), ("Content-Type", "a/b")])
    assert headers["x-a"] == "1, 2"
    assert headers.get("CONTENT-TYPE") == "a/b"
    assert "X-a" in headers
    assert "nope" not in headers
    assert 3 not in headers  # type: ignore[comparison-overlap]
    assert list(headers) == ["x-a", "content-type"]
    assert len(headers) == 2


def test_hooks_attached_later_reach_the_network_client_beside_its_own_guards() -> None:
    network = build_http_client(transport=httpx.WSGITransport(app=echo_app))
    guards = {kind: list(hooks) for kind, hooks in network.event_hooks.items()}
    client = InProcessClient(echo_app, origin=ORIGIN, fallback=lambda hooks: network)
    client.request("GET", "https://mcp.example/first")  # the network client is built
    tracer = Tracer()
    tracer.attach(client)
    client.request("GET", "https://mcp.example/second")
    client.request("GET", f"{ORIGIN}/own")
    assert [e.url for e in tracer.events if e.kind == "request"] == [
        "https://mcp.example/second",
        f"{ORIGIN}/own",
    ]
    for kind, hooks in guards.items():  # the deadline and size guards are still there
        assert network.event_hooks[kind][: len(hooks)] == hooks
