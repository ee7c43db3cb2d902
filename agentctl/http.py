"""The one place that builds HTTP clients for the network (and for anything handed a
transport). Everything else receives one as an argument, so tests swap transports
(httpx.WSGITransport, MockTransport) and never patch libraries. The embedded IdP in this
process is reached without httpx (agentctl.http_inprocess, through
agentctl.cli.context.http_for); its client builds its way out to other origins here.

Every request made through such a client is bounded twice over:

- in time: one fetch (the request, its retries, its whole body) has FETCH_DEADLINE seconds.
  httpx's timeouts are per read, so a server sending one byte every few seconds never trips
  them; agentctl's network backend shrinks each socket read to the time left instead.
- in size: a body larger than its cap (MAX_RESPONSE_BYTES, or less for a key set) is refused
  from its Content-Length, or as soon as the streamed bytes pass the cap — never buffered whole.
  Compressed bodies are counted after decompression, so a small gzip bomb is refused too.
"""

from __future__ import annotations

import os
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from agentctl.errors import NetworkError
from agentctl.files import describe_size
from agentctl.http_base import (
    ACTIVE_DEADLINE,
    DEFAULT_TIMEOUT,
    FETCH_DEADLINE,
    LIMITS_KEY,
    MAX_RESPONSE_BYTES,
    USER_AGENT,
    FetchLimits,
    host_of,
)

if TYPE_CHECKING:
    import ssl

    from agentctl.http_types import EventHooks


def build_http_client(
    *,
    transport: httpx.BaseTransport | None = None,
    ca_bundle: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float = FETCH_DEADLINE,
    base_url: str = "",
    event_hooks: EventHooks | None = None,
) -> httpx.Client:
    """An httpx.Client with agentctl's defaults: TLS verified (a private CA via `ca_bundle`
    or AGENTCTL_CA_BUNDLE), a User-Agent, a timeout, a total deadline and a byte cap per
    fetch, no redirects to other hosts."""
    verify: Any = True
    bundle = ca_bundle or os.environ.get("AGENTCTL_CA_BUNDLE")
    if bundle:
        verify = _ca_context(bundle)
    if transport is None and not urllib.request.getproxies():
        # With a proxy configured httpx's own transport is kept (it knows proxies); the body
        # is still capped and timed by the hooks below, only the header phase is not.
        transport = _network(verify)
    hooks = event_hooks or {}
    return httpx.Client(
        transport=transport,
        verify=verify,
        timeout=httpx.Timeout(timeout),
        # Compressed bodies are decoded by agentctl with a cap (see _guard); asking for none
        # keeps that path for servers that ignore the request.
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        base_url=base_url,
        follow_redirects=False,
        event_hooks={
            "request": [_arm(deadline), *hooks.get("request", [])],
            "response": [_guard, *hooks.get("response", [])],
        },
        trust_env=True,
    )


def network_transport(ca_bundle: str | None = None) -> httpx.BaseTransport:
    """The transport `build_http_client` uses for the network when given none, for a caller
    that routes some origins elsewhere (the in-process embedded IdP) and the rest out."""
    verify: Any = True
    bundle = ca_bundle or os.environ.get("AGENTCTL_CA_BUNDLE")
    if bundle:
        verify = _ca_context(bundle)
    if urllib.request.getproxies():
        return httpx.HTTPTransport(verify=verify, trust_env=True)
    return _network(verify)


def _network(verify: Any) -> httpx.BaseTransport:
    # Imported here, not at the top: httpcore (and trio, which it loads when installed) costs
    # more than the rest of an in-process `agentctl exchange`, which never opens a socket.
    from agentctl.http_network import NetworkTransport

    return NetworkTransport(httpx.create_ssl_context(verify=verify))


class OriginRouter(httpx.BaseTransport):
    """Sends each request by its origin (scheme://host[:port]) to the transport named for it,
    else to `fallback()`, built on first use (a run that never leaves the routed origins
    opens no socket)."""

    def __init__(
        self,
        routes: dict[str, httpx.BaseTransport],
        *,
        fallback: Callable[[], httpx.BaseTransport],
    ) -> None:
        self._routes = {origin.rstrip("/"): t for origin, t in routes.items()}
        self._fallback = fallback
        self._out: httpx.BaseTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = f":{url.port}" if url.port is not None else ""
        inner = self._routes.get(f"{url.scheme}://{url.host}{port}")
        if inner is None:
            if self._out is None:
                self._out = self._fallback()
            inner = self._out
        return inner.handle_request(request)

    def close(self) -> None:
        for inner in [*self._routes.values(), self._out]:
            if inner is not None:
                inner.close()


