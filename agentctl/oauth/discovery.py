"""Find an issuer's metadata: OIDC discovery, RFC 8414, and RFC 9728 protected resources.

RFC 8414 §3 inserts `/.well-known/oauth-authorization-server` between host and path; OIDC
Discovery appends `/.well-known/openid-configuration` to the issuer. Both are tried. RFC 8414 §3.3:
the `issuer` in the document must equal the issuer asked for, exactly (mix-up defence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from agentctl.errors import NetworkError, ProviderError
from agentctl.oauth.transport import json_body, require_secure, send

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient

OIDC_SUFFIX = "/.well-known/openid-configuration"
RFC8414_PREFIX = "/.well-known/oauth-authorization-server"
RFC9728_PREFIX = "/.well-known/oauth-protected-resource"
# Metadata documents are a few KB (Entra's, among the largest, ~2 KB); a larger answer is a
# wrong URL or an attack and is refused before it is buffered.
MAX_METADATA_BYTES = 1024 * 1024


def _inserted(url: str, well_known: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, well_known + path, "", ""))


def metadata_urls(issuer: str) -> list[str]:
    """Candidate metadata URLs for `issuer`, most common first."""
    return [issuer.rstrip("/") + OIDC_SUFFIX, _inserted(issuer, RFC8414_PREFIX)]


def fetch_metadata(client: HttpClient, issuer: str) -> dict[str, Any]:
    """The issuer's authorization server metadata; its `issuer` must equal `issuer`."""
    require_secure(issuer, "issuer")
    tried: list[str] = []
    for url in metadata_urls(issuer):
        response = send(
            client,
            "GET",
            url,
            idempotent=True,
            what="metadata",
            max_bytes=MAX_METADATA_BYTES,
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            tried.append(f"{url} → HTTP {response.status_code}")
            continue
        doc = json_body(response, "metadata")
        found = doc.get("issuer")
        if found != issuer and found != issuer.rstrip("/") and str(found).rstrip("/") != issuer:
            raise ProviderError(
                f"metadata at {url} names issuer {found!r}, not {issuer!r}",
                hint="use the exact issuer URL the IdP publishes (RFC 8414 §3.3)",
            )
        for key in ("jwks_uri", "token_endpoint"):
            if isinstance(doc.get(key), str):
                require_secure(doc[key], key)
        return doc
    raise NetworkError(
        f"no OAuth/OIDC metadata found for issuer {issuer} (tried: {'; '.join(tried)})",
        hint="check the issuer URL; it must be the value of `iss` in the IdP's tokens",
    )


def fetch_protected_resource_metadata(client: HttpClient, resource: str) -> dict[str, Any]:
    """RFC 9728 metadata of a protected resource (an MCP server, say)."""
    require_secure(resource, "resource")
    url = _inserted(resource, RFC9728_PREFIX)
    response = send(
        client,
        "GET",
        url,
        idempotent=True,
        what="protected resource metadata",
        max_bytes=MAX_METADATA_BYTES,
        headers={"Accept": "application/json"},
    )
    if response.status_code != 200:
        raise ProviderError(
            f"{resource} publishes no protected resource metadata ({url} → HTTP "
            f"{response.status_code})",
            hint="give the resource's authorization server explicitly",
        )
    doc = json_body(response, "protected resource metadata")
    if str(doc.get("resource", "")).rstrip("/") != resource.rstrip("/"):
        raise ProviderError(
            f"protected resource metadata at {url} names resource {doc.get('resource')!r}, "
            f"not {resource!r}",
            hint="use the resource identifier the server publishes (RFC 9728 §3.3)",
        )
    return doc


__all__ = ["fetch_metadata", "fetch_protected_resource_metadata", "metadata_urls"]
