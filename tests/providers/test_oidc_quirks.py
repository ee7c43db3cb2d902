"""Issue 12: any OIDC IdP as it really is. Each test runs agentctl against a real server process
that behaves like servers seen in the wild: the npm OpenID provider started with PEER_QUIRKS
(tests/peers/oidc-provider/server.mjs), or the embedded IdP served over HTTP and used as a plain
`oidc` profile. Each names the defect it guards against."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from agentctl.http import build_http_client
from agentctl.providers.base import Credential
from agentctl.providers.oidc import DEFAULT_REDIRECT_URI, OidcProvider
from tests.conftest import MemoryKeyring
from tests.helpers import run
from tests.idp.conftest import Idp, _fast_kdf, idp  # noqa: F401 - fixtures
from tests.peers import OIDC_PEER_DIR, PEER_ADMIN_ID, PEER_ADMIN_SECRET, PEER_DEVICE_ID

pytestmark = pytest.mark.peer

ENCODED_ID = "agentctl-encoded"  # server.mjs: a secret HTTP Basic must percent-encode
ENCODED_SECRET = "se/cr+et %:x~"  # the fixture's published test secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(quirks: str) -> tuple[str, Callable[[], None]]:
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("oidc peer: node/npm not installed", pytrace=False)
        pytest.skip("oidc peer: node/npm not installed")
    port = _free_port()
    env = {**os.environ, "PEER_QUIRKS": quirks}
    started = subprocess.run(
        [str(OIDC_PEER_DIR / "start.sh"), str(port)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    if started.returncode != 0:
        pytest.fail(f"oidc peer ({quirks}) did not start:\n{started.stderr}", pytrace=False)

    def stop() -> None:
        subprocess.run(
            [str(OIDC_PEER_DIR / "stop.sh"), str(port)],
            capture_output=True,
            timeout=30,
            check=False,
        )
        peer_dir = Path(
            os.environ.get("PEER_DIR")
            or Path(os.environ.get("TMPDIR", "/tmp")) / "agentctl-peer-oidc-provider"
        )
        shutil.rmtree(peer_dir / f"data.{port}", ignore_errors=True)
        (peer_dir / f"log.{port}.txt").unlink(missing_ok=True)

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture(scope="module")
def quirky() -> Iterator[Callable[[str], str]]:
    """quirky("a,b") -> the issuer of a peer started with PEER_QUIRKS=a,b (one per set)."""
    running: dict[str, tuple[str, Callable[[], None]]] = {}

    def get(quirks: str) -> str:
        if quirks not in running:
            running[quirks] = _start(quirks)
        return running[quirks][0]

    yield get
    for _, stop in running.values():
        stop()


def _profile(name: str, issuer: str, *extra: str, stdin: str | None = None) -> None:
    res = run("profile", "add", name, "--issuer", issuer, *extra, stdin=stdin)
    assert res.exit_code == 0, res.stderr


def _json(*args: str, code: int = 0, **kw: Any) -> dict[str, Any]:
    res = run(*args, "--json", **kw)
    assert res.exit_code == code, res.stdout + res.stderr
    return res.json()  # type: ignore[no-any-return]


def _agent_blob(keys: MemoryKeyring, profile: str, name: str) -> dict[str, Any]:
    return json.loads(keys.items[("agentctl", f"{profile}/agent/{name}")])  # type: ignore[no-any-return]


# -- register: redirect URIs -------------------------------------------------------------------


def test_a_server_that_demands_a_redirect_uri_gets_the_stated_default(
    quirky: Callable[[str], str],
) -> None:
    """Was: `redirect_uris: []` always, invalid_redirect_uri, exit 6."""
    _profile("rr", quirky("require-redirect-uri"))
    doc = _json("register", "bot", "--profile", "rr")
    assert doc["data"]["registration"]["metadata"]["redirect_uris"] == [DEFAULT_REDIRECT_URI]
    said = " ".join(doc["warnings"])
    assert f"sent redirect_uris [{DEFAULT_REDIRECT_URI}]" in said
    assert "--redirect-uri" in said
    ran = _json("exchange", "--mode", "agent", "--agent", "bot", "--profile", "rr")
    assert ran["status"] == "ok"


def test_redirect_uri_is_repeatable_and_sent_as_given(quirky: Callable[[str], str]) -> None:
    _profile("rr2", quirky("require-redirect-uri"))
    uris = ["https://agent.example.com/cb", "http://127.0.0.1:7777/cb"]
    doc = _json(
        "register", "bot", "--profile", "rr2", "--redirect-uri", uris[0], "--redirect-uri", uris[1]
    )
    assert doc["data"]["registration"]["metadata"]["redirect_uris"] == uris
    assert not any("redirect" in w for w in doc["warnings"])
    dry = _json("register", "other", "--profile", "rr2", "--redirect-uri", uris[0], "--dry-run")
    assert dry["data"]["requests"][0]["body"]["redirect_uris"] == [uris[0]]


# -- metadata is advice ------------------------------------------------------------------------


def test_an_unadvertised_client_credentials_grant_is_tried_and_can_be_pinned(
    quirky: Callable[[str], str],
) -> None:
    """Was: exit 8 before sending, because grant_types_supported omits client_credentials."""
    issuer = quirky("hide-client-credentials")
    _profile("hid", issuer)
    assert run("register", "bot", "--profile", "hid").exit_code == 0
    ran = _json("exchange", "--mode", "agent", "--agent", "bot", "--profile", "hid")
    assert ran["status"] == "ok"
    notes = " ".join(ran["data"]["notes"])
    assert "grant_types_supported lacks client_credentials, yet the IdP issued a token" in notes
    assert "agentctl profile set hid --grant client_credentials" in notes
    pinned = _json("profile", "set", "hid", "--grant", "client_credentials")
    assert pinned["data"]["grants"] == ["client_credentials"]
    again = _json("exchange", "--mode", "agent", "--agent", "bot", "--profile", "hid")
    assert not any("yet the IdP issued" in n for n in again["data"]["notes"])
    doctor = _json("doctor", "--profile", "hid")["data"]
    assert doctor["capabilities"]["client_credentials"] is True
    grant = next(c for c in doctor["checks"] if c["id"] == "grant.client_credentials")
    assert "pinned by the profile" in grant["message"]
    bad = run("profile", "set", "hid", "--grant", "implicit")
    assert bad.exit_code == 2
    assert "unknown grant 'implicit'" in bad.stderr


def test_doctor_probes_what_the_metadata_leaves_out_with_the_profiles_client(
    quirky: Callable[[str], str],
) -> None:
    """Was: "agent: not offered" from the metadata alone; the probe asks the server."""
    _profile(
        "hidc",
        quirky("hide-client-credentials"),
        "--client-id",
        PEER_ADMIN_ID,
        "--secret-store",
        "file",
        "--secret-stdin",
        stdin=PEER_ADMIN_SECRET,
    )
    data = _json("doctor", "--profile", "hidc")["data"]
    checks = {c["id"]: c for c in data["checks"]}
    assert checks["probe.client_credentials"]["status"] == "ok"
    assert "offered (the IdP answered a token)" in checks["probe.client_credentials"]["message"]
    assert checks["probe.token_exchange"]["status"] == "no"
    assert "unsupported_grant_type" in checks["probe.token_exchange"]["message"]
    assert data["modes"]["agent"] is True
    assert data["modes"]["obo"] is False


def test_doctor_fails_an_auth_method_the_idp_does_not_accept(quirky: Callable[[str], str]) -> None:
    """Was: "✓ exchange --mode agent … nothing wrong", then exchange exits 8."""
    _profile(
        "post",
        quirky("no-client-secret-post"),
        "--client-id",
        PEER_ADMIN_ID,
        "--auth-method",
        "client_secret_post",
        "--secret-store",
        "file",
        "--secret-stdin",
        stdin=PEER_ADMIN_SECRET,
    )
    res = run("doctor", "--profile", "post", "--json")
    assert res.exit_code == 3, res.stdout
    doc = res.json()
    assert doc["status"] == "partial"  # a report of checks, one of which failed
    check = next(c for c in doc["data"]["checks"] if c["id"] == "auth_method")
    assert check["status"] == "fail"
    assert "client_secret_post, which the IdP does not list" in check["message"]
    assert "agentctl profile set post --auth-method client_secret_basic" in check["fix"]
    assert "nothing wrong" not in run("doctor", "--profile", "post").stdout
    assert _json("profile", "set", "post", "--auth-method", "client_secret_basic")
    assert run("doctor", "--profile", "post").exit_code == 0


def test_doctor_needs_no_keyring_for_a_public_client(oidc_peer: str) -> None:
    """Was: the keyring check failed (exit 3) for a public client that stores no secret."""
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    _profile("pub", oidc_peer, "--client-id", PEER_DEVICE_ID, "--auth-method", "none")
    data = _json("doctor", "--profile", "pub")["data"]
    checks = {c["id"]: c for c in data["checks"]}
    assert checks["keyring"]["status"] == "info"
    assert "is public and stores no secret" in checks["keyring"]["message"]
    assert checks["profile.secret"]["status"] == "ok"
    assert data["keyring"]["needed"] is False


# -- register: read back the IdP's answer ------------------------------------------------------


def test_a_client_registered_without_client_credentials_is_a_warning_or_with_strict_an_error(
    quirky: Callable[[str], str], memory_keyring: MemoryKeyring
) -> None:
    """Was: "registered" and exit 0; the first exchange then got refused."""
    issuer = quirky("no-client-credentials")
    _profile("nocc", issuer)
    doc = _json("register", "bot", "--profile", "nocc")
    assert doc["data"]["registration"]["readback"]["ok"] is False
    assert any("without client_credentials" in w for w in doc["warnings"])
    strict = run("register", "strict-bot", "--profile", "nocc", "--strict", "--json")
    assert strict.exit_code == 8, strict.stdout
    env = strict.json()
    assert env["status"] == "error"
    message = env["errors"][0]["message"]
    assert "without client_credentials" in message
    assert "was removed from the IdP again; nothing was kept" in message
    assert ("agentctl", "nocc/agent/strict-bot") not in memory_keyring.items
    names = [a["name"] for a in _json("agent", "list", "--profile", "nocc")["data"]["agents"]]
    assert names == ["bot"]


def test_an_answer_without_grant_types_is_read_as_rfc7591_says(
    quirky: Callable[[str], str],
) -> None:
    _profile("nogt", quirky("no-grant-types-echo"))
    doc = _json("register", "bot", "--profile", "nogt")
    assert any("lists no grant_types" in w for w in doc["warnings"])
    assert run("register", "b2", "--profile", "nogt", "--strict").exit_code == 8


def test_auth_method_is_chosen_and_a_different_registered_one_is_said_and_used(
    quirky: Callable[[str], str], oidc_peer: str, memory_keyring: MemoryKeyring
) -> None:
    _profile("peer", oidc_peer)
    doc = _json("register", "poster", "--profile", "peer", "--auth-method", "client_secret_post")
    assert doc["data"]["registration"]["metadata"]["token_endpoint_auth_method"] == (
        "client_secret_post"
    )
    assert doc["data"]["credential"]["method"] == "client_secret_post"
    assert doc["warnings"] == []
    ran = _json("exchange", "--mode", "agent", "--agent", "poster", "--profile", "peer")
    assert ran["status"] == "ok"
    # A server that registers another method than asked: said, and the registered one is used.
    _profile("basic", quirky("force-basic"))
    forced = _json("register", "b", "--profile", "basic", "--auth-method", "client_secret_post")
    assert any(
        "asked for client_secret_post, the IdP registered client_secret_basic" in w
        for w in forced["warnings"]
    )
    assert _agent_blob(memory_keyring, "basic", "b")["method"] == "client_secret_basic"
    assert _json("exchange", "--mode", "agent", "--agent", "b", "--profile", "basic")
    clash = run("register", "x", "--profile", "peer", "--credential", "private-key-jwt",
                "--auth-method", "client_secret_post")  # fmt: skip
    assert clash.exit_code == 2
    assert run("register", "x", "--profile", "peer", "--auth-method", "tls").exit_code == 2


# -- RFC 7592 round trips ----------------------------------------------------------------------


def test_rotate_sends_back_rfc7591_metadata_to_a_server_that_answers_lists(
    quirky: Callable[[str], str], memory_keyring: MemoryKeyring
) -> None:
    """Was: the list-valued token_endpoint_auth_method sent back, invalid_client_metadata."""
    issuer = quirky("list-metadata")
    _profile("lists", issuer)
    doc = _json("register", "pk", "--profile", "lists", "--credential", "private-key-jwt")
    assert doc["data"]["agent"]["extra"]["auth_method"] == "private_key_jwt"  # not "['…']"
    before = _agent_blob(memory_keyring, "lists", "pk")
    rotated = run("agent", "rotate", "pk", "--profile", "lists")
    assert rotated.exit_code == 0, rotated.stderr
    after = _agent_blob(memory_keyring, "lists", "pk")
    assert after["private_key_pem"] != before["private_key_pem"]
    provider = OidcProvider.discover(build_http_client(timeout=10), issuer)
    cred = Credential(
        after["client_id"], "private_key_jwt", private_key_pem=after["private_key_pem"],
        key_id=after["key_id"],
    )  # fmt: skip
    assert provider.client_credentials(cred, scope="api:read").access_token


# -- HTTP Basic percent-encoding (RFC 6749 §2.3.1) ---------------------------------------------


def test_basic_encodes_the_secret_and_a_non_decoding_server_gets_the_right_hint(
    quirky: Callable[[str], str], oidc_peer: str
) -> None:
    """Was: the generic "check the client id and secret" hint, which does not help."""
    secret = f"{ENCODED_SECRET}\n"
    _profile("enc", oidc_peer, "--client-id", ENCODED_ID, "--secret-store", "file",
             "--secret-stdin", stdin=secret)  # fmt: skip
    assert _json("exchange", "--mode", "agent", "--profile", "enc")["status"] == "ok"
    raw = quirky("basic-undecoded")
    _profile("raw", raw, "--client-id", ENCODED_ID, "--secret-store", "file", "--secret-stdin",
             stdin=secret)  # fmt: skip
    refused = run("exchange", "--mode", "agent", "--profile", "raw", "--json")
    assert refused.exit_code == 6
    doc = refused.json()
    assert doc["status"] == "error"  # a refusal, not a failed check
    hint = doc["errors"][0]["hint"]
    assert "percent-encodes (RFC 6749 §2.3.1)" in hint
    assert "client_secret_post" in hint
    assert _json("profile", "set", "raw", "--auth-method", "client_secret_post")
    assert _json("exchange", "--mode", "agent", "--profile", "raw")["status"] == "ok"


# -- --trace, and JSON status ------------------------------------------------------------------


def test_register_has_the_trace_its_hint_names(quirky: Callable[[str], str]) -> None:
    """Was: "rerun with --trace" after invalid_client_metadata, and register had no --trace."""
    _profile("tr", quirky("require-redirect-uri"))
    bad = run("register", "bot", "--profile", "tr", "--redirect-uri", "not a uri")
    assert bad.exit_code == 2
    refused = run("register", "bot", "--profile", "tr", "--redirect-uri", "urn:x:y", "--trace")
    assert refused.exit_code == 6, refused.stderr
    assert "> POST" in refused.stderr
    assert "/reg" in refused.stderr
    assert "--redirect-uri" in refused.stderr
    ok = run("register", "bot2", "--profile", "tr", "--trace", "--show-secret", "--json")
    assert ok.exit_code == 0
    doc = ok.json()
    secret = doc["data"]["credential"]["secret"]
    assert doc["data"]["trace"]
    assert secret not in json.dumps(doc["data"]["trace"])


def test_a_refused_exchange_is_status_error_not_partial(oidc_peer: str) -> None:
    """Was: exit 6/8 with `status: partial`, which the README keeps for failed checks."""
    _profile("adm", oidc_peer, "--client-id", PEER_ADMIN_ID, "--secret-store", "file",
             "--secret-stdin", stdin=PEER_ADMIN_SECRET)  # fmt: skip
    res = run("exchange", "--mode", "obo", "--profile", "adm", "--subject-token", "x", "--json")
    assert res.exit_code == 8
    assert res.json()["status"] == "error"
    assert res.json()["data"]["runs"]  # the steps are still there
    dead = f"http://127.0.0.1:{_free_port()}"
    _profile("dead", dead)
    gone = run("doctor", "--profile", "dead", "--json")
    assert gone.exit_code == 7


# -- the embedded IdP, served, as a plain OIDC provider ----------------------------------------


def test_the_served_embedded_idp_as_an_oidc_profile_with_post_and_redirect(
    idp: Idp,  # noqa: F811
) -> None:
    issuer = idp.url("enterprise")
    _profile("emb", issuer)
    doc = _json("register", "bot", "--profile", "emb", "--auth-method", "client_secret_post",
                "--redirect-uri", "https://agent.example.com/cb")  # fmt: skip
    assert doc["data"]["credential"]["method"] == "client_secret_post"
    assert doc["data"]["registration"]["readback"]["ok"] is True, doc["warnings"]
    ran = _json("exchange", "--mode", "agent", "--agent", "bot", "--profile", "emb")
    assert ran["status"] == "ok"
    assert ran["data"]["notes"] == ["agent bot: the profile's default (`agentctl agent use` "
                                    "changes it)"] or ran["data"]["notes"] == []  # fmt: skip
    data = _json("doctor", "--profile", "emb")["data"]
    assert not any(c["id"].startswith("probe.") for c in data["checks"])  # all listed
    assert data["summary"]["fail"] == 0
