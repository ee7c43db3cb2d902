"""A resource authorization server that agentctl does not own: built on Authlib's own ID-JAG
redemption grant (`authlib.oauth2.drafts.IDJAGGrant`) and RFC 9068 JWT access tokens, the way
a third party would write one — nothing of agentctl's code. Plus the API it protects, with
RFC 9728 metadata naming this AS.

    python -m tests.peers.idjag_as --port 9400 --idp-issuer http://127.0.0.1:8400/i/enterprise \
        --client-id ext-agent --client-secret-env IDJAG_AS_SECRET

    issuer                 http://127.0.0.1:PORT
    /.well-known/oauth-authorization-server    RFC 8414 metadata
    /token                 jwt-bearer with an ID-JAG (client_secret_basic or _post)
    /jwks.json             its signing key
    /api                   the protected API (Bearer; aud must be http://127.0.0.1:PORT/api)
    /.well-known/oauth-protected-resource/api  RFC 9728 metadata

Its one client is given on the command line (the secret through an environment variable);
it trusts one IdP issuer, whose keys it reads from that IdP's own metadata.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any, ClassVar

import httpx
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.drafts import IDJAGGrant
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, client_id: str, secret: str) -> None:
        self.client_id, self.secret = client_id, secret

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(client_secret) and client_secret == self.secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == JWT_BEARER


class User:
    def __init__(self, sub: str) -> None:
        self.sub = sub

    def get_user_id(self) -> str:
        return self.sub


def build(port: int, idp_issuer: str, client: Client) -> Flask:
    issuer = f"http://127.0.0.1:{port}"
    api = f"{issuer}/api"
    key = ECKey.generate_key("P-256", parameters={"kid": "as-1", "alg": "ES256"}, private=True)
    app = Flask("idjag-as")
    server = AuthorizationServer(
        app,
        query_client=lambda cid: client if cid == client.client_id else None,
        save_token=lambda token, request: None,
    )
    seen_jti: set[str] = set()
    idp_keys: dict[str, Any] = {}

    class Tokens(JWTBearerTokenGenerator):  # type: ignore[misc]
        def get_jwks(self) -> dict[str, Any]:
            return {"keys": [key.as_dict(private=True)]}

        def get_audiences(self, client: Any, user: Any, scope: Any) -> str:
            return api

    class Redeem(IDJAGGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = [
            "client_secret_basic",
            "client_secret_post",
        ]

        def get_audiences(self) -> list[str]:
            return [issuer]

        def resolve_issuer_key(self, iss: str, headers: Any) -> KeySet:
            if iss != idp_issuer:
                from authlib.oauth2.rfc6749 import InvalidGrantError

                raise InvalidGrantError(description="untrusted ID-JAG issuer")
            if "keys" not in idp_keys or time.monotonic() - idp_keys["at"] > 30:
                base, _, path = idp_issuer.partition("/i/")
                meta = httpx.get(f"{base}/.well-known/oauth-authorization-server/i/{path}").json()
                idp_keys["keys"] = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
                idp_keys["at"] = time.monotonic()
            keys: KeySet = idp_keys["keys"]
            return keys

        def authenticate_user(self, subject: str) -> User:
            return User(subject)

        def check_jti(self, claims: Any, jti: str) -> bool:
            if jti in seen_jti:
                return False
            seen_jti.add(jti)
            return True

        def check_id_jag_permission(self, client: Any, user: Any, scopes: list[str]) -> bool:
            # The ID-JAG names the API it is for; this AS serves one.
            resource = self.request.id_jag_claims.get("resource")
            return resource in (None, api) or (isinstance(resource, list) and api in resource)

    server.register_token_generator("default", Tokens(issuer, alg="ES256"))
    server.register_grant(Redeem)

    @app.get("/.well-known/oauth-authorization-server")
    def metadata() -> Any:
        return jsonify(
            {
                "issuer": issuer,
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks.json",
                "grant_types_supported": [JWT_BEARER],
                "authorization_grant_profiles_supported": [
                    "urn:ietf:params:oauth:grant-profile:id-jag"
                ],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "response_types_supported": ["code"],
            }
        )

    @app.get("/jwks.json")
    def jwks() -> Any:
        return jsonify({"keys": [key.as_dict(private=False)]})

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.get("/.well-known/oauth-protected-resource/api")
    def resource_metadata() -> Any:
        return jsonify({"resource": api, "authorization_servers": [issuer]})

    @app.get("/api")
    def protected() -> Any:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return jsonify({"error": "unauthorized"}), 401
        try:
            claims = jwt.decode(auth[7:], KeySet([key])).claims
        except (JoseError, ValueError):
            return jsonify({"error": "invalid_token"}), 401
        if claims.get("iss") != issuer or claims.get("aud") != api or claims["exp"] < time.time():
            return jsonify({"error": "invalid_token"}), 401
        return jsonify({"sub": claims.get("sub"), "client_id": claims.get("client_id")})

    return app


def main() -> None:
    from werkzeug.serving import make_server

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idp-issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret-env", required=True)
    args = parser.parse_args()
    client = Client(args.client_id, os.environ[args.client_secret_env])
    make_server("127.0.0.1", args.port, build(args.port, args.idp_issuer, client)).serve_forever()


if __name__ == "__main__":
    main()
