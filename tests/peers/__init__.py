"""Independent peers the tests talk to. `oidc-provider/` holds the npm OpenID provider; the
constants below are the clients its server.mjs pre-registers."""

from __future__ import annotations

from pathlib import Path

OIDC_PEER_DIR = Path(__file__).parent / "oidc-provider"

# Confidential client allowed client_credentials for `api:read api:write agents:register`.
PEER_ADMIN_ID = "agentctl-admin"
PEER_ADMIN_SECRET = "agentctl-admin-secret"
# Confidential client with no grants, for calling introspection.
PEER_RS_ID = "resource-server"
PEER_RS_SECRET = "resource-server-secret"
# Public client allowed the RFC 8628 device grant.
PEER_DEVICE_ID = "agentctl-device"
# A resource indicator containing "opaque" gets an opaque (introspectable) access token.
PEER_OPAQUE_RESOURCE = "https://opaque.example.test"
PEER_DEFAULT_AUDIENCE = "https://api.example.test"
