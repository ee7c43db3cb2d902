"""An exclusive lock for a read-modify-write of one small file (`config.toml`, `secrets.json`,
the demo user's password file).

The lock is `flock(2)` on a sidecar `<file>.lock` (0600), never on the file itself: the file is
replaced by rename on every write, so a lock on it would guard an inode nobody reads any more.
flock locks belong to the open file description, so opening and closing other descriptors in
the process (or a SIGKILL, which closes everything) cannot leave it held or drop it early.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentctl.errors import ConfigError


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of `path` for the block (waits for other holders)."""
    from agentctl.config.paths import ensure_private_dir

    sidecar = lock_path(path)
    try:
        ensure_private_dir(path.parent)
        fd = os.open(sidecar, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ConfigError(
            f"cannot lock {path}: {exc.strerror} ({sidecar})",
            hint=f"check that {path.parent} is a directory you can write to",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


__all__ = ["lock_path", "locked"]
