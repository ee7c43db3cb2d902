"""`agentctl idp serve` as an operator runs it: TLS, what its start-up line promises about
registration and the admin route, the admin route behind a same-host reverse proxy, and the
plain-http screen on a server that listens beyond loopback (simulated in-process: tests never
bind beyond loopback)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentctl.http import build_http_client
from agentctl.idp.context import IdpContext
from agentctl.idp.wsgi import create_wsgi_app
from tests.idp.conftest import PASSWORD, Idp, assert_oauth_error

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Serve:
    """`agentctl idp serve --json ARGS` in its own process group; `info` is its start line."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        env = {**os.environ, **(env or {}), "AGENTCTL_HOME": str(home)}
        self.log = home / "serve.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agentctl",
                "idp",
                "serve",
                "--json",
                "--workers",
                "1",
                "--port",
                str(self.port),
                *args,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log.open("wb"),
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        text = ""
        try:
            while True:  # the --json document, printed before granian starts, may span lines
                line = self.proc.stdout.readline().decode()
                assert line, self.log.read_text()
                text += line
                try:
                    self.info: dict[str, Any] = json.loads(text)["data"]
                    break
                except json.JSONDecodeError:
                    continue
        except BaseException:
            self.stop()  # never leave a server behind a failed start
            raise

    def wait_ready(self, url: str, **kw: Any) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1, **kw).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(self.log.read_text())

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _rewrite_key(key: Path, key_format: str, password: bytes | None = None) -> None:
    """Rewrite the PEM private key in `key` as PKCS#8 or traditional (SEC1 for EC)."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(key.read_bytes(), None)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    pem_format = {
        "pkcs8": serialization.PrivateFormat.PKCS8,
        "sec1": serialization.PrivateFormat.TraditionalOpenSSL,
    }[key_format]
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, pem_format, encryption))


# granian (rustls) serves a traditional key as well as PKCS#8: both over real https
@pytest.mark.parametrize("key_format", ["pkcs8", "sec1"])
def test_tls_serve_says_what_it_allows_and_keeps_the_admin_route_off(
    home: Path, tmp_path: Path, key_format: str
) -> None:
    import ssl

    from tests.oauth.servers import self_signed

    _, cert = self_signed(tmp_path)  # writes cert.pem and key.pem into tmp_path
    key = tmp_path / "key.pem"
    _rewrite_key(key, key_format)
    assert key.read_text().startswith(
        "-----BEGIN EC PRIVATE KEY" if key_format == "sec1" else "-----BEGIN PRIVATE KEY"
    )
    trust = ssl.create_default_context(cafile=str(cert))
    server = Serve(home, "--certfile", str(cert), "--keyfile", str(key))
    try:
        base = f"https://127.0.0.1:{server.port}"
        assert server.info["base_url"] == base
        assert server.info["tls"] is True
        assert server.info["registration"] == "open"
        assert server.info["admin_signin"] is False
        server.wait_ready(f"{base}/i/enterprise/jwks.json", verify=trust)
        meta = httpx.get(
            f"{base}/.well-known/oauth-authorization-server/i/enterprise", verify=trust
        ).json()
        assert meta["issuer"] == f"{base}/i/enterprise"
        # without --admin-signin the route is off, whatever credential is shown
        r = httpx.post(
            f"{base}/i/enterprise/admin/user-token",
            data={"username": "alice", "password": PASSWORD, "client_id": "x"},
            headers={"Authorization": "Bearer any-credential-at-all-0123456789"},
            verify=trust,
        )
        assert_oauth_error(r, "access_denied", 403, says="--admin-signin")
        # plain http to a TLS port does not work at all
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{server.port}/i/enterprise/jwks.json", timeout=3)
    finally:
        server.stop()


def _serve_fails(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agentctl", "idp", "serve", "--port", str(_free_port()), *args],
        env={**os.environ, "AGENTCTL_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_an_encrypted_or_mismatched_key_is_refused_in_one_line(home: Path, tmp_path: Path) -> None:
    from tests.oauth.servers import self_signed

    _, cert = self_signed(tmp_path)
    key = tmp_path / "key.pem"
    _rewrite_key(key, "pkcs8", password=b"passphrase")
    # no passphrase prompt, no traceback from every worker: one line naming the fix
    r = _serve_fails(home, "--certfile", str(cert), "--keyfile", str(key))
    assert r.returncode == 2, r.stderr
    assert "the key is encrypted" in r.stderr
    assert f"openssl pkey -in {key}" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1

    other = tmp_path / "other"
    other.mkdir()
    self_signed(other)
    r = _serve_fails(home, "--certfile", str(cert), "--keyfile", str(other / "key.pem"))
    assert r.returncode == 2, r.stderr
    assert "do not load together" in r.stderr
    assert "Traceback" not in r.stderr


def test_token_registration_mode_and_admin_signin_credential_file(home: Path) -> None:
    server = Serve(home, "--registration", "token", "--admin-signin")
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert server.info["registration"] == "token"
        assert server.info["admin_signin"] is True
        server.wait_ready(f"{base}/i/enterprise/jwks.json")
        r = httpx.post(f"{base}/i/enterprise/register", json={"client_name": "x"})
        assert_oauth_error(r, "invalid_token", 401, says="registration-token")
        credential = home / "data" / "idp.admin-token"
        assert credential.stat().st_mode & 0o777 == 0o600
    finally:
        server.stop()


def test_open_registration_beyond_loopback_is_refused_at_start(home: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "agentctl",
            "idp",
            "serve",
            "--host",
            "192.0.2.1",
            "--registration",
            "open",
        ],
        env={**os.environ, "AGENTCTL_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert r.returncode == 2, r.stderr
    assert "loopback" in r.stderr
    assert "Traceback" not in r.stderr


class _Proxy:
    """A same-host reverse proxy (what the serve warning's "put TLS in front" leads to): every
    caller reaches the IdP from 127.0.0.1."""

    def __init__(self, upstream: str) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                r = httpx.post(upstream + self.path, content=body, headers=headers)
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("content-type", ""))
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        outer.server = self.server

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def proxy(idp: Idp) -> Iterator[_Proxy]:
    running = _Proxy(idp.base_url)
    try:
        yield running
    finally:
        running.close()


def test_admin_route_behind_a_same_host_proxy_needs_the_credential(idp: Idp, proxy: _Proxy) -> None:
    agent = idp.agent()
    idp.user("alice")
    form = {
        "username": "alice",
        "password": PASSWORD,
        "client_id": agent.client_id,
        "may_act": "attacker-choice",
    }
    r = httpx.post(f"{proxy.url}/i/enterprise/admin/user-token", data=form)
    assert_oauth_error(r, "invalid_token", 401)
    # the operator, who can read the data dir, still can
    ok = httpx.post(
        f"{proxy.url}/i/enterprise/admin/user-token", data=form, headers=idp.admin_headers()
    )
    assert ok.status_code == 200, ok.text


def test_plain_http_beyond_loopback_refuses_every_credential_bearing_request(idp: Idp) -> None:
    exposed = IdpContext(idp.svc.store, idp.base_url, bind_host="0.0.0.0")  # noqa: S104
    transport = httpx.WSGITransport(app=create_wsgi_app(exposed), remote_addr="203.0.113.9")
    with build_http_client(transport=transport, base_url="http://192.0.2.10:8400") as http:
        assert http.get("/i/enterprise/jwks.json").status_code == 200
        requests: tuple[tuple[str, dict[str, Any]], ...] = (
            ("/i/enterprise/register", {"json": {"client_name": "x"}}),
            ("/i/enterprise/token", {"data": {"grant_type": "client_credentials"}}),
            ("/i/enterprise/device_authorization", {"data": {"client_id": "x"}}),
            ("/i/enterprise/device", {"data": {"user_code": "x", "password": "x"}}),
            ("/i/enterprise/admin/user-token", {"data": {"username": "a"}}),
            ("/i/enterprise/introspect", {"data": {"token": "x"}}),
        )
        for path, kw in requests:
            assert_oauth_error(http.post(path, **kw), "insecure_transport", 400)
        r = http.get("/i/enterprise/resource", headers={"Authorization": "Bearer x"})
        assert_oauth_error(r, "insecure_transport", 400)
    # over https (a TLS proxy in front) registration is still not open: it needs a token
    with build_http_client(transport=transport, base_url="https://192.0.2.10:8400") as http:
        r = http.post("/i/enterprise/register", json={"client_name": "x"})
        assert_oauth_error(r, "invalid_token", 401)


def test_the_servers_environment_never_poses_as_a_request_header(home: Path) -> None:
    """granian builds each WSGI environ from os.environ: a variable named HTTP_AUTHORIZATION in
    the server's environment must not become the Authorization of requests that sent none."""
    from agentctl.idp.service import IdpService

    svc = IdpService.open(home / "data" / "idp.sqlite3")
    iat = svc.registration_token(uses=10, expires_in=600)
    svc.store.close()
    leaked = {"HTTP_AUTHORIZATION": f"Bearer {iat}", "CONTENT_TYPE": "application/json"}
    server = Serve(home, "--registration", "token", env=leaked)
    try:
        base = f"http://127.0.0.1:{server.port}"
        server.wait_ready(f"{base}/i/enterprise/jwks.json")
        r = httpx.post(
            f"{base}/i/enterprise/register",
            content=b'{"client_name": "x"}',
            headers={"Content-Type": "application/json"},
        )
        assert_oauth_error(r, "invalid_token", 401, says="registration-token")
        # the same token sent by the client works: the header was what was missing
        ok = httpx.post(
            f"{base}/i/enterprise/register",
            json={"client_name": "x"},
            headers={"Authorization": f"Bearer {iat}"},
        )
        assert ok.status_code == 201, ok.text
    finally:
        server.stop()
