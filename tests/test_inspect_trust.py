"""Issue 10's trust fixes in `inspect`: --issuer/--audience are never silently ignored, a JWK
published for encryption never verifies a signature, and the key cache is private."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from agentctl.exit_codes import ExitCode
from tests.helpers import run
from tests.test_inspect_verify import RSA_KEY, Server, claims_for, issuer, public_jwk, sign

__all__ = ["issuer"]  # the fixture, imported for the tests below


@pytest.mark.parametrize("flag", ["--issuer", "--audience"])
def test_issuer_and_audience_without_verify_still_require_their_value(
    issuer: Server, flag: str
) -> None:
    """Keys come from discovery, as with --verify; the pinned value is then checked."""
    token = sign(claims_for(issuer.url))
    # The issuer with a trailing slash still finds the metadata, but is not the token's iss.
    value = issuer.url + "/" if flag == "--issuer" else "https://other.example"
    res = run("inspect", token, flag, value, "--json")
    assert res.exit_code == ExitCode.VERIFY, res.stdout
    reason = res.json()["data"]["verification"]["reason"]
    assert (f"expected {value!r}" if flag == "--issuer" else f"does not include {value}") in reason
    assert issuer.hits["/.well-known/openid-configuration"] == 1


def test_audience_alone_verifies_against_the_issuers_own_keys(issuer: Server) -> None:
    token = sign(claims_for(issuer.url))
    res = run("inspect", token, "--audience", "https://api.example.com", "--json")
    assert res.exit_code == 0, res.stderr
    verification = res.json()["data"]["verification"]
    assert verification["status"] == "verified"
    assert verification["checks"]["aud"] == "ok (pinned)"
    assert issuer.hits["/jwks"] == 1


def _jwks_file(tmp_path: Path, **fields: Any) -> str:
    jwk = {**public_jwk(RSA_KEY, "k1"), **fields}
    jwk = {k: v for k, v in jwk.items() if v is not None}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return str(path)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"use": "enc"}, "is marked use 'enc' (not sig)"),
        ({"use": None, "key_ops": ["encrypt"]}, "has key_ops ['encrypt'] without verify"),
        ({"use": None, "key_ops": "verify"}, "has key_ops 'verify' without verify"),
    ],
    ids=["use-enc", "key_ops-encrypt", "key_ops-not-a-list"],
)
def test_a_key_not_for_verifying_never_verifies(
    tmp_path: Path, fields: dict[str, Any], why: str
) -> None:
    token = sign(claims_for("https://idp.example"))
    res = run("inspect", token, "--jwks", _jwks_file(tmp_path, **fields), "--json")
    assert res.exit_code == ExitCode.VERIFY
    reason = res.json()["data"]["verification"]["reason"]
    assert why in reason
    assert "may not verify signatures" in reason
    # The same key without the marking verifies: the refusal is the marking's doing.
    ok = run("inspect", token, "--jwks", _jwks_file(tmp_path, use="sig", key_ops=None), "--json")
    assert ok.exit_code == 0, ok.stderr


def test_key_ops_with_verify_is_usable(tmp_path: Path) -> None:
    token = sign(claims_for("https://idp.example"))
    path = _jwks_file(tmp_path, use=None, key_ops=["verify"])
    assert run("inspect", token, "--jwks", path).exit_code == 0


def test_the_key_cache_is_private(issuer: Server) -> None:
    token = sign(claims_for(issuer.url))
    assert run("inspect", token, "--verify").exit_code == 0
    cache = Path(os.environ["AGENTCTL_HOME"]) / "cache" / "jwks"
    entries = list(cache.iterdir())
    assert entries
    for entry in entries:
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600, entry
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
