"""`inspect --verify` against real HTTP on 127.0.0.1: JWKS by URL and by discovery, the cache,
key rotation, and a table of hand-made attack tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from agentctl.exit_codes import ExitCode
from agentctl.oauth.jwks import JwksCache
from agentctl.services.inspect import InspectRequest, example_names, inspect_token
from tests.core.inspect_fixtures import b64
from tests.helpers import run

NOW = int(datetime.now(tz=UTC).timestamp())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_KEY_2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig"}


class Server:
    """A tiny issuer: OIDC metadata and a JWKS that tests can swap, with request counts."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": [public_jwk(RSA_KEY, "k1")]}
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                if self.path == "/.well-known/openid-configuration":
                    body: Any = {
                        "issuer": outer.url,
                        "jwks_uri": outer.url + "/jwks",
                        "token_endpoint": outer.url + "/token",
                        "response_types_supported": ["code"],
                    }
                elif self.path == "/jwks":
                    body = outer.jwks
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def issuer() -> Iterator[Server]:
    server = Server()
    yield server
    server.stop()


def sign(claims: dict[str, Any], key: Any = RSA_KEY, alg: str = "RS256", **header: Any) -> str:
    header.setdefault("kid", "k1")
    return jwt.encode(claims, key, algorithm=alg, headers=header)


def claims_for(iss: str, **extra: Any) -> dict[str, Any]:
    return {
        "iss": iss,
        "sub": "alice",
        "aud": "https://api.example.com",
        "iat": NOW - 60,
        "exp": NOW + 600,
        "client_id": "cli",
        **extra,
    }


def verify_json(*args: str) -> tuple[int, dict[str, Any]]:
    res = run("inspect", *args, "--verify", "--json")
    doc = res.json()
    return res.exit_code, doc


def test_jwks_url_verifies(issuer: Server) -> None:
    code, doc = verify_json(sign(claims_for(issuer.url)), "--jwks", issuer.url + "/jwks")
    assert code == 0, doc
    v = doc["data"]["verification"]
    assert (v["status"], v["key_id"], v["jwks_source"]) == ("verified", "k1", issuer.url + "/jwks")
    assert v["checks"]["signature"] == "ok (RS256)"


def test_discovery_finds_jwks_uri_and_the_cache_saves_the_second_fetch(issuer: Server) -> None:
    token = sign(claims_for(issuer.url))
    for _ in range(2):
        code, doc = verify_json(token)
        assert code == 0, doc
        assert "jwks_uri of " + issuer.url in doc["data"]["verification"]["jwks_source"]
    assert issuer.hits["/jwks"] == 1
    assert issuer.hits["/.well-known/openid-configuration"] == 2


def test_human_output_always_shows_the_verification_result(issuer: Server) -> None:
    res = run("inspect", sign(claims_for(issuer.url)), "--jwks", issuer.url + "/jwks")
    assert res.exit_code == 0
    assert "Signature  verified" in res.stdout


def test_cache_ttl_expires(issuer: Server, tmp_path: Path) -> None:
    cache = JwksCache(tmp_path / "jwks", ttl=60)
    req = InspectRequest(token=sign(claims_for(issuer.url)), verify=True, jwks=issuer.url + "/jwks")
    wall = datetime.fromtimestamp(NOW, tz=UTC)
    for offset in (0, 30, 61):
        result = inspect_token(req, wall=wall.fromtimestamp(NOW + offset, tz=UTC), cache=cache)
        assert result.exit_code == 0
    assert issuer.hits["/jwks"] == 2  # t=0 fetch, t=30 cached, t=61 stale → fetched again


def test_unknown_kid_refetches_once_after_rotation(issuer: Server) -> None:
    verify_json(sign(claims_for(issuer.url)))  # caches the set with k1 only
    issuer.jwks = {"keys": [public_jwk(RSA_KEY, "k1"), public_jwk(RSA_KEY_2, "k2")]}
    code, doc = verify_json(sign(claims_for(issuer.url), key=RSA_KEY_2, kid="k2"))
    assert code == 0, doc
    assert issuer.hits["/jwks"] == 2


