"""What every agentctl HTTP client shares, without httpx: its User-Agent and the bounds of one
fetch (what `agentctl.oauth.transport.send` attaches to a request and the clients enforce:
agentctl.http for the network, agentctl.http_inprocess for the embedded IdP in this process).
Kept apart so a command that never leaves this process does not import httpx for them.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from agentctl import __version__
from agentctl.errors import NetworkError
from agentctl.files import describe_size

USER_AGENT = f"agentctl/{__version__}"

DEFAULT_TIMEOUT = 10.0
# Seconds one fetch may take in all: a slow IdP answers within a few seconds; anything still
# trickling after this is stalled or hostile, and the user is better told so than kept waiting.
FETCH_DEADLINE = 30.0
# No document agentctl fetches (metadata, a key set, a token response, a Graph page) comes near
# this; a larger body is a wrong URL or an attack, and buffering it would only cost memory.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
LIMITS_KEY = "agentctl.limits"  # the request extension that carries a fetch's FetchLimits

# The deadline of the fetch in progress (time.monotonic()), read by the network backend on every
# socket operation. Set by the request hook, so it always belongs to the request being sent.
ACTIVE_DEADLINE: ContextVar[float | None] = ContextVar("agentctl_http_deadline", default=None)


@dataclass
class FetchLimits:
    """The caps of one fetch; `deadline` is fixed when its first attempt starts, so retries
    share one budget."""

    what: str = "response"
    max_bytes: int = MAX_RESPONSE_BYTES
    seconds: float | None = None  # None: the client's default
    deadline: float | None = None

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def too_large(self, url: Any) -> NetworkError:
        return NetworkError(
            f"the {self.what} at {url} exceeds {describe_size(self.max_bytes)}",
            hint="check the URL points at the right document; agentctl refuses larger ones",
        )

    def too_slow(self, url: Any) -> NetworkError:
        return NetworkError(
            f"{host_of(url)} did not finish answering within {self.seconds:g} s",
            hint="the server is stalled or too slow; check it, or retry later",
        )


def host_of(url: Any) -> str:
    from urllib.parse import urlsplit

    return urlsplit(str(url)).netloc or str(url)


__all__ = [
    "ACTIVE_DEADLINE",
    "DEFAULT_TIMEOUT",
    "FETCH_DEADLINE",
    "LIMITS_KEY",
    "MAX_RESPONSE_BYTES",
    "USER_AGENT",
    "FetchLimits",
    "host_of",
]
