"""RFC 8414 authorization server metadata (also served as OIDC discovery).

Endpoints of issuer `<base>/i/<name>`: `token`, `jwks.json`, `register` (RFC 7591) and
`register/<client_id>` (RFC 7592), `introspect`, `revoke`. The IdP issuer advertises
`identity_chaining_requested_token_types_supported` with the ID-JAG type; a resource AS issuer
advertises `authorization_grant_profiles_supported` with the ID-JAG grant profile. Plugins add
members through `IdpPlugin.metadata`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentctl.idp import constants as c

if TYPE_CHECKING:
    from agentctl.idp.server import IssuerServer


def endpoint(server: IssuerServer, path: str) -> str:
    return f"{server.url}/{path}"


def authorization_server_metadata(server: IssuerServer) -> dict[str, Any]:
    cfg = server.cfg
    auth_methods = list(c.AUTH_METHODS)
    algs = list(c.SIGNING_ALGS)
    data: dict[str, Any] = {
        "issuer": server.url,
        "token_endpoint": endpoint(server, "token"),
        "jwks_uri": endpoint(server, "jwks.json"),
        "registration_endpoint": endpoint(server, "register"),
        "introspection_endpoint": endpoint(server, "introspect"),
        "revocation_endpoint": endpoint(server, "revoke"),
        "scopes_supported": list(cfg.scopes),
        # RFC 8414 requires the member; this server has no authorization endpoint, and the
        # OIDC "none" response type is the one that issues nothing from it.
        "response_types_supported": ["none"],
        "grant_types_supported": [
            c.GRANT_CLIENT_CREDENTIALS,
            c.GRANT_TOKEN_EXCHANGE,
            c.GRANT_JWT_BEARER,
        ],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": algs,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": algs,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "email",
            "name",
            "act",
            "may_act",
            "sub_profile",
            "client_id",
            "scope",
        ],
        "agentctl_max_delegation_depth": cfg.max_chain_depth,
    }
    if cfg.kind == "idp":
        data["identity_chaining_requested_token_types_supported"] = [c.TT_ID_JAG]
    if cfg.kind == "resource":
        data["authorization_grant_profiles_supported"] = [c.GRANT_PROFILE_ID_JAG]
    for plugin in server.plugins:
        for key, value in plugin.metadata(server).items():
            # A list member (e.g. grant_types_supported) is extended, not replaced.
            if isinstance(value, list) and isinstance(data.get(key), list):
                data[key] = list(dict.fromkeys([*data[key], *value]))
            else:
                data[key] = value
    return data


__all__ = ["authorization_server_metadata", "endpoint"]
