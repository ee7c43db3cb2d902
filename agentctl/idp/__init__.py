"""The embedded IdP: a real OAuth 2.0 / OIDC authorization server built on Authlib."""

from __future__ import annotations
