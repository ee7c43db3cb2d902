"""The OAuth/OIDC protocol client on httpx: discovery, JWKS, token endpoint, registration."""
