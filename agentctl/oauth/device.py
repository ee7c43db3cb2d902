"""RFC 8628 device authorization: start, then poll the token endpoint until the user decides.

Polling honours `interval` (default 5 s, §3.2), adds 5 s on `slow_down` (§3.5), keeps waiting on
`authorization_pending`, and stops on `expired_token`, `access_denied` or the code's lifetime.
Sleeping and the clock are injected so tests run in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentctl.errors import OAuthError, ProviderError
from agentctl.oauth.client import GRANT_DEVICE_CODE, post_form, token_request
from agentctl.oauth.client_auth import ClientAuth, Form
from agentctl.oauth.tokens import TokenSet
from agentctl.oauth.transport import json_body

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient

DEFAULT_INTERVAL = 5
SLOW_DOWN_STEP = 5


@dataclass(frozen=True)
class DeviceAuthorization:
    """RFC 8628 §3.2 response: show `user_code` and `verification_uri` to the user."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int

    @classmethod
    def from_response(cls, data: dict[str, Any], endpoint: str) -> DeviceAuthorization:
        missing = [
            k
            for k in ("device_code", "user_code", "verification_uri", "expires_in")
            if k not in data
        ]
        if missing:
            raise ProviderError(
                f"the device authorization response from {endpoint} lacks {', '.join(missing)} "
                "(RFC 8628 §3.2)"
            )
        interval = data.get("interval", DEFAULT_INTERVAL)
        complete = data.get("verification_uri_complete")
        return cls(
            device_code=str(data["device_code"]),
            user_code=str(data["user_code"]),
            verification_uri=str(data["verification_uri"]),
            verification_uri_complete=complete if isinstance(complete, str) else None,
            expires_in=int(data["expires_in"]),
            interval=int(interval) if isinstance(interval, int) else DEFAULT_INTERVAL,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_code": self.user_code,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": self.verification_uri_complete,
            "expires_in": self.expires_in,
            "interval": self.interval,
        }


def start_device_authorization(
    http: HttpClient,
    endpoint: str,
    auth: ClientAuth,
    *,
    scope: str | None = None,
    resource: tuple[str, ...] = (),
) -> DeviceAuthorization:
    """RFC 8628 §3.1."""
    form: Form = [("resource", r) for r in resource]
    if scope:
        form.append(("scope", scope))
    response = post_form(http, endpoint, form, auth)
    return DeviceAuthorization.from_response(
        json_body(response, "device authorization response"), endpoint
    )


def poll_device_token(
    http: HttpClient,
    token_endpoint: str,
    auth: ClientAuth,
    authorization: DeviceAuthorization,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_wait: Callable[[str, int], None] | None = None,
) -> TokenSet:
    """RFC 8628 §3.4–3.5: poll until a token, a refusal or expiry. `on_wait(error, interval)`
    is told about each pending/slow_down answer (for a progress line)."""
    interval = max(authorization.interval, 1)
    deadline = clock() + authorization.expires_in
    form: Form = [("grant_type", GRANT_DEVICE_CODE), ("device_code", authorization.device_code)]
    while True:
        if clock() >= deadline:
            raise _expired(token_endpoint)
        sleep(interval)
        try:
            return token_request(http, token_endpoint, form, auth)
        except OAuthError as exc:
            if exc.error == "authorization_pending":
                pass
            elif exc.error == "slow_down":
                interval += SLOW_DOWN_STEP
            elif exc.error == "expired_token":
                raise _expired(token_endpoint) from None
            elif exc.error == "access_denied":
                exc.hint = "the user declined the request; start again if that was a mistake"
                raise
            else:
                raise
            if on_wait is not None:
                on_wait(exc.error, interval)


def _expired(endpoint: str) -> OAuthError:
    return OAuthError(
        "expired_token",
        "the device code expired before the user finished signing in",
        hint="start again and complete the sign-in within the time shown",
        endpoint=endpoint,
    )


__all__ = [
    "DEFAULT_INTERVAL",
    "SLOW_DOWN_STEP",
    "DeviceAuthorization",
    "poll_device_token",
    "start_device_authorization",
]
