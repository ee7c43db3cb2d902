"""One Authlib `AuthorizationServer` per issuer, and the plugin seam.

`IssuerServer` wires Authlib's machinery for one issuer: client authentication
(client_secret_basic, client_secret_post, private_key_jwt), the client-credentials, token-exchange
and ID-JAG (jwt-bearer) grants, and the introspection, revocation, registration and
client-configuration endpoints. Its issuer settings are read from the database per request,
so `agentctl idp` changes apply to a running server.

Plugins (`IdpPlugin`) add routes, grants and metadata without touching this package's core:
`default_plugins()` offers `agentctl.idp.device` (RFC 8628 sign-in), `agentctl.idp.authorize`
(authorization code + PKCE), `agentctl.idp.resource` (RFC 9728 demo resource) and
`agentctl.idp.webapp` when those modules exist, each exposing `plugin() -> IdpPlugin`.

They are imported on demand (`OnDemandPlugin`): a token request with a grant type a plugin
declares, an Authlib endpoint it declares, an authorization request, or the HTML pages (the
Flask app calls `init_app`) load it; a command that only asks for tokens never does. What each
adds to the metadata document is declared in `PLUGINS` beside it (the plugins' own `metadata`
answers with the same function), so the document is the same whether or not it was loaded.
Plugin tables are created by the plugin (`Store.ensure_tables`) when it is loaded; nothing
outside a plugin reads them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    InsecureTransportError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
)

from agentctl.idp import records, web
from agentctl.idp.constants import GRANT_DEVICE_CODE, GRANT_JWT_BEARER
from agentctl.idp.context import IdpContext
from agentctl.idp.exchange import TokenExchange
from agentctl.idp.grants import ClientCredentials
from agentctl.idp.models import Client, IssuerConfig

if TYPE_CHECKING:
    from flask import Flask


class IdpPlugin(Protocol):
    def init_app(self, app: Flask, ctx: IdpContext) -> None:
        """Add routes to the Flask app (under `/i/<issuer>/...`)."""

    def init_issuer(self, server: IssuerServer) -> None:
        """Register grants/endpoints on one issuer's AuthorizationServer."""

    def metadata(self, server: IssuerServer) -> dict[str, Any]:
        """Members to add to the issuer's metadata document."""


# -- the bundled plugins' metadata members (their `metadata` methods return these) ------------

DEVICE_ENDPOINT_PATH = "device_authorization"  # RFC 8628 §3.1, under the issuer URL
DEVICE_ENDPOINT_NAME = "device_authorization"  # Authlib's name for that endpoint
AUTHORIZE_PATH = "authorize"
GRANT_AUTHORIZATION_CODE = "authorization_code"
RESOURCE_PATH = "resource"  # the demo protected resource, under the issuer URL


def device_metadata(server: IssuerServer) -> dict[str, Any]:
    return {
        "device_authorization_endpoint": f"{server.url}/{DEVICE_ENDPOINT_PATH}",
        "grant_types_supported": [GRANT_DEVICE_CODE],
    }


def authorize_metadata(server: IssuerServer) -> dict[str, Any]:
    return {
        "authorization_endpoint": f"{server.url}/{AUTHORIZE_PATH}",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [GRANT_AUTHORIZATION_CODE],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }


def resource_metadata(server: IssuerServer) -> dict[str, Any]:
    # RFC 9728 §4: the authorization server names the resources it issues tokens for.
    return {"protected_resources": [f"{server.url}/{RESOURCE_PATH}"]}


def no_metadata(server: IssuerServer) -> dict[str, Any]:
    return {}


class PluginSpec(NamedTuple):
    """A plugin module and what makes a request need it."""

    module: str
    grant_types: tuple[str, ...] = ()  # token-endpoint grants it registers
    endpoints: tuple[str, ...] = ()  # Authlib endpoints it registers, by name
    authorization: bool = False  # it registers authorization-endpoint (response_type) grants
    metadata: Callable[[IssuerServer], dict[str, Any]] = no_metadata


PLUGINS = (
    PluginSpec(
        "agentctl.idp.device",
        grant_types=(GRANT_DEVICE_CODE,),
        endpoints=(DEVICE_ENDPOINT_NAME,),
        metadata=device_metadata,
    ),
    PluginSpec(
        "agentctl.idp.authorize",
        grant_types=(GRANT_AUTHORIZATION_CODE,),
        authorization=True,
        metadata=authorize_metadata,
    ),
    PluginSpec("agentctl.idp.resource", metadata=resource_metadata),
    PluginSpec("agentctl.idp.webapp"),
)

