from __future__ import annotations

import json
import shlex
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.core import emit

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"


def test_header_line_is_an_rfc6750_authorization_header() -> None:
    assert emit.render("header", TOKEN) == f"Authorization: Bearer {TOKEN}\n"


def test_dpop_tokens_keep_their_scheme() -> None:
    assert emit.header_line(TOKEN, "DPoP") == f"Authorization: DPoP {TOKEN}"


def test_env_line_round_trips_through_a_real_shell() -> None:
    line = emit.render("env", TOKEN)
    out = subprocess.run(
        ["sh", "-c", f'{line}printf %s "$AGENTCTL_TOKEN"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == TOKEN


@settings(max_examples=100)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")))
def test_env_line_quotes_anything_safely(value: str) -> None:
    # A hostile "token" must not break out of the quoting: shlex reads back exactly one word.
    line = emit.env_line(value)
    words = shlex.split(line)
    assert words == ["export", f"AGENTCTL_TOKEN={value}"]


def test_env_rejects_a_bad_variable_name() -> None:
    with pytest.raises(ValueError, match="variable"):
        emit.env_line(TOKEN, "1; rm -rf")


def test_curl_command_targets_the_audience_url() -> None:
    line = emit.render("curl", TOKEN, url="https://api.example/v1")
    assert shlex.split(line) == [
        "curl",
        "-sS",
        "-H",
        f"Authorization: Bearer {TOKEN}",
        "https://api.example/v1",
    ]


def test_curl_without_a_url_uses_an_obvious_placeholder() -> None:
    assert shlex.split(emit.render("curl", TOKEN))[-1] == emit.PLACEHOLDER_URL


def test_playwright_context_carries_the_header_and_an_empty_storage_state() -> None:
    doc = json.loads(emit.render("playwright", TOKEN, url="http://127.0.0.1:8400/i/x/resource"))
    assert doc["extraHTTPHeaders"] == {"Authorization": f"Bearer {TOKEN}"}
    assert doc["storageState"] == {"cookies": [], "origins": []}
    assert doc["baseURL"] == "http://127.0.0.1:8400/i/x/resource"


def test_target_url_picks_the_first_http_url() -> None:
    assert emit.target_url(["api://x", "https://a.example", "https://b.example"]) == (
        "https://a.example"
    )
    assert emit.target_url(["urn:x", "billing"]) is None


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown emit format"):
        emit.render("cookie", TOKEN)
