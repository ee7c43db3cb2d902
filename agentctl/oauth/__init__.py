"""The OAuth/OIDC protocol client on httpx: discovery, JWKS, token endpoint, registration."""

from __future__ import annotations
