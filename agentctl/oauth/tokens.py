"""A token endpoint's answer (RFC 6749 §5.1, RFC 8693 §2.2.1) as a typed value.

Raw tokens are kept (the caller may need to present them) but never shown by `repr` or
`to_dict()` unless asked: `to_dict(show_tokens=False)` gives fingerprints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agentctl.core.redact import fingerprint, redact_mapping
from agentctl.errors import ProviderError

_KNOWN = frozenset(
    {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "id_token",
        "scope",
        "issued_token_type",
    }
)


@dataclass(frozen=True)
class TokenSet:
    """A token endpoint's successful response (RFC 6749 §5.1, RFC 8693 §2.2.1); the tokens never
    repr."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None = None
    scope: str | None = None
    issued_token_type: str | None = None  # RFC 8693: key off this, not token_type (§11.3)
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)  # other members, verbatim
    grant_type: str | None = None  # which grant produced it (set by the client)
    endpoint: str | None = None

    @classmethod
    def from_response(
        cls, data: Mapping[str, Any], *, grant_type: str | None = None, endpoint: str | None = None
    ) -> TokenSet:
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderError(
                f"the token response from {endpoint or 'the IdP'} has no access_token",
                hint="the IdP answered 200 without a token; check its logs or configuration",
            )
        expires = data.get("expires_in")
        if isinstance(expires, str) and expires.isdigit():
            expires = int(expires)  # some servers send it as a string
        return cls(
            access_token=token,
            token_type=str(data.get("token_type") or ""),
            expires_in=expires if isinstance(expires, int) else None,
            scope=_opt_str(data.get("scope")),
            issued_token_type=_opt_str(data.get("issued_token_type")),
            refresh_token=_opt_str(data.get("refresh_token")),
            id_token=_opt_str(data.get("id_token")),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
            grant_type=grant_type,
            endpoint=endpoint,
        )

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.scope.split()) if self.scope else ()

    def to_dict(self, *, show_tokens: bool = False) -> dict[str, Any]:
        def shown(value: str | None) -> str | None:
            if value is None:
                return None
            return value if show_tokens else fingerprint(value)

        return {
            "access_token": shown(self.access_token),
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "issued_token_type": self.issued_token_type,
            "refresh_token": shown(self.refresh_token),
            "id_token": shown(self.id_token),
            "grant_type": self.grant_type,
            "endpoint": self.endpoint,
            "extra": redact_mapping(self.extra),
        }


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


__all__ = ["TokenSet"]
