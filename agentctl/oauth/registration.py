"""RFC 7591 dynamic client registration and RFC 7592 read/update/delete.

A registration endpoint may demand an initial access token (RFC 7591 §3, sent as a bearer
token); without one it answers 401/403, which becomes an error that says so.

Servers answer with metadata RFC 7591 does not allow (a list where §2 has a string, members
only the server sets), and some then refuse that same metadata when an RFC 7592 update sends it
back. `rfc7591_body` turns what a server said into what §2 allows before it is sent again, and
`readback_problems` reads a registration answer for what keeps the client from its job.
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
    from agentctl.http_types import HttpClient, HttpResponse

_SECRET_MEMBERS = ("client_secret", "registration_access_token")

# RFC 7591 §2 (and OIDC Dynamic Registration §2): members whose value is one string.
STRING_MEMBERS = frozenset(
    {
        "token_endpoint_auth_method",
        "token_endpoint_auth_signing_alg",
        "client_name",
        "client_uri",
        "logo_uri",
        "scope",
        "tos_uri",
        "policy_uri",
        "jwks_uri",
        "software_id",
        "software_version",
        "software_statement",
        "application_type",
        "subject_type",
        "sector_identifier_uri",
        "id_token_signed_response_alg",
        "userinfo_signed_response_alg",
        "initiate_login_uri",
    }
)
# Members whose value is an array of strings.
ARRAY_MEMBERS = frozenset(
    {"redirect_uris", "grant_types", "response_types", "contacts", "post_logout_redirect_uris"}
)
# Set by the server; RFC 7592 §2.2: an update MUST NOT send them (client_secret may be sent,
# but agentctl never needs to).
SERVER_MEMBERS = frozenset(
    {
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
        "client_secret",
    }
)
# RFC 7591 §2: with no grant_types the client has authorization_code only; with no
# token_endpoint_auth_method it uses client_secret_basic.
DEFAULT_GRANT_TYPES = ("authorization_code",)
DEFAULT_AUTH_METHOD = "client_secret_basic"


def auth_method_of(metadata: Mapping[str, Any], *, prefer: str | None = None) -> str | None:
    """The registered token_endpoint_auth_method, read leniently: a list (seen) gives `prefer`
    when it holds it, else its first string; absent gives None."""
    value = metadata.get("token_endpoint_auth_method")
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list):
        names = [v for v in value if isinstance(v, str) and v]
        if prefer in names:
            return prefer
        return names[0] if names else None
    return None


def rfc7591_body(
    metadata: Mapping[str, Any], *, auth_method: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """What a server said about a client, as RFC 7591 §2 client metadata to send back (RFC 7592
    §2.2), and a line per change made. `auth_method`: the method the client really uses, kept
    when a server lists several."""
    body: dict[str, Any] = {}
    changes: list[str] = []
    for key, value in metadata.items():
        if key in SERVER_MEMBERS:
            continue
        if value is None:
            changes.append(f"{key}: null left out")
            continue
        if key == "token_endpoint_auth_method" and isinstance(value, list):
            chosen = auth_method_of(metadata, prefer=auth_method)
            if chosen is None:
                changes.append(f"{key}: empty list left out")
                continue
            body[key] = chosen
            changes.append(f"{key}: list {value} sent as the string {chosen!r}")
        elif key == "scope" and isinstance(value, list):
            body[key] = " ".join(str(v) for v in value)
            changes.append(f"{key}: list sent as a space-separated string")
        elif key in STRING_MEMBERS and isinstance(value, list):
            strings = [v for v in value if isinstance(v, str)]
            if len(strings) == 1:
                body[key] = strings[0]
                changes.append(f"{key}: one-element list sent as a string")
            else:
                changes.append(f"{key}: list of {len(value)} left out (RFC 7591 has a string)")
        elif key in ARRAY_MEMBERS and isinstance(value, str):
            body[key] = [value]
            changes.append(f"{key}: string sent as a one-element list")
        else:
            body[key] = value
    return body, changes


def readback_problems(metadata: Mapping[str, Any], *, grant: str, auth_method: str) -> list[str]:
    """What the server's answer to a registration (RFC 7591 §3.2.1: "may differ from the
    request") says the client cannot do: use `grant`, or authenticate with `auth_method`."""
    problems: list[str] = []
    grants = metadata.get("grant_types")
    if grants is None:
        problems.append(
            "the IdP's answer lists no grant_types, which RFC 7591 §2 reads as authorization_code "
            f"only: {grant} may be refused (the first token request would say "
            "unauthorized_client)"
        )
    elif not isinstance(grants, list) or grant not in grants:
        shown = ", ".join(map(str, grants)) if isinstance(grants, list) else repr(grants)
        problems.append(
            f"the IdP registered grant_types [{shown}] without {grant}: this agent cannot get "
            "tokens of its own; allow the grant for the client in the IdP"
        )
    registered = auth_method_of(metadata, prefer=auth_method)
    if registered is not None and registered != auth_method:
        secret_methods = {"client_secret_basic", "client_secret_post"}
        if {registered, auth_method} <= secret_methods:
            problems.append(
                f"asked for {auth_method}, the IdP registered {registered}: agentctl uses "
                f"{registered}, as registered"
            )
        else:
            problems.append(
                f"asked for {auth_method}, the IdP registered {registered}: the credential made "
                "for this agent does not fit the method it registered"
            )
    return problems


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


def _check(response: HttpResponse, endpoint: str, *, had_token: bool, what: str) -> None:
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
                "--trace to see which (or --dry-run to see what would be sent)",
                "invalid_redirect_uri": "the IdP rejected the redirect URIs: pass the one it "
                "expects with --redirect-uri (repeat for several)",
            }.get(error, ERROR_HINTS.get(error))
        raise


def register_client(
    http: HttpClient,
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
    http: HttpClient, registration_client_uri: str, registration_access_token: str
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
    http: HttpClient,
    uri: str,
    token: str,
    metadata: Mapping[str, Any],
    *,
    auth_method: str | None = None,
) -> ClientRegistration:
    """RFC 7592 §2.2 client update (PUT the full metadata with the registration token). The
    metadata is normalised to what RFC 7591 allows first (`rfc7591_body`)."""
    body, _ = rfc7591_body(metadata, auth_method=auth_method)
    response = send(
        http,
        "PUT",
        uri,
        json=body,
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
    http: HttpClient, registration_client_uri: str, registration_access_token: str
) -> None:
    """RFC 7592 §2.3: 204 No Content on success."""
    response = send(
        http, "DELETE", registration_client_uri, headers=_bearer(registration_access_token)
    )
    _check(response, registration_client_uri, had_token=True, what="deletion")


__all__ = [
    "ARRAY_MEMBERS",
    "DEFAULT_AUTH_METHOD",
    "DEFAULT_GRANT_TYPES",
    "SERVER_MEMBERS",
    "STRING_MEMBERS",
    "ClientRegistration",
    "auth_method_of",
    "delete_client",
    "read_client",
    "readback_problems",
    "register_client",
    "rfc7591_body",
    "update_client",
]
