"""`agentctl.idp.jose` (the IdP's own JWS verification on `cryptography`) against joserfc,
both ways: what either signs the other verifies, what either refuses the other refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from agentctl.idp import jose
from agentctl.idp.signing import sign_compact


def _keys(alg: str) -> tuple[Any, jose.PrivateKey, jose.PublicKey]:
    native = (
        ECKey.generate_key("P-256", private=True)
        if alg == "ES256"
        else RSAKey.generate_key(2048, private=True)
    )
    native.ensure_kid()
    private = jose.private_key(native.as_dict(private=True, alg=alg, kid=native.kid))
    public = jose.public_key(native.as_dict(private=False, alg=alg, kid=native.kid))
    return native, private, public


@pytest.fixture(scope="module", params=["ES256", "RS256"])
def keyset(request: pytest.FixtureRequest) -> tuple[str, Any, jose.PrivateKey, jose.PublicKey]:
    return (request.param, *_keys(request.param))


CLAIMS = {"iss": "http://127.0.0.1:8400/i/enterprise", "sub": "alice", "exp": 2_000_000_000}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_joserfc_signed_tokens_verify_here_and_ours_verify_there(keyset: Any) -> None:
    alg, native, private, public = keyset
    theirs = jwt.encode({"alg": alg, "kid": native.kid}, CLAIMS, native, algorithms=[alg])
    assert jose.verify(theirs, [public]).claims == CLAIMS
    ours = sign_compact({"alg": alg, "kid": private.kid, "typ": "at+jwt"}, CLAIMS, private)
    assert jose.verify(ours, [public]).claims == CLAIMS
    decoded = jwt.decode(ours, KeySet([native]), algorithms=[alg])
    assert decoded.claims == CLAIMS


def _refused_by_both(token: str, native: Any, public: jose.PublicKey, alg: str) -> None:
    with pytest.raises(jose.JoseRefused):
        jose.verify(token, [public])
    with pytest.raises((JoseError, ValueError)):
        jwt.decode(token, KeySet([native]), algorithms=[alg])


def test_tampering_is_refused_by_both(keyset: Any) -> None:
    alg, native, private, public = keyset
    token = sign_compact({"alg": alg, "kid": private.kid}, CLAIMS, private)
    head, body, sig = token.split(".")
    other = _b64(json.dumps({**CLAIMS, "sub": "mallory"}).encode())
    _refused_by_both(f"{head}.{other}.{sig}", native, public, alg)
    flipped = bytearray(base64.urlsafe_b64decode(sig + "=="))
    flipped[-1] ^= 1
    _refused_by_both(f"{head}.{body}.{_b64(bytes(flipped))}", native, public, alg)
    _refused_by_both(f"{head}.{body}.", native, public, alg)


def test_algorithm_confusion_and_foreign_keys_are_refused(keyset: Any) -> None:
    alg, _, private, public = keyset
    body = _b64(json.dumps(CLAIMS).encode())
    # alg none, and HS256 keyed with the public key's PEM (the classic confusion).
    pem = public.key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    for forged_alg in ("none", "HS256"):
        head = _b64(json.dumps({"alg": forged_alg, "kid": public.kid}).encode())
        mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
        sig = "" if forged_alg == "none" else _b64(mac)
        with pytest.raises(jose.JoseRefused, match="algorithm"):
            jose.verify(f"{head}.{body}.{sig}", [public])
    # The right kid with the other algorithm: the key's type must match the header.
    other_alg = "RS256" if alg == "ES256" else "ES256"
    head = _b64(json.dumps({"alg": other_alg, "kid": public.kid}).encode())
    with pytest.raises(jose.JoseRefused, match="unknown key"):
        jose.verify(f"{head}.{body}.AAAA", [public])
    # A valid signature by a key that is not published.
    _, stranger, _ = _keys(alg)
    forged = sign_compact({"alg": alg, "kid": public.kid}, CLAIMS, stranger)
    with pytest.raises(jose.JoseRefused, match="bad signature"):
        jose.verify(forged, [public])
    # No kid, an unknown kid, a critical extension nobody here understands.
    for header in ({"alg": alg}, {"alg": alg, "kid": "nope"}):
        token = sign_compact(header, CLAIMS, private)
        with pytest.raises(jose.JoseRefused):
            jose.verify(token, [public])
    crit = sign_compact({"alg": alg, "kid": private.kid, "crit": ["b64"]}, CLAIMS, private)
    with pytest.raises(jose.JoseRefused, match="critical"):
        jose.verify(crit, [public])


def test_es256_signature_values_out_of_range_are_refused() -> None:
    _, private, public = _keys("ES256")
    token = sign_compact({"alg": "ES256", "kid": private.kid}, CLAIMS, private)
    head, body, _ = token.split(".")
    for sig in (bytes(64), b"\xff" * 64, bytes(63), bytes(65)):
        with pytest.raises(jose.JoseRefused):
            jose.verify(f"{head}.{body}.{_b64(sig)}", [public])


def test_bad_jwks_are_refused_with_jose_refused() -> None:
    native, _, _ = _keys("ES256")
    good = native.as_dict(private=False, kid=native.kid)
    for bad in (
        {**good, "kid": None},
        {**good, "crv": "P-384"},
        {**good, "x": "!!"},
        {**good, "y": _b64(b"\x01" * 32)},  # not on the curve
        {"kty": "oct", "k": "AAAA", "kid": "k"},
    ):
        with pytest.raises(jose.JoseRefused):
            jose.public_key(bad)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=120),
        st.lists(st.text(alphabet="ABCDEFGHIJabcdefgh0123-_=+/.", max_size=40), max_size=4).map(
            ".".join
        ),
        st.tuples(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)).map(
            lambda t: f"{_b64(json.dumps(t[0]).encode())}.{_b64(b'{}')}.AAAA"
        ),
    )
)
def test_the_parser_only_ever_refuses(token: str) -> None:
    _, _, public = KEYS
    try:
        jose.verify(token, [public])
    except jose.JoseRefused:
        return
    raise AssertionError(f"accepted {token!r}")


KEYS = _keys("ES256")
