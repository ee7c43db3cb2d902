"""RFC 7591 dynamic client registration and RFC 7592 read/update/delete.

A registration endpoint may demand an initial access token (RFC 7591 §3, sent as a bearer
token); without one it answers 401/403, which becomes an error that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentctl.core.redact import redact_mapping
from agentctl.errors import ProviderError
from agentctl.oauth.client import ERROR_HINTS
from agentctl.oauth.transport import json_body, raise_for_oauth_error, send

if TYPE_CHECKING:
    import httpx

_SECRET_MEMBERS = ("client_secret", "registration_access_token")


@dataclass(frozen=True)
class ClientRegistration:
    """What the server registered (RFC 7591 §3.2.1); its metadata may differ from the request."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    client_secret_expires_at: int | None = None  # 0 = never (RFC 7591 §3.2.1)
    client_id_issued_at: int | None = None
    registration_access_token: str | None = field(default=None, repr=False)
    registration_client_uri: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # everything else, no secrets

    @classmethod
    def from_response(cls, data: Mapping[str, Any], endpoint: str) -> ClientRegistration:
        client_id = data.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise ProviderError(
                f"the registration response from {endpoint} has no client_id (RFC 7591 §3.2.1)"
            )

        def opt_int(name: str) -> int | None:
            value = data.get(name)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def opt_str(name: str) -> str | None:
            value = data.get(name)
            return value if isinstance(value, str) and value else None

        rest = {
            k: v
            for k, v in data.items()
            if k
            not in {
                "client_id",
                "client_secret",
                "client_secret_expires_at",
                "client_id_issued_at",
                "registration_access_token",
                "registration_client_uri",
            }
        }
        return cls(
            client_id=client_id,
            client_secret=opt_str("client_secret"),
            client_secret_expires_at=opt_int("client_secret_expires_at"),
            client_id_issued_at=opt_int("client_id_issued_at"),
            registration_access_token=opt_str("registration_access_token"),
            registration_client_uri=opt_str("registration_client_uri"),
            metadata=redact_mapping(rest),
        )


def _bearer(token: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _check(response: httpx.Response, endpoint: str, *, had_token: bool, what: str) -> None:
    if response.status_code in (401, 403):
        if had_token:
            raise ProviderError(
                f"{endpoint} refused the {what} (HTTP {response.status_code}): the token was "
                "not accepted",
                hint="check the token is current and meant for this endpoint",
                details={"status": response.status_code},
            )
        raise ProviderError(
            f"{endpoint} refused the {what} (HTTP {response.status_code}): this IdP requires "
            "an initial access token for registration (RFC 7591 §3)",
            hint="get one from the IdP's admin console and pass it with "
            "--initial-access-token-stdin (or AGENTCTL_INITIAL_ACCESS_TOKEN)",
            details={"status": response.status_code},
        )
    try:
        raise_for_oauth_error(response)
    except ProviderError as exc:
        error = exc.details.get("error")
        if exc.hint is None and isinstance(error, str):
            exc.hint = {
                "invalid_client_metadata": "the IdP rejected a registration field; rerun with "
                "--trace to see which",
                "invalid_redirect_uri": "the IdP rejected the redirect URIs",
            }.get(error, ERROR_HINTS.get(error))
        raise


def register_client(
    http: httpx.Client,
    registration_endpoint: str,
    metadata: Mapping[str, Any],
    *,
    initial_access_token: str | None = None,
) -> ClientRegistration:
    """RFC 7591 §3.1: POST the client metadata as JSON; 201 Created carries the client."""
    response = send(
        http,
        "POST",
        registration_endpoint,
        json=dict(metadata),
        headers=_bearer(initial_access_token),
    )
    _check(
        response,
        registration_endpoint,
        had_token=initial_access_token is not None,
        what="registration",
    )
    return ClientRegistration.from_response(
        json_body(response, "registration response"), registration_endpoint
    )


def read_client(
    http: httpx.Client, registration_client_uri: str, registration_access_token: str
) -> ClientRegistration:
    """RFC 7592 §2.1."""
    response = send(
        http,
        "GET",
        registration_client_uri,
        idempotent=True,
        headers=_bearer(registration_access_token),
    )
    _check(response, registration_client_uri, had_token=True, what="read")
    return ClientRegistration.from_response(
        json_body(response, "client configuration"), registration_client_uri
    )


def update_client(
    http: httpx.Client, uri: str, token: str, metadata: Mapping[str, Any]
) -> ClientRegistration:
    """RFC 7592 §2.2 client update (PUT the full metadata with the registration token)."""
    response = send(
        http,
        "PUT",
        uri,
        json=dict(metadata),
        headers={"Accept": "application/json", "Authorization": f"Bearer {token}"},
    )
    if response.status_code in (401, 403):
        raise ProviderError(
            f"{uri} refused the update (HTTP {response.status_code}): the registration access "
            "token was not accepted",
            hint="it may have been rotated elsewhere; manage the client in the IdP's console",
        )
    raise_for_oauth_error(response)
    return ClientRegistration.from_response(json_body(response, "client configuration"), uri)


def delete_client(
    http: httpx.Client, registration_client_uri: str, registration_access_token: str
) -> None:
    """RFC 7592 §2.3: 204 No Content on success."""
    response = send(
        http, "DELETE", registration_client_uri, headers=_bearer(registration_access_token)
    )
    _check(response, registration_client_uri, had_token=True, what="deletion")


__all__ = [
    "ClientRegistration",
    "delete_client",
    "read_client",
    "register_client",
    "update_client",
]
