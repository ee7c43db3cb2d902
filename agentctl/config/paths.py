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
    """Create `path` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


__all__ = ["HOME_ENV", "cache_dir", "config_dir", "config_file", "data_dir", "ensure_private_dir"]
