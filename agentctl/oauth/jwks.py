"""Keys for `inspect --verify`, and the check itself.

RFC 8725 §3.1/§3.10: the algorithm comes from the key (its `alg`, else its type), never from
the token header; keys come from the issuer's `jwks_uri` (found by discovery), a JWKS file or
URL, or a PEM the user names — never from `jku`, `x5u` or an embedded `jwk`. `kid` is only an
exact lookup key. JWKS documents are cached on disk with a TTL and fetched again once when a
token names a `kid` the cached set does not have (key rotation).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.core import timefmt
from agentctl.core.claims import strings_of
from agentctl.core.tokens import ParsedToken, loads_object
from agentctl.errors import AgentctlError, InputError, NetworkError
from agentctl.files import MAX_JWKS_FILE, MAX_KEY_FILE, read_bytes, read_text
from agentctl.oauth.transport import json_body, require_secure, send

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient

DEFAULT_TTL = 900.0
MAX_KEYS = 100
# A key set is a few dozen keys of a few KB at most; Entra's, among the largest, is ~20 KB.
# Anything past this cap is a wrong URL or an attack, refused before it is buffered.
MAX_JWKS_BYTES = MAX_JWKS_FILE

_RSA = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_EC = {"P-256": ("ES256",), "P-384": ("ES384",), "P-521": ("ES512",), "secp256k1": ("ES256K",)}


@dataclass(frozen=True)
class VerifyOutcome:
    status: str  # verified | failed | not_checked
    reason: str | None = None
    key_id: str | None = None
    jwks_source: str | None = None
    algorithm: str | None = None
    checks: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "key_id": self.key_id,
            "jwks_source": self.jwks_source,
            "algorithm": self.algorithm,
            "checks": self.checks,
        }


class JwksCache:
    """JWKS documents on disk, one file per URL (named by its hash, never by anything the
    token says), fresh for `ttl` seconds."""

    def __init__(self, directory: Path, ttl: float = DEFAULT_TTL) -> None:
        self.directory = directory
        self.ttl = ttl

    def _file(self, url: str) -> Path:
        return self.directory / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def get(self, url: str, now: float) -> dict[str, Any] | None:
        try:
            text = read_text(
                self._file(url), what="cached JWKS", limit=2 * MAX_JWKS_BYTES, missing_ok=True
            )
            entry = json.loads(text) if text is not None else None
        except (AgentctlError, ValueError, RecursionError):
            return None  # a damaged cache entry only costs a refetch
        if not isinstance(entry, dict) or entry.get("url") != url:
            return None
        fetched = entry.get("fetched_at")
        if not isinstance(fetched, int | float) or not 0 <= now - fetched < self.ttl:
            return None
        jwks = entry.get("jwks")
        return jwks if isinstance(jwks, dict) else None

    def put(self, url: str, jwks: dict[str, Any], now: float) -> None:
        from agentctl.config.paths import write_private

        try:
            document = json.dumps({"url": url, "fetched_at": now, "jwks": jwks})
            write_private(self._file(url), document.encode("utf-8"))
        except OSError:
            pass  # a read-only cache only costs a refetch next time


@dataclass
class KeySource:
    """Where keys come from; `refresh` (remote sets only) fetches once more, bypassing the cache."""

    description: str
    keys: list[dict[str, Any]]
    refresh: Callable[[], list[dict[str, Any]]] | None = None
    pem_key: Any = None  # a cryptography public key from --key


def _validated(doc: dict[str, Any], where: str) -> list[dict[str, Any]]:
    keys = doc.get("keys") if "keys" in doc else [doc] if "kty" in doc else None
    if not isinstance(keys, list):
        raise InputError(f"{where} is not a JWKS (no `keys` array) nor a JWK")
    good = [k for k in keys[:MAX_KEYS] if isinstance(k, dict) and isinstance(k.get("kty"), str)]
    if not good:
        raise InputError(f"{where} holds no usable keys")
    return good


def fetch_jwks(
    client: HttpClient, url: str, *, cache: JwksCache | None, wall: float, force: bool = False
) -> list[dict[str, Any]]:
    """The keys at `url` (https, or http on loopback), from the cache when fresh."""
    require_secure(url, "jwks_uri")
    if cache is not None and not force:
        cached = cache.get(url, wall)
        if cached is not None:
            return _validated(cached, url)
    response = send(
        client,
        "GET",
        url,
        idempotent=True,
        what="JWKS",
        max_bytes=MAX_JWKS_BYTES,
        headers={"Accept": "application/json"},
    )
    if response.status_code != 200:
        raise NetworkError(
            f"{url} answered HTTP {response.status_code}, not a JWKS",
            hint="check the jwks_uri / --jwks URL",
        )
    doc = json_body(response, "JWKS")
    keys = _validated(doc, url)
    if cache is not None:
        cache.put(url, doc, wall)
    return keys


def remote_source(
    client: HttpClient, url: str, *, cache: JwksCache | None, wall: float, description: str
) -> KeySource:
    keys = fetch_jwks(client, url, cache=cache, wall=wall)
    return KeySource(
        description,
        keys,
        refresh=lambda: fetch_jwks(client, url, cache=cache, wall=wall, force=True),
    )


def file_source(path: Path) -> KeySource:
    text = read_text(path, what="JWKS file", limit=MAX_JWKS_FILE)
    return KeySource(f"file {path}", _validated(loads_object(text, f"JWKS file {path}"), str(path)))


def pem_source(path: Path) -> KeySource:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = read_bytes(path, what="key file", limit=MAX_KEY_FILE)
    key: Any
    try:
        if b"BEGIN CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
    except (ValueError, TypeError):
        raise InputError(
            f"{path} is not a PEM public key or certificate",
            hint="pass the issuer's public key (-----BEGIN PUBLIC KEY-----)",
        ) from None
    return KeySource(f"PEM {path}", [], pem_key=key)


def jwk_algorithms(jwk: dict[str, Any]) -> tuple[str, ...]:
    """The algorithms a JWK may verify: its own `alg` if stated, else what its type allows."""
    alg = jwk.get("alg")
    if isinstance(alg, str):
        return (alg,)
    kty = jwk.get("kty")
    if kty == "RSA":
        return _RSA
    if kty == "EC":
        return _EC.get(str(jwk.get("crv")), ())
    if kty == "OKP" and jwk.get("crv") in ("Ed25519", "Ed448"):
        return ("EdDSA",)
    if kty == "oct":
        return ("HS256", "HS384", "HS512")
    return ()


def pem_algorithms(key: Any) -> tuple[str, ...]:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    if isinstance(key, rsa.RSAPublicKey):
        return _RSA
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {
            "secp256r1": ("ES256",),
            "secp384r1": ("ES384",),
            "secp521r1": ("ES512",),
            "secp256k1": ("ES256K",),
        }.get(key.curve.name, ())
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return ("EdDSA",)
    return ()


def verify(
    parsed: ParsedToken,
    source: KeySource,
    *,
    now: datetime,
    issuer: str | None,
    audiences: list[str],
) -> VerifyOutcome:
    """Check the signature with `source`, then iss/aud/exp/nbf at `now`."""
    where = source.description
    alg = parsed.alg or ""
    kid = parsed.header.get("kid")
    kid = kid if isinstance(kid, str) else None

    def failed(reason: str, **extra: Any) -> VerifyOutcome:
        return VerifyOutcome("failed", reason, kid, where, alg or None, **extra)

    if parsed.form != "jws" or parsed.payload is None:
        return failed("an encrypted or opaque token has no signature agentctl can check")
    if alg.lower() == "none" or not parsed.signature_present:
        return failed("the token is unsigned (alg none or an empty signature)")
    if source.pem_key is not None:
        candidates: list[tuple[Any, tuple[str, ...]]] = [
            (source.pem_key, pem_algorithms(source.pem_key))
        ]
    else:
        jwks = _matching(source.keys, kid)
        if not jwks and kid is not None and source.refresh is not None:
            source.keys = source.refresh()  # rotation: the issuer may have a newer set
            jwks = _matching(source.keys, kid)
        if not jwks:
            return failed(_no_key_reason(source.keys, kid, where))
        candidates = [(k, jwk_algorithms(k)) for k in jwks]
    allowed = sorted({a for _, algs in candidates for a in algs})
    if alg not in allowed:
        return failed(
            f"the token asks for {alg} but the key allows only "
            f"{', '.join(allowed) or 'nothing'}; the header never picks the algorithm "
            "(algorithm confusion refused)"
        )
    error = "signature does not match"
    for key, algs in candidates:
        if alg not in algs:
            continue
        outcome = _check_signature(parsed, key, alg)
        if outcome is None:
            used = key.get("kid") if isinstance(key, dict) else None
            checks = {"signature": f"ok ({alg})"}
            reason = check_claims(
                parsed.payload, now=now, issuer=issuer, audiences=audiences, checks=checks
            )
            if reason:
                return VerifyOutcome("failed", reason, used or kid, where, alg, checks)
            return VerifyOutcome("verified", None, used or kid, where, alg, checks)
        error = outcome
    return failed(error, checks={"signature": "failed"})


def not_for_verifying(jwk: dict[str, Any]) -> str | None:
    """Why `jwk` must not verify a signature (RFC 7517 §4.2 `use`, §4.3 `key_ops`), or None.
    A key published for encryption is not a signing key, whatever its type allows."""
    use = jwk.get("use")
    if use is not None and use != "sig":
        return f"is marked use {use!r} (not sig)"
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        return f"has key_ops {ops!r} without verify"
    return None


def _matching(keys: list[dict[str, Any]], kid: str | None) -> list[dict[str, Any]]:
    usable = [k for k in keys if not_for_verifying(k) is None]
    if kid is None:
        return usable
    return [k for k in usable if k.get("kid") == kid]


def _no_key_reason(keys: list[dict[str, Any]], kid: str | None, where: str) -> str:
    named = keys if kid is None else [k for k in keys if k.get("kid") == kid]
    reasons = sorted({r for k in named if (r := not_for_verifying(k)) is not None})
    if kid is None:
        if reasons:
            return f"{where} holds no key that may verify signatures: every key {reasons[0]}"
        return f"{where} holds no signing keys"
    if reasons:
        return f"the key with kid {kid!r} in {where} {reasons[0]}, so it may not verify signatures"
    return f"no key with kid {kid!r} in {where}"


def _check_signature(parsed: ParsedToken, key: Any, alg: str) -> str | None:
    import jwt

    try:
        material = jwt.PyJWK(key, algorithm=alg).key if isinstance(key, dict) else key
        jwt.PyJWS().decode_complete(parsed.raw, key=material, algorithms=[alg])
    except jwt.InvalidSignatureError:
        return "signature does not match"
    except (jwt.PyJWKError, jwt.InvalidKeyError) as exc:
        return f"the key cannot verify {alg}: {exc}"
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        return f"signature check failed: {exc}"
    return None


def check_claims(
    payload: dict[str, Any],
    *,
    now: datetime,
    issuer: str | None,
    audiences: list[str],
    checks: dict[str, str],
) -> str | None:
    """RFC 8725 §3.8–3.9 and RFC 7519 §4.1.4–4.1.5; the first failure's reason, or None."""
    iss = payload.get("iss")
    if issuer is not None and iss != issuer:
        checks["iss"] = "failed"
        return f"iss is {iss!r}, expected {issuer!r}"
    checks["iss"] = "ok (pinned)" if issuer else ("present, not pinned" if iss else "absent")
    aud = strings_of(payload.get("aud"))
    if audiences and not set(aud) & set(audiences):
        checks["aud"] = "failed"
        return f"aud {aud} does not include {', '.join(audiences)}"
    checks["aud"] = "ok (pinned)" if audiences else ("present, not pinned" if aud else "absent")
    stamp = now.timestamp()
    exp = timefmt.numeric_date(payload.get("exp"))
    if "exp" in payload and exp is None:
        checks["exp"] = "failed"
        return "exp is not a NumericDate"
    if exp is not None and exp <= stamp:
        checks["exp"] = "failed"
        return f"{timefmt.describe_exp(exp, now)} (exp {timefmt.iso(exp)})"
    checks["exp"] = "ok" if exp is not None else "absent"
    nbf = timefmt.numeric_date(payload.get("nbf"))
    if nbf is not None and nbf > stamp:
        checks["nbf"] = "failed"
        return f"{timefmt.describe_nbf(nbf, now)} (nbf {timefmt.iso(nbf)})"
    checks["nbf"] = "ok" if nbf is not None else "absent"
    return None


__all__ = [
    "DEFAULT_TTL",
    "MAX_JWKS_BYTES",
    "JwksCache",
    "KeySource",
    "VerifyOutcome",
    "check_claims",
    "fetch_jwks",
    "file_source",
    "jwk_algorithms",
    "not_for_verifying",
    "pem_algorithms",
    "pem_source",
    "remote_source",
    "verify",
]
