"""Keep secrets and tokens out of output, logs and traces.

A token or secret is replaced by a short fingerprint (`sha256:` + 12 hex of its digest), so two
traces can still be compared without revealing anything usable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

# Form fields and JSON members whose values are credentials (RFC 6749, 7523, 8693, 8628, 7591).
SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "client_assertion",
        "assertion",
        "subject_token",
        "actor_token",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "password",
        "device_code",
        "code",
        "code_verifier",
        "registration_access_token",
        "secretText",
        "secret",
        "private_key",
        "user_federated_identity_credential",
    }
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "dpop"})

_JWT_LIKE = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}"
)


def fingerprint(value: str) -> str:
    """A stable, non-reversible short name for a secret value."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def redacted(value: str) -> str:
    return f"<redacted {fingerprint(value)}>"


def redact_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `data` with credential members replaced by fingerprints (recursively)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECRET_FIELDS and isinstance(value, str) and value:
            out[key] = redacted(value)
        elif isinstance(value, Mapping):
            out[key] = redact_mapping(value)
        elif isinstance(value, list):
            out[key] = [redact_mapping(v) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in headers.items():
        if key.lower() in SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            out[key] = f"{scheme} {redacted(rest)}" if rest else redacted(value)
        else:
            out[key] = value
    return out


def redact_text(text: str) -> str:
    """Replace anything that looks like a JWT inside free text."""
    return _JWT_LIKE.sub(lambda m: redacted(m.group(0)), text)


__all__ = [
    "SECRET_FIELDS",
    "SECRET_HEADERS",
    "fingerprint",
    "redact_headers",
    "redact_mapping",
    "redact_text",
    "redacted",
]
