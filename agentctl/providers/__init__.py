"""One module per identity provider, behind the IdentityProvider protocol in base.py."""

from __future__ import annotations
