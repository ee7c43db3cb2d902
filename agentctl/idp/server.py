"""One Authlib `AuthorizationServer` per issuer, and the plugin seam.

`IssuerServer` wires Authlib's machinery for one issuer: client authentication
(client_secret_basic, client_secret_post, private_key_jwt), the client-credentials, token-exchange
and ID-JAG (jwt-bearer) grants, and the introspection, revocation, registration and
client-configuration endpoints. Its issuer settings are read from the database per request,
so `agentctl idp` changes apply to a running server.

Plugins (`IdpPlugin`) add routes, grants and metadata without touching this package's core:
`default_plugins()` loads `agentctl.idp.device` (RFC 8628 sign-in) and `agentctl.idp.resource`
(RFC 9728 demo resource) when those modules exist, each exposing `plugin() -> IdpPlugin`.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any, Protocol

from authlib.integrations.flask_oauth2 import AuthorizationServer

from agentctl.idp import records
from agentctl.idp.context import IdpContext
from agentctl.idp.endpoints import ClientConfiguration, Introspection, Registration, Revocation
from agentctl.idp.exchange import TokenExchange
from agentctl.idp.grants import ClientCredentials, IdJagRedemption, PrivateKeyJWTAuth
from agentctl.idp.models import Client, IssuerConfig

if TYPE_CHECKING:
    from flask import Flask

PLUGIN_MODULES = (
    "agentctl.idp.device",
    "agentctl.idp.authorize",
    "agentctl.idp.resource",
    "agentctl.idp.webapp",
)


class IdpPlugin(Protocol):
    def init_app(self, app: Flask, ctx: IdpContext) -> None:
        """Add routes to the Flask app (under `/i/<issuer>/...`)."""

    def init_issuer(self, server: IssuerServer) -> None:
        """Register grants/endpoints on one issuer's AuthorizationServer."""

    def metadata(self, server: IssuerServer) -> dict[str, Any]:
        """Members to add to the issuer's metadata document."""


def default_plugins() -> list[IdpPlugin]:
    plugins: list[IdpPlugin] = []
    for name in PLUGIN_MODULES:
        if importlib.util.find_spec(name) is not None:
            plugins.append(importlib.import_module(name).plugin())
    return plugins


class UnknownIssuer(LookupError):
    pass


class IssuerServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, ctx: IdpContext, name: str, plugins: list[IdpPlugin]) -> None:
        super().__init__()
        self.ctx = ctx
        self.name = name
        self.plugins = plugins
        self.scopes_supported = None
        self.register_client_auth_method("private_key_jwt", PrivateKeyJWTAuth(self))
        self.register_grant(ClientCredentials)
        self.register_grant(TokenExchange)
        self.register_grant(IdJagRedemption)
        for endpoint in (Introspection, Registration, ClientConfiguration, Revocation):
            self.register_endpoint(endpoint)
        for plugin in plugins:
            plugin.init_issuer(self)

    @property
    def cfg(self) -> IssuerConfig:
        cfg = _request_cache(f"issuer:{self.name}", lambda: self.ctx.issuer(self.name))
        if cfg is None:
            raise UnknownIssuer(self.name)
        return cfg  # type: ignore[no-any-return]

    @property
    def url(self) -> str:
        return self.ctx.issuer_url(self.name)

    def query_client(self, client_id: str) -> Client | None:
        if not isinstance(client_id, str):
            return None
        return _request_cache(  # type: ignore[no-any-return]
            f"client:{self.name}:{client_id}",
            lambda: records.get_client(self.ctx.store, self.name, client_id),
        )

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        # Tokens are recorded when minted (agentctl.idp.tokens.mint), with their audit line.
        return None


def _request_cache(key: str, load: Any) -> Any:
    """Memoise within one Flask request (Authlib asks for the same client several times)."""
    from flask import g, has_app_context

    if not has_app_context():
        return load()
    cache: dict[str, Any] = g.setdefault("agentctl_idp_cache", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]


__all__ = ["PLUGIN_MODULES", "IdpPlugin", "IssuerServer", "UnknownIssuer", "default_plugins"]
