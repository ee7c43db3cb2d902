"""The one exception tree. Each class carries its exit code and a stable `code` string.

    AgentctlError
    ├── UsageError            bad command line or input           exit 2
    │   └── InputError        unreadable input (token, file, answers)
    ├── ConfigError           configuration / profile problem     exit 3
    │   └── SecretError       secret missing or store unusable
    ├── VerificationError     signature or claims do not verify   exit 4
    ├── CheckFailedError      token shape differs from the mode    exit 5
    ├── ProviderError         the IdP refused                     exit 6
    │   └── OAuthError        RFC 6749 §5.2 error response
    ├── NetworkError          could not talk to the IdP           exit 7
    └── UnsupportedError      the IdP does not offer it           exit 8

`agentctl.cli.app` is the only place that turns these into output and an exit code.
"""

from __future__ import annotations

from typing import Any, ClassVar

from agentctl.exit_codes import ExitCode


class AgentctlError(Exception):
    exit_code: ClassVar[ExitCode] = ExitCode.ERROR
    code: ClassVar[str] = "error"

    def __init__(
        self, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or {}

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            item["hint"] = self.hint
        if self.details:
            item["details"] = self.details
        return item


class UsageError(AgentctlError):
    exit_code = ExitCode.USAGE
    code = "usage"


class InputError(UsageError):
    code = "bad_input"


class ConfigError(AgentctlError):
    exit_code = ExitCode.CONFIG
    code = "config"


class SecretError(ConfigError):
    code = "secret"


class VerificationError(AgentctlError):
    exit_code = ExitCode.VERIFY
    code = "verification_failed"


class CheckFailedError(AgentctlError):
    exit_code = ExitCode.CHECK
    code = "check_failed"


class ProviderError(AgentctlError):
    exit_code = ExitCode.IDP
    code = "idp_error"


class OAuthError(ProviderError):
    """An RFC 6749 §5.2 error response; `error` is kept verbatim."""

    code = "oauth_error"

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        status: int | None = None,
        hint: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        text = f"the IdP answered {error}"
        if description:
            text += f": {description}"
        super().__init__(
            text,
            hint=hint,
            details={
                k: v
                for k, v in {
                    "error": error,
                    "error_description": description,
                    "status": status,
                    "endpoint": endpoint,
                }.items()
                if v is not None
            },
        )
        self.error = error
        self.description = description
        self.status = status


class NetworkError(AgentctlError):
    exit_code = ExitCode.NETWORK
    code = "network"


class UnsupportedError(AgentctlError):
    exit_code = ExitCode.UNSUPPORTED
    code = "unsupported"


class Interrupted(AgentctlError):
    exit_code = ExitCode.INTERRUPTED
    code = "interrupted"


__all__ = [
    "AgentctlError",
    "CheckFailedError",
    "ConfigError",
    "InputError",
    "Interrupted",
    "NetworkError",
    "OAuthError",
    "ProviderError",
    "SecretError",
    "UnsupportedError",
    "UsageError",
    "VerificationError",
]
