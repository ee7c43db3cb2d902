"""The runtime context shared by one IdP app: its store, base URL, bind address and clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agentctl.core.transport_rules import is_loopback_host
from agentctl.idp import records
from agentctl.idp.constants import ISSUER_PREFIX
from agentctl.idp.models import IssuerConfig, issuer_url
from agentctl.idp.store import Store


@dataclass
class IdpContext:
    store: Store
    base_url: str
    bind_host: str = "127.0.0.1"
    clock: Callable[[], float] = field(default=time.time)

    def now(self) -> int:
        return int(self.clock())

    @property
    def loopback_only(self) -> bool:
        """True when the server listens on loopback only (test/demo shortcuts allowed)."""
        return is_loopback_host(self.bind_host)

    def issuer(self, name: str) -> IssuerConfig | None:
        return records.get_issuer(self.store, name)

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


__all__ = ["IdpContext"]
