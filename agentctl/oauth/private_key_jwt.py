"""`private_key_jwt` client authentication (RFC 7523 §2.2, OIDC Core §9): a signed assertion
with `iss` = `sub` = client_id, `aud` = the token endpoint or the issuer (rfc7523bis prefers the
issuer; servers differ, so it is configurable), a fresh `jti`, `iat`, and a short `exp`.

Its own module, loaded by `client_auth.make_client_auth` for a client that uses it: a command
whose client authenticates with a secret does not pay for it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from agentctl.oauth.client_auth import ASSERTION_TYPE, Form


@dataclass(frozen=True)
class PrivateKeyJwt:
    client_id: str
    private_key_pem: str = field(repr=False)
    kid: str | None = None
    alg: str = "RS256"
    # None: the URL of the endpoint being called (the token endpoint for token requests).
    audience: str | None = None
    lifetime: int = 60  # seconds; RFC 7523 wants a short exp (Okta caps at 1 h)
    typ: str | None = None  # rfc7523bis: "client-authentication+jwt" for servers that want it
    now: Callable[[], float] = field(default=time.time, repr=False, compare=False)
    method: str = "private_key_jwt"

    def assertion(self, *, endpoint: str) -> str:
        import jwt

        issued = int(self.now())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.audience or endpoint,
            "jti": str(uuid.uuid4()),
            "iat": issued,
            "exp": issued + self.lifetime,
        }
        headers: dict[str, str] = {}
        if self.kid:
            headers["kid"] = self.kid
        if self.typ:
            headers["typ"] = self.typ
        from agentctl.oauth.keys import load_private_key

        key = load_private_key(self.private_key_pem)
        return jwt.encode(claims, key, algorithm=self.alg, headers=headers or None)

    def apply(self, form: Form, headers: dict[str, str], *, endpoint: str) -> None:
        form += [
            ("client_id", self.client_id),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", self.assertion(endpoint=endpoint)),
        ]


__all__ = ["PrivateKeyJwt"]