_PLUGINS_LOCK = threading.RLock()


class OnDemandPlugin:
    """A plugin of `PLUGINS`, imported when first needed (see the module docstring). Its
    metadata comes from its spec, so advertising it never imports it."""

    def __init__(self, spec: PluginSpec) -> None:
        self.spec = spec
        self._plugin: IdpPlugin | None = None

    @property
    def loaded(self) -> bool:
        return self._plugin is not None

    def load(self) -> IdpPlugin:
        if self._plugin is None:
            with _PLUGINS_LOCK:  # worker threads share the plugins: import once
                if self._plugin is None:
                    self._plugin = importlib.import_module(self.spec.module).plugin()
        return self._plugin

    def init_app(self, app: Flask, ctx: IdpContext) -> None:
        self.load().init_app(app, ctx)

    def init_issuer(self, server: IssuerServer) -> None:
        return None  # done by the server when a request needs it (IssuerServer.need_plugins)

    def metadata(self, server: IssuerServer) -> dict[str, Any]:
        return self.spec.metadata(server)


def default_plugins(*, load: bool = False) -> list[IdpPlugin]:
    """The bundled plugins whose modules exist, imported on demand (`load`: now)."""
    plugins: list[IdpPlugin] = []
    for spec in PLUGINS:
        if importlib.util.find_spec(spec.module) is not None:
            plugin = OnDemandPlugin(spec)
            if load:
                plugin.load()
            plugins.append(plugin)
    return plugins


_ENDPOINTS_LOCK = threading.Lock()


class UnknownIssuer(LookupError):
    pass


class IssuerServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, ctx: IdpContext, name: str, plugins: list[IdpPlugin]) -> None:
        super().__init__()
        self.ctx = ctx
        self.name = name
        self.plugins = plugins
        self.scopes_supported = None
        self.register_client_auth_method("private_key_jwt", _PrivateKeyJWT(self))
        self.register_grant(ClientCredentials)
        self.register_grant(TokenExchange)
        self._jwt_bearer_loaded = False
        self._endpoints_loaded = False
        # An on-demand plugin runs `init_issuer` on this server when a request first needs
        # it (`need_plugins`); one already imported (the pages app, `default_plugins(load=
        # True)`) runs it now. What a token or endpoint request needs is one set lookup.
        self._on_demand = [p for p in plugins if isinstance(p, OnDemandPlugin)]
        self._plugins_ready: set[str] = set()
        self._plugin_grants = {g for p in self._on_demand for g in p.spec.grant_types}
        self._plugin_endpoints = {e for p in self._on_demand for e in p.spec.endpoints}
        for plugin in plugins:
            plugin.init_issuer(self)
        self.need_plugins(lambda spec: True, loaded_only=True)

    def need_plugins(
        self, wanted: Callable[[PluginSpec], bool], *, loaded_only: bool = False
    ) -> None:
        """Run `init_issuer` on this server for each on-demand plugin `wanted` (importing
        it if need be; with `loaded_only`, only those imported already) that has not run."""
        for plugin in self._on_demand:
            spec = plugin.spec
            if spec.module in self._plugins_ready or not wanted(spec):
                continue
            if loaded_only and not plugin.loaded:
                continue
            with _PLUGINS_LOCK:
                if spec.module not in self._plugins_ready:
                    plugin.load().init_issuer(self)
                    self._plugins_ready.add(spec.module)

    def _load_endpoints(self) -> None:
        """Introspection, revocation and registration are registered on first use: a command
        that only asks for tokens never imports them (RFC 7591 claims, joserfc's JWT)."""
        if self._endpoints_loaded:
            return
        from agentctl.idp.endpoints import (
            ClientConfiguration,
            Introspection,
            Registration,
            Revocation,
        )

        with _ENDPOINTS_LOCK:  # worker threads share the server: register once
            if not self._endpoints_loaded:
                for endpoint in (Introspection, Registration, ClientConfiguration, Revocation):
                    self.register_endpoint(endpoint)
                self._endpoints_loaded = True

    def get_token_grant(self, request: Any) -> Any:
        grant_type = request.payload.grant_type
        if grant_type in self._plugin_grants:
            self.need_plugins(lambda spec: grant_type in spec.grant_types)
        if not self._jwt_bearer_loaded and grant_type == GRANT_JWT_BEARER:
            from agentctl.idp.jwt_grants import IdJagRedemption

            with _ENDPOINTS_LOCK:
                if not self._jwt_bearer_loaded:
                    self.register_grant(IdJagRedemption)
                    self._jwt_bearer_loaded = True
        return super().get_token_grant(request)

    def get_authorization_grant(self, request: Any) -> Any:
        self.need_plugins(lambda spec: spec.authorization)
        return super().get_authorization_grant(request)

    def create_endpoint_response(self, name: str, request: Any = None) -> Any:
        self._load_endpoints()
        if name in self._plugin_endpoints:
            self.need_plugins(lambda spec: name in spec.endpoints)
        return super().create_endpoint_response(name, request)

    def validate_endpoint_request(self, name: str, request: Any = None) -> Any:
        self._load_endpoints()
        if name in self._plugin_endpoints:
            self.need_plugins(lambda spec: name in spec.endpoints)
        return super().validate_endpoint_request(name, request)

    # -- Authlib's framework seam, on agentctl.idp.web (no Flask) --------------------------------

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return _OAuth2Request(request if isinstance(request, web.Request) else web.current())

    def create_json_request(self, request: Any) -> JsonRequest:
        return _JsonRequest(request if isinstance(request, web.Request) else web.current())

    def handle_response(self, status: int, body: Any, headers: Any) -> web.Response:
        if isinstance(body, dict):
            return web.json_response(body, status, headers or ())
        return web.Response(body or b"", status, headers or ())

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None  # nothing here listens to Authlib's signals

    @property
    def cfg(self) -> IssuerConfig:
        cfg = web.cached(f"issuer:{self.name}", lambda: self.ctx.issuer(self.name))
        if cfg is None:
            raise UnknownIssuer(self.name)
        return cfg  # type: ignore[no-any-return]

    @property
    def url(self) -> str:
        return self.ctx.issuer_url(self.name)

    def query_client(self, client_id: str) -> Client | None:
        if not isinstance(client_id, str):
            return None
        return web.cached(  # type: ignore[no-any-return]
            f"client:{self.name}:{client_id}",
            lambda: records.get_client(self.ctx.store, self.name, client_id),
        )

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        # Tokens are recorded when minted (agentctl.idp.tokens.mint), with their audit line.
        return None


