"""The runtime context shared by one IdP app: its store, base URL, bind address and clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from agentctl.core.transport_rules import is_loopback_host
from agentctl.idp import records
from agentctl.idp.constants import ISSUER_PREFIX
from agentctl.idp.models import IssuerConfig, issuer_url
from agentctl.idp.store import Store

ISSUER_CACHE_SECONDS = 2.0


@dataclass
class IdpContext:
    """The embedded IdP's surroundings: its store, public URL, bind address, clock and serving
    policy."""

    store: Store
    base_url: str
    bind_host: str = "127.0.0.1"
    clock: Callable[[], float] = field(default=time.time)
    # RFC 7591 without an initial access token: only ever while `loopback_only` as well.
    open_registration: bool = True
    # The admin user-token route (it still needs the admin credential, `idp.admin`).
    admin_signin: bool = True
    # Issuer settings are read on every request; they are kept for ISSUER_CACHE_SECONDS, so a
    # change made through this context applies at once (`forget_issuer`) and one made by
    # another process (the CLI while a server runs) within that time.
    _issuers: dict[str, tuple[float, IssuerConfig]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def now(self) -> int:
        return int(self.clock())

    @property
    def loopback_only(self) -> bool:
        """True when the server listens on loopback only (test/demo shortcuts allowed)."""
        return _loopback(self.bind_host)

    def issuer(self, name: str) -> IssuerConfig | None:
        hit = self._issuers.get(name)
        if hit is not None and time.monotonic() - hit[0] < ISSUER_CACHE_SECONDS:
            return hit[1]
        cfg = records.get_issuer(self.store, name)
        if cfg is None:
            self._issuers.pop(name, None)
        else:
            self._issuers[name] = (time.monotonic(), cfg)
        return cfg

    def forget_issuer(self, name: str) -> None:
        self._issuers.pop(name, None)

    def issuer_url(self, name: str) -> str:
        return issuer_url(self.base_url, name)

    def issuer_name_for_url(self, url: object) -> str | None:
        """The local issuer name an `iss` URL designates, or None for any other URL."""
        if not isinstance(url, str):
            return None
        prefix = self.base_url.rstrip("/") + ISSUER_PREFIX
        if not url.startswith(prefix):
            return None
        name = url[len(prefix) :]
        return name if name and "/" not in name else None


@lru_cache(maxsize=16)
def _loopback(host: str) -> bool:
    # Asked on every request (the request screen); the bind address never changes.
    return is_loopback_host(host)


__all__ = ["IdpContext"]
