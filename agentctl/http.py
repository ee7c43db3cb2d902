"""The one place that builds HTTP clients. Everything else receives one as an argument,
so tests swap transports (httpx.WSGITransport, MockTransport) and never patch libraries."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentctl import __version__

if TYPE_CHECKING:
    import httpx

DEFAULT_TIMEOUT = 10.0


def build_http_client(
    *,
    transport: httpx.BaseTransport | None = None,
    ca_bundle: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    base_url: str = "",
    event_hooks: dict[str, list[Callable[..., Any]]] | None = None,
) -> httpx.Client:
    """An httpx.Client with agentctl's defaults: TLS verified (a private CA via `ca_bundle`
    or AGENTCTL_CA_BUNDLE), a User-Agent, a timeout, no redirects to other hosts."""
    import httpx

    verify: Any = True
    bundle = ca_bundle or os.environ.get("AGENTCTL_CA_BUNDLE")
    if bundle:
        import ssl

        verify = ssl.create_default_context(cafile=bundle)
    return httpx.Client(
        transport=transport,
        verify=verify,
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": f"agentctl/{__version__}"},
        base_url=base_url,
        follow_redirects=False,
        event_hooks=event_hooks or {},
        trust_env=True,
    )


__all__ = ["DEFAULT_TIMEOUT", "build_http_client"]
