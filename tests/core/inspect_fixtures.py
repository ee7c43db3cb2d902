"""Tokens for the inspect tests: the shipped examples, and hand-made ones."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from agentctl.core.tokens import ParsedToken, parse
from agentctl.services.inspect import EXAMPLES_DIR

MINT = 1_793_523_600  # the examples' mint time (bench/make_examples.py)
NOW = datetime.fromtimestamp(MINT + 60, tz=UTC)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(
    payload: dict[str, Any], header: dict[str, Any] | None = None, signature: bytes = b"sig"
) -> str:
    head = {"alg": "RS256", "typ": "JWT"} if header is None else header
    return ".".join(
        [b64(json.dumps(head).encode()), b64(json.dumps(payload).encode()), b64(signature)]
    )


def example(name: str) -> str:
    return (EXAMPLES_DIR / f"{name}.jwt").read_text().strip()


def parsed_example(name: str) -> ParsedToken:
    return parse(example(name))


def claims(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "https://idp.example.com",
        "sub": "alice",
        "aud": "https://api.example.com",
        "iat": MINT,
        "exp": MINT + 3600,
        "client_id": "cli",
        "scope": "a b",
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


# The `inspect --json` data fields the issue requires (explain's part; the CLI adds
# `verification`).
EXPLAIN_FIELDS = {
    "kind",
    "dialect",
    "mode",
    "mode_evidence",
    "subject",
    "actor",
    "prior_actors",
    "client_id",
    "tenant",
    "audience",
    "scopes",
    "roles",
    "times",
    "audit",
    "findings",
    "claims",
    "header",
}
