"""Send one HTTP request to an IdP and turn every way it can fail into one clear AgentctlError.

Idempotent reads (metadata, JWKS) retry with backoff; token requests never do, because a retried
token request can spend a one-time credential (an authorization code, a `jti`) twice.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from agentctl.core.transport_rules import has_credentials, is_secure_url, without_credentials
from agentctl.errors import ConfigError, NetworkError, OAuthError

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient, HttpResponse

RETRY_STATUSES = frozenset({502, 503, 504})


def require_secure(url: str, what: str = "URL") -> None:
    """TLS everywhere; plain http only for loopback (RFC 8252 §7.3); no credentials in URLs."""
    if has_credentials(url):
        raise ConfigError(
            f"refusing {what} {without_credentials(url)}: it embeds credentials (user:password@)",
            hint="remove them from the URL; agentctl takes secrets from the secret store or stdin",
        )
    if not is_secure_url(url):
        raise ConfigError(
            f"refusing {what} {url}: plain http is accepted only for loopback addresses",
            hint="use an https:// URL (and --ca-bundle for a private CA)",
        )


def send(
    client: HttpClient,
    method: str,
    url: str,
    *,
    idempotent: bool = False,
    retries: int = 2,
    backoff: float = 0.25,
    what: str = "response",
    max_bytes: int | None = None,
    **kwargs: Any,
) -> HttpResponse:
    """Send a request; raise NetworkError for transport failures, HTTP 5xx, a body over
    `max_bytes` (default agentctl.http_base.MAX_RESPONSE_BYTES) and a fetch past its deadline
    (agentctl.http_base.FETCH_DEADLINE, retries included)."""
    from agentctl.http_base import LIMITS_KEY, MAX_RESPONSE_BYTES, FetchLimits

    require_secure(url)
    host = urlsplit(url).netloc
    limits = FetchLimits(what=what, max_bytes=max_bytes or MAX_RESPONSE_BYTES)
    kwargs["extensions"] = {**kwargs.get("extensions", {}), LIMITS_KEY: limits}
    attempts = 1 + (retries if idempotent else 0)
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            response = client.request(method, url, **kwargs)
        except Exception as exc:
            failure = _transport_failure(exc)
            if failure is None:
                raise  # not the network's doing (an AgentctlError from a check, say)
            if failure == "timeout":
                if limits.expired():
                    raise limits.too_slow(url) from None
                if not last:
                    _pause(backoff * 2**attempt, limits)
                    continue
                raise NetworkError(
                    f"{host} did not answer in time ({type(exc).__name__})",
                    hint="check the IdP is reachable, or retry later",
                ) from None
            if failure == "connect":
                if not last and not limits.expired():
                    _pause(backoff * 2**attempt, limits)
                    continue
                raise _connect_error(host, exc) from None
            raise NetworkError(
                f"talking to {host} failed: {exc}", hint="check the URL and your network"
            ) from None
        if response.status_code >= 500:
            if (
                idempotent
                and not last
                and response.status_code in RETRY_STATUSES
                and not limits.expired()
            ):
                _pause(backoff * 2**attempt, limits)
                continue
            raise NetworkError(
                f"{host} answered HTTP {response.status_code} (a server error) for {url}",
                hint="the IdP is failing; retry later or check its status",
                details={"status": response.status_code, "url": url},
            )
        return response
    raise AssertionError("unreachable")  # pragma: no cover


def _transport_failure(exc: Exception) -> str | None:
    """ "timeout", "connect" or "transport" for httpx's transport errors, None for anything
    else. httpx is looked up, not imported: if no client in this process imported it (the
    embedded IdP in-process), the error cannot be one of its own."""
    httpx = sys.modules.get("httpx")
    if httpx is None or not isinstance(exc, httpx.TransportError):
        return None
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    return "transport"


def _pause(seconds: float, limits: Any) -> None:
    """Back off before a retry, but never past the fetch's deadline."""
    if limits.deadline is not None:
        seconds = min(seconds, max(0.0, limits.deadline - time.monotonic()))
    time.sleep(seconds)


def _connect_error(host: str, exc: Exception) -> NetworkError:
    import ssl  # loaded already: the failing client is httpx's, which imports it

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return NetworkError(
                f"TLS certificate of {host} could not be verified ({cause.verify_message})",
                hint="pass --ca-bundle FILE (or AGENTCTL_CA_BUNDLE) for a private CA",
            )
        if isinstance(cause, ssl.SSLError):
            return NetworkError(
                f"TLS handshake with {host} failed ({cause})",
                hint="check the URL uses the right scheme and port",
            )
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if (
        "name or service not known" in text
        or "nodename nor servname" in text
        or ("temporary failure in name resolution" in text)
        or "no address associated" in text
    ):
        return NetworkError(f"cannot resolve host {host}", hint="check the hostname in the URL")
    if "refused" in text:
        return NetworkError(
            f"connection refused by {host}",
            hint="is the IdP running at that address? (`agentctl idp serve` for the embedded one)",
        )
    return NetworkError(f"cannot connect to {host}: {exc}", hint="check the URL and your network")


def json_body(response: HttpResponse, what: str = "response") -> dict[str, Any]:
    """The JSON object in `response`, or a NetworkError naming what came back instead."""
    ctype = response.headers.get("content-type", "")
    try:
        data = response.json()
    except ValueError:
        kind = (
            "an HTML page"
            if "html" in ctype or response.text.lstrip().startswith("<")
            else (f"non-JSON content ({ctype or 'no content-type'})")
        )
        raise NetworkError(
            f"{what} from {response.request.url} is {kind}, not JSON (HTTP {response.status_code})",
            hint="check the URL points at the OAuth endpoint, not a web page or proxy",
        ) from None
    if not isinstance(data, dict):
        raise NetworkError(f"{what} from {response.request.url} is JSON but not an object")
    return data


def raise_for_oauth_error(response: HttpResponse, *, hint: str | None = None) -> None:
    """RFC 6749 §5.2: a 4xx with `error` becomes OAuthError; other 4xx a NetworkError."""
    if response.status_code < 400:
        return
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        desc = data.get("error_description")
        raise OAuthError(
            data["error"],
            desc if isinstance(desc, str) else None,
            status=response.status_code,
            hint=hint,
            endpoint=str(response.request.url),
        )
    raise NetworkError(
        f"{response.request.url} answered HTTP {response.status_code} without an OAuth error",
        hint="check the endpoint URL and the client's credentials",
        details={"status": response.status_code},
    )


__all__ = ["json_body", "raise_for_oauth_error", "require_secure", "send"]
