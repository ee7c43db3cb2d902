"""JWS compact verification (RFC 7515 §5.2) of the IdP's own tokens, and its keys from JWKs
(RFC 7517/7518), on `cryptography` directly.

Why not joserfc here: every `agentctl exchange` against the embedded IdP verifies the tokens
it is handed, and importing joserfc's key registry costs that command more than the whole
exchange; on the served token endpoint its generic machinery costs more than the signature.
What this module accepts is deliberately narrow — the IdP's own two algorithms, a key chosen
by `kid` among the issuer's published keys, whose type must match `alg` — and the tests check
it against joserfc both ways (tokens each signs, the other verifies; tampering refused by both).
Tokens from elsewhere (private_key_jwt assertions, ID-JAGs) still go through Authlib/joserfc.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ALGS = ("ES256", "RS256")
# base64url without padding (RFC 7515 §2): anything else is not a JWS this IdP made.
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class JoseRefused(ValueError):
    """The token is not a well-formed JWS, or its signature does not verify."""


@dataclass(frozen=True)
class Compact:
    """A JWS compact serialization split into its decoded header and claims, signing input and
    signature."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


@dataclass(frozen=True)
class PublicKey:
    """A verification key, with its kid and algorithm."""

    kid: str
    alg: str
    key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class PrivateKey:
    """An issuer's signing key, with its kid and algorithm."""

    kid: str
    alg: str
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def b64url_decode(text: str) -> bytes:
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise JoseRefused("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise JoseRefused("not base64url") from exc


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise JoseRefused("not JSON") from exc
    if not isinstance(value, dict):
        raise JoseRefused("not a JSON object")
    return value


def parse_compact(token: str) -> Compact:
    """Split and decode `header.payload.signature`; nothing is verified."""
    if not isinstance(token, str) or not token.isascii():
        raise JoseRefused("not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3:
        raise JoseRefused("not a compact JWS")
    header = _json_object(b64url_decode(parts[0]))
    claims = _json_object(b64url_decode(parts[1]))
    signature = b64url_decode(parts[2])
    return Compact(header, claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def verify(token: str, keys: list[PublicKey]) -> Compact:
    """The token, when its header names an allowed `alg` and the `kid` of one of `keys` of
    that algorithm, carries no `crit` extension, and its signature verifies; else JoseRefused."""
    compact = parse_compact(token)
    alg, kid = compact.header.get("alg"), compact.header.get("kid")
    if alg not in ALGS:
        raise JoseRefused("algorithm not allowed")
    if "crit" in compact.header:  # RFC 7515 §4.1.11: no extension is understood here
        raise JoseRefused("unsupported critical header")
    if not isinstance(kid, str):
        raise JoseRefused("no key id")
    key = next((k for k in keys if k.kid == kid and k.alg == alg), None)
    if key is None:
        raise JoseRefused("unknown key")
    if not verify_signature(key, compact.signing_input, compact.signature):
        raise JoseRefused("bad signature")
    return compact


def verify_signature(key: PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        if key.alg == "ES256" and isinstance(key.key, ec.EllipticCurvePublicKey):
            # RFC 7518 §3.4: R and S, 32 octets each, big-endian.
            if len(signature) != 64:
                return False
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
                return False
            key.key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            return True
        if key.alg == "RS256" and isinstance(key.key, rsa.RSAPublicKey):
            if len(signature) != (key.key.key_size + 7) // 8:
                return False
            key.key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


# -- keys from JWKs ----------------------------------------------------------------------------


def _int(jwk: dict[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise JoseRefused(f"the JWK has no '{name}'")
    return int.from_bytes(b64url_decode(value), "big")


def _alg_of(jwk: dict[str, Any]) -> str:
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        return "ES256"
    if kty == "RSA":
        return "RS256"
    raise JoseRefused("the JWK is neither an EC P-256 nor an RSA key")


def _public_numbers(jwk: dict[str, Any]) -> ec.EllipticCurvePublicNumbers | rsa.RSAPublicNumbers:
    if _alg_of(jwk) == "ES256":
        return ec.EllipticCurvePublicNumbers(_int(jwk, "x"), _int(jwk, "y"), ec.SECP256R1())
    return rsa.RSAPublicNumbers(_int(jwk, "e"), _int(jwk, "n"))


def public_key(jwk: dict[str, Any]) -> PublicKey:
    kid = jwk.get("kid")
    if not isinstance(kid, str):
        raise JoseRefused("the JWK has no kid")
    try:
        return PublicKey(kid, _alg_of(jwk), _public_numbers(jwk).public_key())
    except ValueError as exc:  # a point not on the curve, a bad modulus
        raise JoseRefused("the JWK is not a valid public key") from exc


def private_key(jwk: dict[str, Any]) -> PrivateKey:
    kid = jwk.get("kid")
    if not isinstance(kid, str):
        raise JoseRefused("the JWK has no kid")
    alg = _alg_of(jwk)
    public = _public_numbers(jwk)
    try:
        if isinstance(public, ec.EllipticCurvePublicNumbers):
            key: Any = ec.EllipticCurvePrivateNumbers(_int(jwk, "d"), public).private_key()
        else:
            key = rsa.RSAPrivateNumbers(
                _int(jwk, "p"),
                _int(jwk, "q"),
                _int(jwk, "d"),
                _int(jwk, "dp"),
                _int(jwk, "dq"),
                _int(jwk, "qi"),
                public,
            ).private_key()
    except ValueError as exc:
        raise JoseRefused("the JWK is not a valid private key") from exc
    return PrivateKey(kid, alg, key)


__all__ = [
    "ALGS",
    "Compact",
    "JoseRefused",
    "PrivateKey",
    "PublicKey",
    "b64url_decode",
    "parse_compact",
    "private_key",
    "public_key",
    "verify",
    "verify_signature",
]
