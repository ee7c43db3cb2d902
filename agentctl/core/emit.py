"""Token injection formats for `agentctl exchange --emit`: pure text, no I/O.

Each format writes the raw token (that is what the user asked for): `header` an RFC 6750 §2.1
`Authorization` line, `env` a POSIX shell export, `curl` a curl command for the target URL,
`playwright` a browser-context options document (`browser.newContext(options)` /
`--load-storage`-style JSON) whose `extraHTTPHeaders` carry the bearer token.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from typing import Any, Final

FORMATS: Final = ("header", "env", "curl", "playwright")
ENV_VAR: Final = "AGENTCTL_TOKEN"
BEARER: Final = "Bearer"
PLACEHOLDER_URL: Final = "https://resource.example/"  # when the token names no URL audience


def bearer(token: str, token_type: str = BEARER) -> str:
    # RFC 6750 §2.1 spells the scheme "Bearer"; a DPoP-bound token would need a proof, which a
    # static header cannot carry, so only the scheme word follows the token type.
    scheme = "DPoP" if token_type.lower() == "dpop" else "Bearer"
    return f"{scheme} {token}"


def header_line(token: str, token_type: str = BEARER) -> str:
    return f"Authorization: {bearer(token, token_type)}"


def env_line(token: str, var: str = ENV_VAR) -> str:
    if not var.replace("_", "").isalnum() or var[0].isdigit():
        raise ValueError(f"not a shell variable name: {var!r}")
    return f"export {var}={shlex.quote(token)}"


def target_url(candidates: Iterable[str]) -> str | None:
    """The first http(s) URL among the audiences/resources, else None."""
    for value in candidates:
        if value.startswith(("https://", "http://")):
            return value
    return None


def curl_command(token: str, url: str | None, token_type: str = BEARER) -> str:
    return (
        f"curl -sS -H {shlex.quote(header_line(token, token_type))} "
        f"{shlex.quote(url or PLACEHOLDER_URL)}"
    )


def playwright_context(token: str, url: str | None, token_type: str = BEARER) -> dict[str, Any]:
    """Options for Playwright's `browser.new_context(**options)`: every request the context
    makes carries the header. `storageState` is empty (no cookies) so the file also loads as a
    storage state."""
    options: dict[str, Any] = {
        "extraHTTPHeaders": {"Authorization": bearer(token, token_type)},
        "storageState": {"cookies": [], "origins": []},
    }
    if url:
        options["baseURL"] = url
    return options


def render(fmt: str, token: str, *, url: str | None = None, token_type: str = BEARER) -> str:
    """The text of `fmt` for `token`, ending with a newline."""
    if fmt == "header":
        return header_line(token, token_type) + "\n"
    if fmt == "env":
        return env_line(token) + "\n"
    if fmt == "curl":
        return curl_command(token, url, token_type) + "\n"
    if fmt == "playwright":
        return json.dumps(playwright_context(token, url, token_type), indent=2) + "\n"
    raise ValueError(f"unknown emit format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = [
    "ENV_VAR",
    "FORMATS",
    "PLACEHOLDER_URL",
    "bearer",
    "curl_command",
    "env_line",
    "header_line",
    "playwright_context",
    "render",
    "target_url",
]
