"""RFC 8252 §7.3 / RFC 6749 §3.1: TLS everywhere, plain http only for loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_secure_url(url: str) -> bool:
    """True for https URLs, and for http URLs whose host is a loopback address."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback_host(parts.hostname or "")


__all__ = ["is_loopback_host", "is_secure_url"]
