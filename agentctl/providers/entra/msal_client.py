"""msal on the project's own httpx client.

msal accepts any object with `post(url, params=, data=, headers=, **kw)` and `get(url, params=,
headers=, **kw)` returning something with `status_code`, `text`, `headers` and
`raise_for_status()` (msal/oauth2cli/http.py). HttpResponse already has all four, so the adapter
only routes calls through `agentctl.oauth.transport.send`: TLS rules, timeouts, trace hooks and
test transports then apply to msal's traffic too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agentctl.core.aadsts import aadsts_codes, hint_for, short_description
from agentctl.errors import OAuthError, ProviderError
from agentctl.oauth.transport import send

if TYPE_CHECKING:
    import msal

    from agentctl.http_types import HttpClient, HttpResponse
    from agentctl.providers.entra.credentials import ClientCredential


class MsalHttpClient:
    """The `http_client` msal calls; the caller owns (and closes) the httpx client."""

    def __init__(self, client: HttpClient) -> None:
        self._client = client

    def post(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> HttpResponse:
        body: dict[str, Any] = (
            {"content": data} if isinstance(data, str | bytes) else {"data": _form(data)}
        )
        return send(
            self._client,
            "POST",
            url,
            params=dict(params or {}),
            headers=dict(headers or {}),
            **body,
        )

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> HttpResponse:
        return send(
            self._client,
            "GET",
            url,
            idempotent=True,
            params=dict(params or {}),
            headers=dict(headers or {}),
        )

    def close(self) -> None:
        """msal may call this; the httpx client belongs to the caller."""


def _form(data: Mapping[str, Any] | None) -> dict[str, Any]:
    # msal hands some values (a signed client assertion) over as bytes, which `requests`
    # form-encodes as text but httpx would send as "b'...'".
    return {
        key: value.decode() if isinstance(value, bytes) else value
        for key, value in (data or {}).items()
    }


def confidential_app(
    http: HttpClient, *, client_id: str, credential: ClientCredential, authority: str
) -> msal.ConfidentialClientApplication:
    import msal

    try:
        return msal.ConfidentialClientApplication(
            client_id,
            client_credential=credential.for_msal(),
            authority=authority,
            http_client=MsalHttpClient(http),
        )
    except ValueError as exc:
        raise _authority_error(authority, exc) from None


def public_app(http: HttpClient, *, client_id: str, authority: str) -> msal.PublicClientApplication:
    import msal

    try:
        return msal.PublicClientApplication(
            client_id, authority=authority, http_client=MsalHttpClient(http)
        )
    except ValueError as exc:
        raise _authority_error(authority, exc) from None


def _authority_error(authority: str, exc: ValueError) -> ProviderError:
    text = str(exc)
    hint = hint_for({"error_description": text}) or (
        "check the tenant id or domain and the cloud in the profile"
    )
    return ProviderError(f"Entra authority {authority} could not be used: {text[:300]}", hint=hint)


def entra_error(
    data: Mapping[str, Any],
    *,
    status: int | None,
    endpoint: str,
    grant_type: str | None = None,
) -> OAuthError:
    """An Entra error response as OAuthError: first line of the description, the AADSTS codes
    and correlation ids in `details`, and the next step as `hint` (`grant_type`, what was sent,
    picks between cases of one code)."""
    description = data.get("error_description")
    exc = OAuthError(
        str(data.get("error")),
        short_description(description if isinstance(description, str) else None),
        status=status,
        hint=hint_for(data, grant_type=grant_type),
        endpoint=endpoint,
    )
    codes = aadsts_codes(data)
    if codes:
        exc.details["aadsts"] = codes
    for key in ("correlation_id", "trace_id"):
        if isinstance(data.get(key), str):
            exc.details[key] = data[key]
    return exc


def raise_for_msal_error(result: Mapping[str, Any], endpoint: str) -> dict[str, Any]:
    """msal returns errors as dicts; turn one into OAuthError with the AADSTS next step."""
    if "access_token" in result:
        return dict(result)
    if not isinstance(result.get("error"), str):
        raise ProviderError(f"Entra returned no access token and no error from {endpoint}")
    raise entra_error(result, status=None, endpoint=endpoint)


__all__ = [
    "MsalHttpClient",
    "confidential_app",
    "entra_error",
    "public_app",
    "raise_for_msal_error",
]
