"""Every fetch has a total deadline and a byte cap, against real sockets on 127.0.0.1: a server
that trickles one byte at a time (in the headers or in the body), one that declares or streams a
huge body, and a gzip bomb. Each test would hang or buffer everything on the old transport."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from agentctl.errors import NetworkError
from agentctl.exit_codes import ExitCode
from agentctl.http import build_http_client
from agentctl.oauth.jwks import fetch_jwks
from agentctl.oauth.transport import send
from agentctl.services.inspect import InspectRequest, inspect_token
from tests.oauth.servers import raw_server

Script = Callable[[Callable[[bytes], None]], None]

MIB = 1024 * 1024
JWKS = json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "k1"}]}).encode()
# A bound on how long a refused fetch may take: the deadline under test is 1 s, the trickle
# would take minutes. It asserts the fetch ended, not how fast agentctl is.
ENDS_WITHIN = 15.0


def _head(**headers: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def trickle_body(write: Callable[[bytes], None]) -> None:
    write(_head(Content_Length="600"))
    for _ in range(600):  # two minutes, one byte at a time
        write(b" ")
        time.sleep(0.2)


def trickle_headers(write: Callable[[bytes], None]) -> None:
    for byte in _head(Content_Length=str(len(JWKS)), X_Slow="x" * 600)[:-4]:
        write(bytes([byte]))
        time.sleep(0.2)


def endless(chunked: bool, declared: int | None = None) -> Script:
    """A body of zeros up to 256 MiB, declared by Content-Length or chunked."""

    def script(write: Callable[[bytes], None]) -> None:
        if chunked:
            write(_head(Transfer_Encoding="chunked"))
        else:
            write(_head(Content_Length=str(declared or 256 * MIB)))
        block = b"0" * (64 * 1024)
        for _ in range(4096):
            write(b"10000\r\n" + block + b"\r\n" if chunked else block)

    return script


@pytest.mark.parametrize("script", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_a_trickling_server_is_cut_at_the_deadline(script: Callable[..., None]) -> None:
    with raw_server(script) as server, build_http_client(deadline=1.0) as client:
        start = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            fetch_jwks(client, server.url + "/jwks", cache=None, wall=0)
        elapsed = time.monotonic() - start
    assert "did not finish answering within 1 s" in caught.value.message
    assert elapsed < ENDS_WITHIN


@pytest.mark.parametrize(
    "script",
    [endless(chunked=False), endless(chunked=True), endless(chunked=False, declared=2 * MIB)],
    ids=["declared-huge", "chunked", "declared-small-but-longer"],
)
def test_a_huge_key_set_is_refused_early(script: Callable[..., None]) -> None:
    with raw_server(script) as server, build_http_client() as client:
        with pytest.raises(NetworkError) as caught:
            fetch_jwks(client, server.url + "/jwks", cache=None, wall=0)
        time.sleep(0.3)  # let the server notice the hang-up
    assert caught.value.message == f"the JWKS at {server.url}/jwks exceeds 1 MiB"
    assert caught.value.exit_code == ExitCode.NETWORK
    # The server could push at most the cap plus the sockets' buffers before the hang-up.
    assert server.sent[0] < 48 * MIB


def test_a_gzip_bomb_is_counted_decompressed() -> None:
    bomb = gzip.compress(b"0" * (64 * MIB))

    def script(write: Callable[[bytes], None]) -> None:
        write(_head(Content_Length=str(len(bomb)), Content_Encoding="gzip"))
        write(bomb)

    with (
        raw_server(script) as server,
        build_http_client() as client,
        pytest.raises(NetworkError, match="exceeds 4 MiB"),
    ):
        send(client, "POST", server.url + "/token")


def test_a_compressed_answer_within_the_cap_still_reads() -> None:
    body = gzip.compress(JWKS)

    def script(write: Callable[[bytes], None]) -> None:
        write(_head(Content_Length=str(len(body)), Content_Encoding="gzip") + body)

    with raw_server(script) as server, build_http_client() as client:
        keys = fetch_jwks(client, server.url + "/jwks", cache=None, wall=0)
    assert keys[0]["kid"] == "k1"


def test_agentctl_asks_for_no_compression() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=JWKS)

    with build_http_client(transport=httpx.MockTransport(handler)) as client:
        fetch_jwks(client, "https://idp.example/jwks", cache=None, wall=0)
    assert seen[0].headers["accept-encoding"] == "identity"


def test_an_in_memory_body_over_the_cap_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b" " * (MIB + 1))

    with (
        build_http_client(transport=httpx.MockTransport(handler)) as client,
        pytest.raises(NetworkError, match="exceeds 1 MiB"),
    ):
        fetch_jwks(client, "https://idp.example/jwks", cache=None, wall=0)


def test_inspect_verify_against_a_trickling_jwks_ends_with_exit_7() -> None:
    token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhIn0.c2ln"
    with raw_server(trickle_body) as server:
        start = time.monotonic()
        result = inspect_token(
            InspectRequest(token=token, verify=True, jwks=server.url + "/jwks"),
            wall=datetime.now(tz=UTC),
            http_factory=lambda: build_http_client(deadline=1.0),
        )
        elapsed = time.monotonic() - start
    assert result.exit_code == ExitCode.NETWORK
    assert "did not finish answering within 1 s" in result.errors[0]["message"]
    assert elapsed < ENDS_WITHIN


def test_inspect_cli_refuses_a_huge_key_set_in_one_line() -> None:
    import subprocess
    import sys

    token = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhIn0.c2ln"
    with raw_server(endless(chunked=True)) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "agentctl", "inspect", token, "--jwks", server.url + "/jwks"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == ExitCode.NETWORK
    assert "exceeds 1 MiB" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1
