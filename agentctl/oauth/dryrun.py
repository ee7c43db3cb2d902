"""`--dry-run`: let reads (discovery, JWKS) through, stop at the first request that would change
something, and hand back that request — redacted, as a TraceEvent — instead of sending it.

    http = dry_run_client(ca_bundle=...)
    try:
        provider.register_agent(spec)
    except DryRunStop as stop:
        show(stop.event)            # the exact POST that would have been sent
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentctl.oauth.trace import TraceEvent, Tracer

if TYPE_CHECKING:
    import httpx

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class DryRunStop(Exception):
    """Raised instead of sending a request that would change state on the IdP."""

    def __init__(self, event: TraceEvent) -> None:
        super().__init__(f"dry run: not sending {event.method} {event.url}")
        self.event = event


def _dry_run_transport(inner: httpx.BaseTransport) -> httpx.BaseTransport:
    import httpx

    class DryRunTransport(httpx.BaseTransport):
        def __init__(self, inner: httpx.BaseTransport) -> None:
            self._inner = inner

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method in SAFE_METHODS:
                return self._inner.handle_request(request)
            request.read()
            tracer = Tracer()
            tracer.on_request(request)
            raise DryRunStop(tracer.events[-1])

        def close(self) -> None:
            self._inner.close()

    return DryRunTransport(inner)


def dry_run_client(
    *,
    inner: httpx.BaseTransport | None = None,
    ca_bundle: str | None = None,
    timeout: float | None = None,
) -> httpx.Client:
    """An agentctl HTTP client whose non-read requests raise DryRunStop instead of going out."""
    import os
    import ssl

    import httpx

    from agentctl.http import DEFAULT_TIMEOUT, build_http_client

    if inner is None:
        bundle = ca_bundle or os.environ.get("AGENTCTL_CA_BUNDLE")
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=bundle) if bundle else True
        )
        inner = httpx.HTTPTransport(verify=verify)
    return build_http_client(
        transport=_dry_run_transport(inner),
        ca_bundle=ca_bundle,
        timeout=timeout or DEFAULT_TIMEOUT,
    )


__all__ = ["SAFE_METHODS", "DryRunStop", "dry_run_client"]
