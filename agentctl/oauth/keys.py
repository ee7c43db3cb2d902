"""Key pairs for `private_key_jwt` (RFC 7523 §2.2): generate, publish as a JWK, load for signing.

The private key stays local (PEM, in the secret store); only the public JWK is registered. The
`kid` is the key's RFC 7638 thumbprint, so it is stable and derivable from the key itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from agentctl.errors import ConfigError

SUPPORTED_ALGS = ("RS256", "PS256", "ES256")


@dataclass(frozen=True)
class KeyPair:
    private_pem: str = field(repr=False)
    public_jwk: dict[str, Any]
    kid: str
    alg: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of a public RSA or EC key."""
    required = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def public_jwk_of(private_pem: str, alg: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = load_private_key(private_pem)
    pub = key.public_key()
    jwk: dict[str, Any]
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        jwk = {"kty": "RSA", "n": _int_b64(nums.n), "e": _int_b64(nums.e)}
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        nums_ec = pub.public_numbers()
        size = (pub.curve.key_size + 7) // 8
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64(nums_ec.x.to_bytes(size, "big")),
            "y": _b64(nums_ec.y.to_bytes(size, "big")),
        }
    else:
        raise ConfigError("unsupported private key type (use RSA or EC P-256)")
    jwk.update({"kid": thumbprint(jwk), "alg": alg, "use": "sig"})
    return jwk


def generate_key_pair(alg: str = "RS256") -> KeyPair:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if alg not in SUPPORTED_ALGS:
        raise ConfigError(
            f"unsupported signing algorithm {alg}", hint=f"use one of {SUPPORTED_ALGS}"
        )
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk = public_jwk_of(pem, alg)
    return KeyPair(private_pem=pem, public_jwk=jwk, kid=str(jwk["kid"]), alg=alg)


def load_private_key(private_pem: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(private_pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"the stored private key cannot be read ({exc})",
            hint="store an unencrypted PEM private key (PKCS#8 or traditional)",
        ) from None


__all__ = [
    "SUPPORTED_ALGS",
    "KeyPair",
    "generate_key_pair",
    "load_private_key",
    "public_jwk_of",
    "thumbprint",
]