def test_unknown_kid_fails_after_one_refetch(issuer: Server) -> None:
    code, doc = verify_json(sign(claims_for(issuer.url), kid="nope"))
    assert code == ExitCode.VERIFY
    assert doc["data"]["verification"]["reason"] == (
        f"no key with kid 'nope' in {issuer.url}/jwks (jwks_uri of {issuer.url})"
    )
    assert issuer.hits["/jwks"] == 2


def test_failure_still_carries_the_full_explanation(issuer: Server) -> None:
    token = sign(claims_for(issuer.url, iat=NOW - 4 * 3600, exp=NOW - 3 * 3600))
    res = run("inspect", token, "--verify")
    assert res.exit_code == ExitCode.VERIFY
    assert "Signature  failed: expired 3 h ago" in res.stdout
    assert "user alice did this" in res.stdout
    assert res.stderr.startswith("error: verification failed: expired 3 h ago")
    code, doc = verify_json(token)
    assert (code, doc["status"], doc["errors"][0]["code"]) == (4, "partial", "verification_failed")
    assert doc["data"]["audit"].startswith("user alice did this")
    code, doc = verify_json(token, "--at", str(NOW - 3 * 3600 - 100))
    assert code == 0


@pytest.mark.parametrize(
    ("pins", "ok"),
    [
        ((), True),
        (("--audience", "https://api.example.com"), True),
        (("--audience", "https://other.example"), False),
        (("--issuer", "https://evil.example"), False),
    ],
)
def test_issuer_and_audience_pins(issuer: Server, pins: tuple[str, ...], ok: bool) -> None:
    code, doc = verify_json(sign(claims_for(issuer.url)), "--jwks", issuer.url + "/jwks", *pins)
    assert (code == 0) is ok, doc["data"]["verification"]


def _pem(key: Any, path: Path) -> str:
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


