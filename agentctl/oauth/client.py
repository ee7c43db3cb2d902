"""Token endpoint grants, RFC 7662 introspection and RFC 7009 revocation on an injected client.

Token requests are never retried (a retry can spend a one-time credential twice); the error a
server answers is kept verbatim in OAuthError, with a hint for the common ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentctl.errors import OAuthError, UsageError
from agentctl.oauth.client_auth import ClientAuth, Form
from agentctl.oauth.tokens import TokenSet
from agentctl.oauth.transport import json_body, raise_for_oauth_error, send

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient, HttpResponse

GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_REFRESH_TOKEN = "refresh_token"  # noqa: S105
GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105 - RFC 8693 §2.1
GRANT_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"  # RFC 8628 §3.4

TOKEN_TYPE_ACCESS = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105
TOKEN_TYPE_REFRESH = "urn:ietf:params:oauth:token-type:refresh_token"  # noqa: S105
TOKEN_TYPE_ID = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105
TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105
TOKEN_TYPE_ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"  # noqa: S105

# What to do next for the RFC 6749 §5.2 / RFC 8693 §2.2.2 errors a user meets most.
ERROR_HINTS: dict[str, str] = {
    "invalid_client": "the IdP rejected the client's credentials: check the client id and "
    "secret or key (an expired secret gives this too); `agentctl profile show`",
    "unauthorized_client": "this client is not allowed this grant; enable it for the client "
    "in the IdP",
    "unsupported_grant_type": "the IdP does not offer this grant (`agentctl doctor` lists "
    "what it does)",
    "invalid_scope": "ask only for scopes registered for this client",
    "invalid_grant": "the grant or the token presented is invalid, expired or for another "
    "client; get a fresh one",
    "invalid_target": "the IdP will not issue a token for that resource/audience (RFC 8693)",
    "invalid_request": "the IdP found the request malformed or inconsistent (its "
    "error_description says what); `agentctl exchange … --trace` shows the exact request",
}


@dataclass(frozen=True)
class ExchangeRequest:
    """An RFC 8693 §2.1 token exchange request (without client authentication)."""

    subject_token: str = field(repr=False)
    subject_token_type: str = TOKEN_TYPE_ACCESS
    actor_token: str | None = field(default=None, repr=False)
    actor_token_type: str | None = None
    resource: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    scope: str | None = None
    requested_token_type: str | None = None


def token_exchange_form(req: ExchangeRequest) -> Form:
    """The form fields for `req`; `resource` and `audience` repeat (RFC 8693 §2.1)."""
    if not req.subject_token or not req.subject_token_type:
        raise UsageError("token exchange needs a subject token and its type (RFC 8693 §2.1)")
    if bool(req.actor_token) != bool(req.actor_token_type):
        # §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT be sent without it.
        raise UsageError(
            "actor_token and actor_token_type go together (RFC 8693 §2.1)",
            hint="give both the actor token and its type, or neither",
        )
    form: Form = [("grant_type", GRANT_TOKEN_EXCHANGE)]
    form += [("resource", r) for r in req.resource]
    form += [("audience", a) for a in req.audience]
    if req.scope:
        form.append(("scope", req.scope))
    if req.requested_token_type:
        form.append(("requested_token_type", req.requested_token_type))
    form += [("subject_token", req.subject_token), ("subject_token_type", req.subject_token_type)]
    if req.actor_token and req.actor_token_type:
        form += [("actor_token", req.actor_token), ("actor_token_type", req.actor_token_type)]
    return form


def post_form(
    http: HttpClient,
    endpoint: str,
    form: Form,
    auth: ClientAuth | None,
    *,
    accept_json: bool = True,
) -> HttpResponse:
    """POST a form with client authentication; never retried. OAuth errors are raised."""
    headers: dict[str, str] = {"Accept": "application/json"} if accept_json else {}
    body = list(form)
    if auth is not None:
        auth.apply(body, headers, endpoint=endpoint)
    response = send(http, "POST", endpoint, data=_encode(body), headers=headers)
    if response.status_code >= 400:
        _raise(response)
    return response


def _encode(form: Form) -> dict[str, Any]:
    # httpx takes repeated keys as a list value; order within a key is kept.
    out: dict[str, Any] = {}
    for key, value in form:
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


def _raise(response: HttpResponse) -> None:
    try:
        raise_for_oauth_error(response)
    except OAuthError as exc:
        if exc.hint is None and exc.error in ERROR_HINTS:
            exc.hint = ERROR_HINTS[exc.error]
        raise


def token_request(
    http: HttpClient, token_endpoint: str, form: Form, auth: ClientAuth | None
) -> TokenSet:
    """Any grant: POST `form` to the token endpoint and parse the TokenSet."""
    response = post_form(http, token_endpoint, form, auth)
    grant = next((v for k, v in form if k == "grant_type"), None)
    return TokenSet.from_response(
        json_body(response, "token response"), grant_type=grant, endpoint=token_endpoint
    )


def _targets(scope: str | None, resource: Iterable[str], audience: Iterable[str]) -> Form:
    form: Form = [("resource", r) for r in resource]
    form += [("audience", a) for a in audience]
    if scope:
        form.append(("scope", scope))
    return form


def client_credentials(
    http: HttpClient,
    token_endpoint: str,
    auth: ClientAuth,
    *,
    scope: str | None = None,
    resource: Iterable[str] = (),
    audience: Iterable[str] = (),
) -> TokenSet:
    """RFC 6749 §4.4: a token for the client itself."""
    form: Form = [("grant_type", GRANT_CLIENT_CREDENTIALS), *_targets(scope, resource, audience)]
    return token_request(http, token_endpoint, form, auth)


def token_exchange(
    http: HttpClient, token_endpoint: str, auth: ClientAuth | None, req: ExchangeRequest
) -> TokenSet:
    """RFC 8693 §2: exchange a subject (and optional actor) token."""
    return token_request(http, token_endpoint, token_exchange_form(req), auth)


def jwt_bearer(
    http: HttpClient,
    token_endpoint: str,
    auth: ClientAuth | None,
    *,
    assertion: str,
    scope: str | None = None,
    resource: Iterable[str] = (),
) -> TokenSet:
    """RFC 7523 §2.1: present one JWT as the authorization grant (ID-JAG step 2)."""
    form: Form = [("grant_type", GRANT_JWT_BEARER), ("assertion", assertion)]
    form += _targets(scope, resource, ())
    return token_request(http, token_endpoint, form, auth)


def refresh(
    http: HttpClient,
    token_endpoint: str,
    auth: ClientAuth | None,
    *,
    refresh_token: str,
    scope: str | None = None,
) -> TokenSet:
    """RFC 6749 §6."""
    form: Form = [("grant_type", GRANT_REFRESH_TOKEN), ("refresh_token", refresh_token)]
    if scope:
        form.append(("scope", scope))
    return token_request(http, token_endpoint, form, auth)


@dataclass(frozen=True)
class Introspection:
    """RFC 7662 §2.2: `active` plus whatever the server chose to say about the token."""

    active: bool
    claims: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"active": self.active, **self.claims}


def introspect(
    http: HttpClient,
    endpoint: str,
    auth: ClientAuth,
    token: str,
    *,
    token_type_hint: str | None = None,
) -> Introspection:
    form: Form = [("token", token)]
    if token_type_hint:
        form.append(("token_type_hint", token_type_hint))
    data = json_body(post_form(http, endpoint, form, auth), "introspection response")
    active = data.get("active")
    if not isinstance(active, bool):
        raise OAuthError(
            "invalid_response",
            "the introspection response lacks the boolean `active` (RFC 7662 §2.2)",
            endpoint=endpoint,
        )
    return Introspection(active, {k: v for k, v in data.items() if k != "active"})


def revoke(
    http: HttpClient,
    endpoint: str,
    auth: ClientAuth,
    token: str,
    *,
    token_type_hint: str | None = None,
) -> None:
    """RFC 7009 §2: the server answers 200 whether or not the token was valid."""
    form: Form = [("token", token)]
    if token_type_hint:
        form.append(("token_type_hint", token_type_hint))
    post_form(http, endpoint, form, auth, accept_json=False)


def form_to_mapping(form: Form) -> Mapping[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in form:
        out.setdefault(key, []).append(value)
    return out


__all__ = [
    "ERROR_HINTS",
    "GRANT_CLIENT_CREDENTIALS",
    "GRANT_DEVICE_CODE",
    "GRANT_JWT_BEARER",
    "GRANT_REFRESH_TOKEN",
    "GRANT_TOKEN_EXCHANGE",
    "TOKEN_TYPE_ACCESS",
    "TOKEN_TYPE_ID",
    "TOKEN_TYPE_ID_JAG",
    "TOKEN_TYPE_JWT",
    "TOKEN_TYPE_REFRESH",
    "ExchangeRequest",
    "Introspection",
    "client_credentials",
    "form_to_mapping",
    "introspect",
    "jwt_bearer",
    "post_form",
    "refresh",
    "revoke",
    "token_exchange",
    "token_exchange_form",
    "token_request",
]
