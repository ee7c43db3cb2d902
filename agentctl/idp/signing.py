"""JWS compact serialization (RFC 7515 §7.1) of the IdP's own tokens, signed directly with the
`cryptography` key behind the issuer's joserfc key.

Why not `joserfc.jwt.encode`: on the token endpoint's hot path its generic registry and claim
checks cost several times the signature itself, and every header and claim here is built by
the IdP. Inbound tokens are still verified by joserfc (`tokens.verify`), and a test checks that
joserfc accepts what this module signs.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_ES256 = ec.ECDSA(hashes.SHA256())  # immutable: one for every signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# One encoder for every token: json.dumps with non-default options builds a new JSONEncoder per
# call, about half the cost of encoding a token's claims.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _json(obj: dict[str, Any]) -> bytes:
    return _COMPACT.encode(obj).encode("utf-8")


def sign_compact(header: dict[str, Any], claims: dict[str, Any], key: Any) -> str:
    """`header.payload.signature` for alg ES256 (RFC 7518 §3.4: raw R‖S) or RS256 (§3.3)."""
    alg = header["alg"]
    signing_input = f"{b64url(_json(header))}.{b64url(_json(claims))}"
    data = signing_input.encode("ascii")
    private = key.private_key
    if alg == "ES256" and isinstance(private, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private.sign(data, _ES256))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif alg == "RS256":
        signature = private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    return f"{signing_input}.{b64url(signature)}"


__all__ = ["b64url", "sign_compact"]
