"""Signing keys per issuer, persisted in the database.

Each issuer has one active key (ES256 by default, RS256 on request). Rotation retires the active
key but keeps publishing it in the JWKS until every token it signed has expired
(`publish_until` = rotation time + the issuer's longest token lifetime), then drops it.

The token endpoint's hot path reads keys from a per-process cache instead of the database:
a rotation in this process clears it at once; one in another process (the CLI while a server
runs) is seen within `KEY_CACHE_SECONDS`. That is safe both ways: a key signed with just after
its rotation is still published until long after such tokens expire, and a token whose `kid` is
not in the cached set makes the set reload before anything is refused.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentctl.idp import jose
from agentctl.idp.models import IssuerConfig
from agentctl.idp.store import Store

if TYPE_CHECKING:
    from joserfc.jwk import ECKey, KeySet, RSAKey

KEY_CACHE_SECONDS = 2.0
_cache: dict[tuple[str, str, tuple[str, ...]], Any] = {}  # parsed keys, by kid set
_cache_lock = threading.Lock()
# (db path, issuer) -> (loaded at [monotonic], alg, key) of the active signing key
_signing: dict[tuple[str, str], tuple[float, str, Any]] = {}
# (db path, issuer) -> (loaded at [monotonic], kids, earliest publish_until, public keys)
_verifying: dict[
    tuple[str, str], tuple[float, frozenset[str], int | None, list[jose.PublicKey]]
] = {}


def forget(store: Store, issuer: str) -> None:
    """Drop this process's cached keys of `issuer` (after a rotation here)."""
    with _cache_lock:
        _signing.pop((str(store.path), issuer), None)
        _verifying.pop((str(store.path), issuer), None)


@dataclass(frozen=True)
class KeyInfo:
    """A signing key's public facts: kid, issuer, algorithm, and when it was made, retired and
    unpublished."""

    kid: str
    issuer: str
    alg: str
    created_at: int
    retired_at: int | None
    publish_until: int | None

    @property
    def state(self) -> str:
        return "active" if self.retired_at is None else "retired"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "issuer": self.issuer,
            "alg": self.alg,
            "state": self.state,
            "created_at": self.created_at,
            "retired_at": self.retired_at,
            "publish_until": self.publish_until,
        }


def _generate(alg: str) -> ECKey | RSAKey:
    from joserfc.jwk import ECKey, RSAKey  # only when a key is made (bootstrap, rotation)

    if alg == "ES256":
        key: ECKey | RSAKey = ECKey.generate_key("P-256", private=True)
    elif alg == "RS256":
        key = RSAKey.generate_key(2048, private=True)
    else:
        raise ValueError(f"unsupported signing algorithm {alg!r} (use ES256 or RS256)")
    key.ensure_kid()  # RFC 7638 thumbprint
    return key


def _insert_new_key(db: Any, issuer: str, alg: str, now: int) -> str:
    key = _generate(alg)
    kid = str(key.kid)
    public = key.as_dict(private=False, alg=alg, use="sig", kid=kid)
    private = key.as_dict(private=True, alg=alg, use="sig", kid=kid)
    db.execute(
        "INSERT INTO keys(kid, issuer, alg, private_jwk, public_jwk, created_at)"
        " VALUES (?,?,?,?,?,?)",
        (kid, issuer, alg, json.dumps(private), json.dumps(public), now),
    )
    return kid


def ensure_key(store: Store, cfg: IssuerConfig, now: int) -> None:
    """Give the issuer an active key unless it has one (safe when processes race)."""
    with store.write() as db:
        row = db.execute(
            "SELECT kid FROM keys WHERE issuer = ? AND retired_at IS NULL", (cfg.name,)
        ).fetchone()
        if row is None:
            _insert_new_key(db, cfg.name, cfg.alg, now)
    forget(store, cfg.name)


def rotate(store: Store, cfg: IssuerConfig, now: int, alg: str | None = None) -> str:
    """Retire the active key (still published until its tokens expire); return the new kid."""
    with store.write() as db:
        db.execute(
            "UPDATE keys SET retired_at = ?, publish_until = ?"
            " WHERE issuer = ? AND retired_at IS NULL",
            (now, now + cfg.max_ttl + 60, cfg.name),
        )
        kid = _insert_new_key(db, cfg.name, alg or cfg.alg, now)
    forget(store, cfg.name)
    return kid


