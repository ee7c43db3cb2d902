"""Where agentctl keeps things.

With AGENTCTL_HOME set, everything lives under it: `config.toml`, `data/` (the embedded IdP's
database and keys, 0700), `cache/` (JWKS documents). Otherwise the platform directories
(platformdirs): config, data and cache dirs named "agentctl".
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "AGENTCTL_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_config_dir("agentctl", appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def data_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("agentctl", appauthor=False))


def cache_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("agentctl", appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and its missing parents) readable by the owner only. `mkdir(parents=True)`
    gives the parents the umask's mode (0755, typically), so each missing one is made here;
    parents that already exist keep theirs."""
    missing: list[Path] = []
    current = path
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically (a temporary file renamed over it, so a reader or a crash never
    sees half a file), mode 0600 in a 0700 directory: agentctl's files hold secrets, tokens
    and who-uses-which-IdP, none of which other local users should read."""
    import tempfile

    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a power cut must not bring the old file back)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = [
    "HOME_ENV",
    "cache_dir",
    "config_dir",
    "config_file",
    "data_dir",
    "ensure_private_dir",
    "write_private",
]
