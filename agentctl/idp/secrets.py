"""Password and secret hashing. Passwords use scrypt (memory-hard KDF); client secrets and
registration tokens are 256-bit random values, so a plain SHA-256 digest is enough for them.

`prefetch_password(password, stored)` starts the scrypt that `verify_password(password,
stored)` will need on a background thread (hashlib.scrypt releases the GIL, so it runs beside
the imports of the in-process IdP); the next `verify_password` call takes it, and uses it
only when both the stored hash and the password are the ones it was started for. The
comparison, and every decision around it, stay where they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password.encode(), salt, _N, _R, _P)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    parsed = _parse(stored)
    if parsed is None:
        return False
    salt, n, r, p, digest = parsed
    candidate = _take_prefetched(password, stored)
    if candidate is None:
        candidate = _scrypt(password.encode(), salt, n, r, p)
    return hmac.compare_digest(candidate, digest)


def prefetch_password(password: str, stored: str) -> bool:
    """Start `verify_password(password, stored)`'s KDF now, on a daemon thread; False when
    `stored` is no scrypt hash. One at a time: a newer prefetch replaces an unused one."""
    global _pending
    parsed = _parse(stored)
    if parsed is None:
        return False
    job = _Prefetch(stored, password.encode(), parsed)
    thread = threading.Thread(target=job.run, name="agentctl-password-kdf", daemon=True)
    job.thread = thread
    with _pending_lock:
        _pending = job
    thread.start()
    return True


class _Prefetch:
    """One KDF computation started ahead of its `verify_password`."""

    def __init__(self, stored: str, password: bytes, parsed: _Parsed) -> None:
        self.stored = stored
        self.password = password
        self.parsed = parsed
        self.thread: threading.Thread | None = None
        self.digest: bytes | None = None

    def run(self) -> None:
        salt, n, r, p, _ = self.parsed
        try:
            self.digest = _scrypt(self.password, salt, n, r, p)
        except (ValueError, MemoryError):
            self.digest = None  # verify_password computes it again and meets the same error


_pending: _Prefetch | None = None
_pending_lock = threading.Lock()


def _take_prefetched(password: str, stored: str) -> bytes | None:
    """The prefetched KDF output for exactly this stored hash and password, else None. The
    prefetch is taken whatever the outcome: it serves at most one check."""
    global _pending
    with _pending_lock:
        job, _pending = _pending, None
    if job is None:
        return None
    same_hash = hmac.compare_digest(job.stored.encode(), stored.encode())
    same_password = hmac.compare_digest(job.password, password.encode())
    if not (same_hash and same_password) or job.thread is None:
        return None
    job.thread.join()
    return job.digest


_Parsed = tuple[bytes, int, int, int, bytes]  # salt, n, r, p, digest


def _parse(stored: str) -> _Parsed | None:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return None
    if scheme != "scrypt":
        return None
    return _unb64(salt), int(n), int(r), int(p), _unb64(digest)


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_secret(secret: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(hash_secret(secret), stored)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


__all__ = [
    "check_secret",
    "hash_password",
    "hash_secret",
    "new_id",
    "new_secret",
    "prefetch_password",
    "verify_password",
]
