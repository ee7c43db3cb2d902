"""RFC 8252 §7.3 / RFC 6749 §3.1: TLS everywhere, plain http only for loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit, urlunsplit


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:  # "http://[::1" and other unparseable authorities
        return None


def has_credentials(url: str) -> bool:
    """True when `url` carries userinfo (`user:password@host`). agentctl refuses such URLs
    everywhere: a password in a URL ends up stored, printed and sent to every server."""
    parts = _split(url)
    return parts is not None and "@" in parts.netloc


def without_credentials(url: str) -> str:
    """`url` with any userinfo replaced by `***`, safe to print."""
    parts = _split(url)
    if parts is None or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def is_secure_url(url: str) -> bool:
    """True for https URLs, and for http URLs whose host is a loopback address."""
    parts = _split(url)
    if parts is None:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback_host(parts.hostname or "")


__all__ = ["has_credentials", "is_loopback_host", "is_secure_url", "without_credentials"]
