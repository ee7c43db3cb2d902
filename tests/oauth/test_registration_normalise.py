"""RFC 7592 round trips: what a server said, normalised to what RFC 7591 §2 allows (fuzzed)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agentctl.oauth.registration import (
    ARRAY_MEMBERS,
    SERVER_MEMBERS,
    STRING_MEMBERS,
    auth_method_of,
    readback_problems,
    rfc7591_body,
)

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
_keys = st.sampled_from(sorted(STRING_MEMBERS | ARRAY_MEMBERS | SERVER_MEMBERS)) | st.text(
    max_size=10
)


def test_a_listed_auth_method_is_sent_as_the_one_the_client_uses() -> None:
    body, changes = rfc7591_body(
        {
            "client_id": "c",
            "token_endpoint_auth_method": ["client_secret_basic", "private_key_jwt"],
            "registration_access_token": "t",
            "client_secret_expires_at": 0,
            "redirect_uris": "https://x/cb",
            "scope": ["a", "b"],
            "logo_uri": None,
        },
        auth_method="private_key_jwt",
    )
    assert body == {
        "client_id": "c",
        "token_endpoint_auth_method": "private_key_jwt",
        "redirect_uris": ["https://x/cb"],
        "scope": "a b",
    }
    assert len(changes) == 4


@given(st.dictionaries(_keys, _json, max_size=8), st.none() | st.text(max_size=10))
def test_the_body_only_holds_what_rfc7591_allows(md: dict[str, Any], prefer: str | None) -> None:
    body, _ = rfc7591_body(md, auth_method=prefer)
    assert not set(body) & SERVER_MEMBERS
    for key, value in body.items():
        assert value is not None
        if key in STRING_MEMBERS and isinstance(md[key], list):
            assert isinstance(value, str)
        if key in ARRAY_MEMBERS and isinstance(md[key], str):
            assert value == [md[key]]
    method = auth_method_of(md, prefer=prefer)
    assert method is None or isinstance(method, str)
    problems = readback_problems(md, grant="client_credentials", auth_method="client_secret_basic")
    assert all(isinstance(p, str) for p in problems)
