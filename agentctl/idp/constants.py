# ruff: noqa: S105 - token-type URNs and JOSE typ values, not secrets
"""Protocol constants (URNs, JOSE `typ` values) and the embedded IdP's defaults."""

from __future__ import annotations

from typing import Final

from agentctl.core.chain import MAX_CHAIN_DEPTH

# RFC 8693 / RFC 7523 / ID-JAG identifiers.
GRANT_TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_JWT_BEARER: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"
GRANT_DEVICE_CODE: Final = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT_ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

TT_ACCESS_TOKEN: Final = "urn:ietf:params:oauth:token-type:access_token"
TT_REFRESH_TOKEN: Final = "urn:ietf:params:oauth:token-type:refresh_token"
TT_ID_TOKEN: Final = "urn:ietf:params:oauth:token-type:id_token"
TT_JWT: Final = "urn:ietf:params:oauth:token-type:jwt"
TT_ID_JAG: Final = "urn:ietf:params:oauth:token-type:id-jag"
GRANT_PROFILE_ID_JAG: Final = "urn:ietf:params:oauth:grant-profile:id-jag"

# JOSE `typ` header values (RFC 8725 §3.11 explicit typing keeps the kinds apart).
TYP_ACCESS_TOKEN: Final = "at+jwt"
TYP_ID_TOKEN: Final = "JWT"
TYP_ID_JAG: Final = "oauth-id-jag+jwt"

TOKEN_TYPE_BEARER: Final = "Bearer"
TOKEN_TYPE_NA: Final = "N_A"  # RFC 8693 §2.2.1: the issued token is not an access token

# Token kinds as recorded in the `tokens` table.
KIND_ACCESS: Final = "access_token"
KIND_ID: Final = "id_token"
KIND_ID_JAG: Final = "id_jag"
KIND_JWT: Final = "jwt"

# `sub_profile` values (draft-mcguinness-oauth-actor-profile).
PROFILE_AGENT: Final = "ai_agent"
PROFILE_USER: Final = "user"
PROFILE_SERVICE: Final = "service"

AUTH_METHODS: Final = ("client_secret_basic", "client_secret_post", "private_key_jwt")
SECRET_METHODS: Final = frozenset({"client_secret_basic", "client_secret_post"})
SIGNING_ALGS: Final = ("ES256", "RS256")

# Defaults. The in-process IdP and `agentctl idp serve` share this base URL, so tokens minted
# by one verify against the other's metadata.
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8400
DEFAULT_BASE_URL: Final = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
ISSUER_PREFIX: Final = "/i/"
DEFAULT_IDP_ISSUER: Final = "enterprise"
DEFAULT_RESOURCE_ISSUER: Final = "mcp-as"
DEFAULT_SCOPES: Final = ("openid", "profile", "email", "read", "write")
DEFAULT_MAX_CHAIN_DEPTH: Final = MAX_CHAIN_DEPTH  # inspect --verify holds tokens to the same
DEFAULT_ACCESS_TTL: Final = 900
DEFAULT_ID_TOKEN_TTL: Final = 3600
DEFAULT_ID_JAG_TTL: Final = 300
CLOCK_LEEWAY: Final = 5
DB_FILENAME: Final = "idp.sqlite3"
