"""The admin sign-in credential: what the admin user-token route asks for.

The route signs a user in from a name and password alone (for tests, demos and the CLI's
`--user`), so the bind address is no proof of who calls it: a same-host reverse proxy makes
every remote caller a loopback one. It therefore needs this credential as well, a random token
in a 0600 file beside the database (`<db>.admin-token`, e.g. `idp.admin-token`); whoever can
read the IdP's data dir may use it, no one else. The database keeps only its hash.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from agentctl.idp.secrets import check_secret, hash_secret
from agentctl.idp.store import Store

SETTING = "admin_token_hash"
MAX_TOKEN_BYTES = 256


def token_path(store: Store) -> Path:
    return store.path.with_suffix(".admin-token")


def read_token(path: Path) -> str | None:
    """The token in `path`, or None when the file is missing, not a regular file, or odd."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not _is_regular(fd):
            return None
        text = os.read(fd, MAX_TOKEN_BYTES + 1).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    return text if 20 <= len(text) <= MAX_TOKEN_BYTES and text.isprintable() else None


def _is_regular(fd: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)


def ensure_token(store: Store) -> str:
    """The credential, created (file and hash) on first use; a file made by another process at
    the same moment wins, so every process agrees on one token."""
    path = token_path(store)
    token = read_token(path)
    if token is None:
        token = _create(path)
    digest = hash_secret(token)
    row = store.row("SELECT value FROM idp_settings WHERE name = ?", (SETTING,))
    if row is None or row["value"] != digest:
        with store.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO idp_settings(name, value) VALUES (?, ?)", (SETTING, digest)
            )
    return token


def _create(path: Path) -> str:
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, token.encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process made the file first
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    existing = read_token(path)
    if existing is None:
        raise OSError(f"cannot read the admin credential at {path}")
    return existing


def check(store: Store, presented: str) -> bool:
    row = store.row("SELECT value FROM idp_settings WHERE name = ?", (SETTING,))
    return row is not None and check_secret(presented, str(row["value"]))


__all__ = ["check", "ensure_token", "read_token", "token_path"]
