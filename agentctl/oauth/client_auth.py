"""Client authentication at the token (and introspection, revocation, device) endpoints.

- `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic with form-urlencoded id and secret.
  Some servers skip the decoding §2.3.1 requires, so a secret that encoding changes ('/', '+',
  ' ', '%', ':' …) fails there with Basic; `basic_hint` says to use client_secret_post.
- `client_secret_post`: `client_id` and `client_secret` in the form body.
- `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9): a signed assertion, in its own module
  (`agentctl.oauth.private_key_jwt`, loaded for a client that uses it).
- `none`: a public client that sends only its `client_id` (the device flow, say).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import quote

from agentctl.errors import ConfigError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")

Form = list[tuple[str, str]]


class ClientAuth(Protocol):
    @property
    def client_id(self) -> str: ...

    @property
    def method(self) -> str: ...

    def apply(self, form: Form, headers: dict[str, str], *, endpoint: str) -> None:
        """Add this client's credentials to a request about to go to `endpoint`."""


@dataclass(frozen=True)
class ClientSecretBasic:
    """RFC 6749 §2.3.1 client authentication with HTTP Basic (names and secret form-encoded
    first)."""

    client_id: str
    client_secret: str = field(repr=False)
    method: str = "client_secret_basic"

    def apply(self, form: Form, headers: dict[str, str], *, endpoint: str) -> None:
        pair = f"{form_encode(self.client_id)}:{form_encode(self.client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()


def form_encode(value: str) -> str:
    """RFC 6749 §2.3.1: id and secret form-urlencoded before base64. A space goes as %20, not
    '+': both decode the same under form decoding, and %20 also under plain percent-decoding,
    which some servers use."""
    return quote(value, safe="")


def basic_encoding_matters(client_id: str, secret: str | None) -> bool:
    """True when §2.3.1 encoding changes the id or secret: a server that does not decode Basic
    credentials then compares something other than the secret it issued."""
    return any(v is not None and form_encode(v) != v for v in (client_id, secret))


def basic_hint(client_id: str) -> str:
    """What to do when a secret with characters Basic auth percent-encodes is refused."""
    return (
        f"the secret of {client_id} has characters HTTP Basic percent-encodes (RFC 6749 "
        "§2.3.1) and some servers do not decode them: use client_secret_post (`agentctl "
        "register NAME --replace --auth-method client_secret_post` for an agent, `agentctl "
        "profile set PROFILE --auth-method client_secret_post` for the profile's client); "
        "or check the secret itself"
    )


@dataclass(frozen=True)
class ClientSecretPost:
    """RFC 6749 §2.3.1 client authentication with the credentials in the request body."""

    client_id: str
    client_secret: str = field(repr=False)
    method: str = "client_secret_post"

    def apply(self, form: Form, headers: dict[str, str], *, endpoint: str) -> None:
        form += [("client_id", self.client_id), ("client_secret", self.client_secret)]


@dataclass(frozen=True)
class NoClientAuth:
    """A public client (token endpoint auth method "none"): only its client_id is sent."""

    client_id: str
    method: str = "none"

    def apply(self, form: Form, headers: dict[str, str], *, endpoint: str) -> None:
        form.append(("client_id", self.client_id))


AssertionAudience = Literal["token_endpoint", "issuer"]


def make_client_auth(
    method: str,
    client_id: str,
    *,
    secret: str | None = None,
    private_key_pem: str | None = None,
    kid: str | None = None,
    alg: str = "RS256",
    assertion_audience: AssertionAudience = "token_endpoint",
    issuer: str | None = None,
    token_endpoint: str | None = None,
    typ: str | None = None,
) -> ClientAuth:
    """The ClientAuth for a profile's `auth_method`, with a clear error when a piece is missing."""
    if method in ("client_secret_basic", "client_secret_post"):
        if not secret:
            raise ConfigError(
                f"client {client_id} uses {method} but no client secret was found",
                hint="store it with `agentctl profile add NAME --secret-stdin` "
                "or set AGENTCTL_SECRET_<PROFILE>",
            )
        cls = ClientSecretBasic if method == "client_secret_basic" else ClientSecretPost
        return cls(client_id, secret)
    if method == "private_key_jwt":
        if not private_key_pem:
            raise ConfigError(
                f"client {client_id} uses private_key_jwt but no private key was found",
                hint="store it with `agentctl profile add NAME --private-key FILE`",
            )
        from agentctl.oauth.private_key_jwt import PrivateKeyJwt

        aud = issuer if assertion_audience == "issuer" else token_endpoint
        return PrivateKeyJwt(client_id, private_key_pem, kid=kid, alg=alg, audience=aud, typ=typ)
    if method == "none":
        return NoClientAuth(client_id)
    raise ConfigError(
        f"unknown client authentication method {method!r}",
        hint=f"use one of: {', '.join(AUTH_METHODS)}",
    )


__all__ = [
    "ASSERTION_TYPE",
    "AUTH_METHODS",
    "AssertionAudience",
    "ClientAuth",
    "ClientSecretBasic",
    "ClientSecretPost",
    "Form",
    "NoClientAuth",
    "basic_encoding_matters",
    "basic_hint",
    "form_encode",
    "make_client_auth",
]