class _PrivateKeyJWT:
    """RFC 7523 client authentication, imported on the first private_key_jwt request."""

    def __init__(self, server: IssuerServer) -> None:
        self.server = server
        self._impl: Any = None

    def __call__(self, query_client: Any, request: Any) -> Any:
        if self._impl is None:
            from agentctl.idp.jwt_grants import PrivateKeyJWTAuth

            self._impl = PrivateKeyJWTAuth(self.server)
        return self._impl(query_client, request)


@lru_cache(maxsize=256)  # the Host header is the client's: bounded
def _secure_origin(origin: str) -> bool:
    from authlib.common.security import is_secure_transport

    return bool(is_secure_transport(origin + "/"))


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, request: web.Request) -> None:
        self._values = request.values
        self._datalist: defaultdict[str, list[str]] | None = None

    @property
    def data(self) -> web.MultiDict:
        return self._values

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        if self._datalist is None:
            self._datalist = defaultdict(list)
            for key, values in self._values.lists().items():
                self._datalist[key].extend(values)
        return self._datalist


class _OAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: web.Request) -> None:
        # Authlib's own __init__, minus its URL parse on every request: whether an origin is a
        # secure transport (https, or http to loopback) is remembered per origin. A test keeps
        # the attributes in step with Authlib's.
        if not (os.environ.get("AUTHLIB_INSECURE_TRANSPORT") or _secure_origin(request.host_url)):
            raise InsecureTransportError()
        self.method = request.method
        self.uri = request.url
        self.headers = request.headers
        self._body = None
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self._request = request
        self.payload = _Payload(request)

    @property
    def args(self) -> web.MultiDict:
        return self._request.args

    @property
    def form(self) -> web.MultiDict:
        return self._request.form


class _JsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, request: web.Request) -> None:
        self._request = request

    @property
    def data(self) -> Any:
        return self._request.get_json()


class _JsonRequest(JsonRequest):  # type: ignore[misc]
    def __init__(self, request: web.Request) -> None:
        super().__init__(request.method, request.url, request.headers)
        self.payload = _JsonPayload(request)


__all__ = [
    "PLUGINS",
    "IdpPlugin",
    "IssuerServer",
    "OnDemandPlugin",
    "PluginSpec",
    "UnknownIssuer",
    "default_plugins",
]
