"""What commands need from their surroundings, built in one place.

`http_for(ctx, ...)` is the only way a command gets an HTTP client:
- a transport injected by the caller through the click context object (`obj={"transport": t}`),
  which is how tests route the CLI to loopback emulators (Entra) without patching anything;
- for the embedded IdP without a URL, `agentctl.http_inprocess.InProcessClient`: the IdP's own
  origin answered by its WSGI app in this process (no httpx imported), every other URL by an
  httpx client on the network, built when first needed;
- otherwise the network, TLS verified (`ca_bundle` for a private CA).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click
    import httpx

    from agentctl.http_types import EventHooks, HttpClient


def injected(ctx: click.Context | None, key: str) -> Any:
    """A collaborator the caller put in the root context's `obj` (tests), or None."""
    if ctx is None:
        return None
    obj = ctx.find_root().obj
    return obj.get(key) if isinstance(obj, dict) else None


def embedded_transport(ca_bundle: str | None = None) -> httpx.BaseTransport:
    """The embedded IdP in-process: real HTTP semantics, no server to start. Only its own
    origin goes to it; any other URL (an MCP server, a foreign authorization server) goes out
    over the network, as it would from any other profile."""
    import httpx

    from agentctl.http import OriginRouter, network_transport
    from agentctl.idp.constants import DEFAULT_BASE_URL
    from agentctl.idp.inprocess import in_process_app

    inner = httpx.WSGITransport(app=in_process_app(), remote_addr="127.0.0.1")
    return OriginRouter({DEFAULT_BASE_URL: inner}, fallback=lambda: network_transport(ca_bundle))


def in_process(ctx: click.Context | None, *, embedded: bool) -> bool:
    """Will `http_for(ctx, embedded=embedded)` talk to the embedded IdP in this process?"""
    return embedded and injected(ctx, "transport") is None


def http_for(
    ctx: click.Context | None,
    *,
    embedded: bool = False,
    ca_bundle: str | None = None,
    event_hooks: EventHooks | None = None,
) -> HttpClient:
    """The HTTP client for this command invocation (see the module docstring)."""
    if in_process(ctx, embedded=embedded):
        from agentctl.http_inprocess import InProcessClient
        from agentctl.idp.constants import DEFAULT_BASE_URL
        from agentctl.idp.inprocess import in_process_app

        def network(hooks: EventHooks) -> HttpClient:
            from agentctl.http import build_http_client

            return build_http_client(ca_bundle=ca_bundle, event_hooks=hooks)

        return InProcessClient(
            in_process_app(), origin=DEFAULT_BASE_URL, fallback=network, event_hooks=event_hooks
        )
    from agentctl.http import build_http_client

    transport = injected(ctx, "transport")
    return build_http_client(transport=transport, ca_bundle=ca_bundle, event_hooks=event_hooks)


__all__ = ["embedded_transport", "http_for", "in_process", "injected"]