def list_keys(store: Store, issuer: str, now: int) -> list[KeyInfo]:
    """Keys still in the JWKS (active and retired-but-published), newest first."""
    rows = store.rows(
        "SELECT kid, issuer, alg, created_at, retired_at, publish_until FROM keys"
        " WHERE issuer = ? AND (retired_at IS NULL OR publish_until > ?)"
        " ORDER BY retired_at IS NOT NULL, created_at DESC, rowid DESC",
        (issuer, now),
    )
    return [KeyInfo(**dict(r)) for r in rows]


def signing_key(store: Store, issuer: str) -> tuple[str, jose.PrivateKey]:
    """(alg, key) of the issuer's active key (cached, see the module docstring)."""
    slot = (str(store.path), issuer)
    with _cache_lock:
        hit = _signing.get(slot)
    if hit is not None and time.monotonic() - hit[0] < KEY_CACHE_SECONDS:
        return hit[1], hit[2]
    alg, key = _load_signing_key(store, issuer)
    with _cache_lock:
        _signing[slot] = (time.monotonic(), alg, key)
    return alg, key


def _load_signing_key(store: Store, issuer: str) -> tuple[str, jose.PrivateKey]:
    row = store.row(
        "SELECT kid, alg, private_jwk FROM keys WHERE issuer = ? AND retired_at IS NULL"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1",
        (issuer,),
    )
    if row is None:
        raise LookupError(f"issuer {issuer!r} has no signing key")
    cache_key = (str(store.path), "sign", (row["kid"],))
    with _cache_lock:
        key = _cache.get(cache_key)
        if key is None:
            key = jose.private_key(json.loads(row["private_jwk"]))
            _cache[cache_key] = key
    return str(row["alg"]), key


def public_jwks(store: Store, issuer: str, now: int) -> dict[str, Any]:
    rows = store.rows(
        "SELECT public_jwk FROM keys WHERE issuer = ?"
        " AND (retired_at IS NULL OR publish_until > ?)"
        " ORDER BY retired_at IS NOT NULL, created_at DESC, rowid DESC",
        (issuer, now),
    )
    return {"keys": [json.loads(r["public_jwk"]) for r in rows]}


def verification_keys(
    store: Store, issuer: str, now: int, kid: str | None = None
) -> list[jose.PublicKey]:
    """The issuer's published keys. Cached for `KEY_CACHE_SECONDS`, and reloaded sooner when
    `kid` is not among them or a retired key's publication window has closed."""
    slot = (str(store.path), issuer)
    with _cache_lock:
        hit = _verifying.get(slot)
    if (
        hit is not None
        and time.monotonic() - hit[0] < KEY_CACHE_SECONDS
        and (hit[2] is None or now < hit[2])
        and (kid is None or kid in hit[1])
    ):
        return hit[3]
    rows = store.rows(
        "SELECT public_jwk, publish_until FROM keys WHERE issuer = ?"
        " AND (retired_at IS NULL OR publish_until > ?)"
        " ORDER BY retired_at IS NOT NULL, created_at DESC, rowid DESC",
        (issuer, now),
    )
    jwks = {"keys": [json.loads(r["public_jwk"]) for r in rows]}
    kids = tuple(str(k["kid"]) for k in jwks["keys"])
    windows = [int(r["publish_until"]) for r in rows if r["publish_until"] is not None]
    cache_key = (str(store.path), issuer, kids)
    with _cache_lock:
        found = _cache.get(cache_key)
        if found is None:
            found = [jose.public_key(jwk) for jwk in jwks["keys"]]
            _cache[cache_key] = found
        _verifying[slot] = (time.monotonic(), frozenset(kids), min(windows, default=None), found)
    return found


def verification_keyset(store: Store, issuer: str, now: int) -> KeySet:
    """The published keys as a joserfc KeySet, for Authlib's grants that verify with it."""
    from joserfc.jwk import KeySet

    return KeySet.import_key_set(public_jwks(store, issuer, now))  # type: ignore[arg-type]


__all__ = [
    "KeyInfo",
    "ensure_key",
    "forget",
    "list_keys",
    "public_jwks",
    "rotate",
    "signing_key",
    "verification_keys",
    "verification_keyset",
]
