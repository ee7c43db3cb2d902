"""The IdP's own compact signer produces tokens an independent JOSE library accepts."""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, RSAKey

from agentctl.idp.signing import sign_compact


@pytest.mark.parametrize(
    ("alg", "key"),
    [("ES256", ECKey.generate_key("P-256")), ("RS256", RSAKey.generate_key(2048))],
)
def test_joserfc_verifies_what_the_idp_signs(alg: str, key: ECKey | RSAKey) -> None:
    claims = {"sub": "alice", "act": {"sub": "bot-7"}, "name": "Zoë", "n": 1}
    token = sign_compact({"alg": alg, "kid": "k1", "typ": "at+jwt"}, claims, key)
    decoded = jwt.decode(token, key, algorithms=[alg])
    assert decoded.claims == claims
    assert decoded.header == {"alg": alg, "kid": "k1", "typ": "at+jwt"}
    head, payload, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{head}.{payload}.{flipped}", key, algorithms=[alg])


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(ValueError, match="HS256"):
        sign_compact({"alg": "HS256"}, {}, ECKey.generate_key("P-256"))