def _ca_context(bundle: str) -> ssl.SSLContext:
    """A TLS context trusting the PEM CA bundle `bundle`, read with the file cap (a bundle
    pointed at /dev/zero or a FIFO is refused, not read forever)."""
    import ssl
    from pathlib import Path

    from agentctl import files
    from agentctl.errors import ConfigError

    hint = "pass a PEM file of CA certificates (--ca-bundle / AGENTCTL_CA_BUNDLE)"
    text = files.read_text(
        Path(bundle).expanduser(),
        what="CA bundle",
        limit=files.MAX_CA_BUNDLE_FILE,
        error=ConfigError,
    )
    try:
        return ssl.create_default_context(cadata=text)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"CA bundle {bundle} holds no usable certificate ({exc})", hint=hint
        ) from None


def _arm(default_seconds: float) -> Callable[[httpx.Request], None]:
    def arm(request: httpx.Request) -> None:
        limits = request.extensions.get(LIMITS_KEY)
        if not isinstance(limits, FetchLimits):
            limits = FetchLimits()
            request.extensions[LIMITS_KEY] = limits
        if limits.seconds is None:
            limits.seconds = default_seconds
        if limits.deadline is None:
            limits.deadline = time.monotonic() + limits.seconds
        ACTIVE_DEADLINE.set(limits.deadline)

    return arm


def _guard(response: httpx.Response) -> None:
    """Refuse an oversized body from its headers, else cap it while it streams."""
    limits = response.request.extensions.get(LIMITS_KEY)
    if not isinstance(limits, FetchLimits):
        return
    url = response.request.url
    length = response.headers.get("content-length", "")
    if length.strip().isdigit() and int(length) > limits.max_bytes:
        raise limits.too_large(url)
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    try:
        body = response.content  # an in-memory transport has read it already
    except httpx.ResponseNotRead:
        pass
    else:
        if len(body) > limits.max_bytes:
            raise limits.too_large(url)
        return
    if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
        raise NetworkError(
            f"{host_of(url)} answered with Content-Encoding {encoding!r}, which agentctl did "
            "not ask for and does not decode",
            hint="the server or a proxy ignores `Accept-Encoding: identity`",
        )
    if encoding not in ("", "identity"):
        # Decoded here, with the cap, instead of by httpx after the fact.
        del response.headers["content-encoding"]
    response.stream = _CappedStream(response.stream, limits, url, decode=encoding)


class _CappedStream(httpx.SyncByteStream):
    """A response body that stops at its cap and its deadline, decoding gzip/deflate itself
    so the cap counts what would be buffered, not what crossed the wire."""

    def __init__(self, inner: Any, limits: FetchLimits, url: Any, decode: str) -> None:
        self._inner = inner
        self._limits = limits
        self._url = url
        # wbits 47: a gzip or a zlib header, detected (the two forms servers send).
        self._decoder = None if decode in ("", "identity") else zlib.decompressobj(47)

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        cap = self._limits.max_bytes
        for raw in self._inner:
            if self._limits.expired():
                raise self._limits.too_slow(self._url)
            chunk = raw
            if self._decoder is not None:
                try:
                    chunk = self._decoder.decompress(raw, cap + 1 - seen)
                except zlib.error:
                    raise NetworkError(
                        f"the {self._limits.what} from {host_of(self._url)} is not valid "
                        "compressed data",
                        hint="the server or a proxy garbles its Content-Encoding",
                    ) from None
            seen += len(chunk)
            if seen > cap:
                raise self._limits.too_large(self._url)
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


__all__ = [
    "DEFAULT_TIMEOUT",
    "FETCH_DEADLINE",
    "LIMITS_KEY",
    "MAX_RESPONSE_BYTES",
    "FetchLimits",
    "OriginRouter",
    "build_http_client",
    "describe_size",
    "network_transport",
]
