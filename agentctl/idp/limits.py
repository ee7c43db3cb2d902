"""What every request to the served IdP is screened for before an endpoint sees it.

- Credentials over plain http: refused unless the server listens on loopback only (the token
  endpoint did this through Authlib already; now registration, sign-in, device, introspection
  and the demo resource do too). `idp serve --certfile/--keyfile` serves https.
- Body size: `MAX_BODY` (Flask refuses larger bodies with 413 as it reads them).
- Basic credentials that are not base64 of UTF-8 (RFC 7617 §2.1; RFC 6749 §2.3.1 form-encodes
  the parts first): 401 invalid_client, not an exception deep in the client authentication.
- JSON nested deeper than `MAX_JSON_DEPTH`: 400 before a parser recurses into it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from agentctl.core.tokens import json_depth

MAX_BODY = 64 * 1024
MAX_FORM_PARTS = 100
# Below agentctl.core.tokens.MAX_JSON_DEPTH (32), which json_depth counts exactly up to.
MAX_JSON_DEPTH = 16

Refusal = tuple[int, str, str]


def screen(request: Any, *, loopback_only: bool) -> Refusal | None:
    if (
        not loopback_only
        and request.scheme != "https"
        and (request.method not in ("GET", "HEAD") or "Authorization" in request.headers)
    ):
        return (
            400,
            "insecure_transport",
            "this IdP listens beyond loopback: credentials are accepted over https only "
            "(idp serve --certfile/--keyfile)",
        )
    refusal = _check_basic(request.headers.get("Authorization", ""))
    if refusal is not None:
        return refusal
    if request.is_json and request.content_length:
        if request.content_length > MAX_BODY:
            return 413, "invalid_request", f"the body is larger than {MAX_BODY} bytes"
        # UTF-8 never puts an ASCII byte inside a multi-byte character: decoding keeps every
        # bracket, quote and backslash where it was.
        body = request.get_data(cache=True).decode("utf-8", "replace")
        if json_depth(body) > MAX_JSON_DEPTH:
            return 400, "invalid_request", f"the JSON is nested deeper than {MAX_JSON_DEPTH}"
    return None


def _check_basic(header: str) -> Refusal | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return (
            401,
            "invalid_client",
            "the Basic credentials must be base64 of UTF-8 'client_id:client_secret'",
        )
    if ":" not in decoded:
        return 401, "invalid_client", "the Basic credentials need 'client_id:client_secret'"
    return None


__all__ = ["MAX_BODY", "MAX_FORM_PARTS", "MAX_JSON_DEPTH", "screen"]