def test_pem_key_rsa_and_ec(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    token = sign(claims_for("https://issuer.example"), key=ec_key, alg="ES256")
    code, doc = verify_json(token, "--key", _pem(ec_key, tmp_path / "ec.pem"))
    assert code == 0, doc
    code, doc = verify_json(token, "--key", _pem(RSA_KEY, tmp_path / "rsa.pem"))
    assert code == 4
    assert "allows only PS256" in doc["data"]["verification"]["reason"]


def _hs256_with_public_key(issuer_url: str) -> str:
    pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    body = b64(json.dumps(claims_for(issuer_url)).encode())
    mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def _alg_none(url: str) -> str:
    return b64(b'{"alg":"none"}') + "." + b64(json.dumps(claims_for(url)).encode()) + "."


def _strip(token: str) -> str:
    return token.rsplit(".", 1)[0] + "."


def _tamper(token: str) -> str:
    head, _, sig = token.split(".")
    body = b64(json.dumps({**claims_for("x"), "sub": "admin"}).encode())
    return f"{head}.{body}.{sig}"


ATTACKS: dict[str, tuple[Callable[[str], str], str]] = {
    "algorithm confusion (HS256 with the RSA public key)": (
        lambda url: _hs256_with_public_key(url),
        "algorithm confusion refused",
    ),
    "stripped signature": (lambda url: _strip(sign(claims_for(url))), "unsigned"),
    "alg none": (lambda url: _alg_none(url), "unsigned"),
    "tampered payload": (lambda url: _tamper(sign(claims_for(url))), "signature does not match"),
    "kid injection": (
        lambda url: sign(claims_for(url), kid="../../../../etc/passwd"),
        "no key with kid '../../../../etc/passwd'",
    ),
    "kid injection (sql)": (
        lambda url: sign(claims_for(url), kid="x' OR '1'='1"),
        "no key with kid",
    ),
    "foreign key": (lambda url: sign(claims_for(url), key=RSA_KEY_2), "signature does not match"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_tokens_fail_verification(issuer: Server, attack: str) -> None:
    make, reason = ATTACKS[attack]
    code, doc = verify_json(make(issuer.url), "--jwks", issuer.url + "/jwks")
    assert code == ExitCode.VERIFY, doc
    assert reason in doc["data"]["verification"]["reason"]
    assert doc["data"]["verification"]["status"] == "failed"


def test_jku_pointing_elsewhere_is_never_followed(issuer: Server) -> None:
    attacker = Server()
    attacker.jwks = {"keys": [public_jwk(RSA_KEY_2, "evil")]}
    try:
        token = sign(claims_for(issuer.url), key=RSA_KEY_2, kid="evil", jku=attacker.url + "/jwks")
        code, doc = verify_json(token)
        assert code == ExitCode.VERIFY
        assert attacker.hits == {}
        assert "header_jku" in {f["code"] for f in doc["data"]["findings"]}
    finally:
        attacker.stop()


def test_cache_files_are_named_by_url_hash_only(issuer: Server) -> None:
    home = Path(os.environ["AGENTCTL_HOME"])
    verify_json(sign(claims_for(issuer.url), kid="../../x"))
    files = sorted(p.relative_to(home) for p in home.rglob("*"))
    assert [str(f) for f in files[:2]] == ["cache", "cache/jwks"]
    assert len(files) == 3
    assert files[2].suffix == ".json"
    assert len(files[2].stem) == 32


@pytest.mark.parametrize("name", example_names())
def test_every_shipped_example_verifies_with_the_shipped_jwks(name: str) -> None:
    code, doc = verify_json("--example", name)
    assert code == 0, doc["data"]["verification"]


def test_encrypted_and_opaque_tokens_cannot_be_verified() -> None:
    jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ..aaaa.bbbb.cccc"
    for token in ("2YotnFZFEjr1zCsicMWpAA", jwe):
        code, doc = verify_json(token)
        assert code == ExitCode.VERIFY
        assert "carries no signature" in doc["data"]["verification"]["reason"]


def test_unreadable_key_files_are_bad_input() -> None:
    token = sign(claims_for("https://x.example"))
    code, doc = verify_json(token, "--jwks", "/nonexistent.json")
    assert code == ExitCode.USAGE
    assert "cannot read JWKS file" in doc["errors"][0]["message"]
    code, doc = verify_json(token, "--key", "/nonexistent.pem")
    assert code == ExitCode.USAGE


def test_unreachable_jwks_is_a_network_error_with_the_explanation_kept() -> None:
    code, doc = verify_json(
        sign(claims_for("https://x.example")), "--jwks", "http://127.0.0.1:9/jwks"
    )
    assert code == ExitCode.NETWORK
    assert doc["data"]["verification"]["status"] == "not_checked"
    assert doc["data"]["subject"]["id"] == "alice"


def test_plain_http_jwks_off_loopback_is_refused() -> None:
    code, doc = verify_json(
        sign(claims_for("https://x.example")), "--jwks", "http://keys.example.com/jwks"
    )
    assert code == ExitCode.CONFIG
    assert "plain http" in doc["errors"][0]["message"]


def _nested(*subs: str) -> dict[str, Any]:
    act: dict[str, Any] | None = None
    for sub in reversed(subs):
        act = {"sub": sub, **({"act": act} if act else {})}
    assert act is not None
    return act


@pytest.mark.parametrize(
    ("actors", "says"),
    [
        (("agent-a", "agent-b", "agent-a"), "repeats an actor (agent-a)"),
        (("a1", "a2", "a3", "a4", "a5"), "5 actors"),
    ],
)
def test_a_well_signed_token_with_an_unacceptable_chain_fails_verification(
    issuer: Server, actors: tuple[str, ...], says: str
) -> None:
    token = sign(claims_for(issuer.url, act=_nested(*actors)))
    code, doc = verify_json(token, "--jwks", issuer.url + "/jwks")
    assert code == ExitCode.VERIFY, doc
    v = doc["data"]["verification"]
    assert v["status"] == "failed", v
    assert says in v["reason"]
    assert v["checks"]["signature"] == "ok (RS256)"  # the signature was fine; the chain is not


def test_a_chain_within_the_limit_verifies(issuer: Server) -> None:
    token = sign(claims_for(issuer.url, act=_nested("a1", "a2", "a3", "a4")))
    code, doc = verify_json(token, "--jwks", issuer.url + "/jwks")
    assert code == 0, doc
    assert doc["data"]["verification"]["checks"]["act_chain"] == "ok"
