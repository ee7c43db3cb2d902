from __future__ import annotations

from agentctl.core.checks import (
    all_ok,
    check_agent,
    check_id_jag,
    check_obo,
    check_user,
    scopes,
)

USER = {"sub": "alice", "scope": "read write", "exp": 2000, "aud": "api"}


def test_agent_token_shape() -> None:
    assert all_ok(check_agent({"sub": "bot-7"}, agent_ids={"bot-7"}))
    bad = check_agent({"sub": "alice", "act": {"sub": "bot-7"}}, agent_ids={"bot-7"})
    assert [c.ok for c in bad] == [False, False]


def test_user_token_shape_and_audience() -> None:
    assert all_ok(check_user({"sub": "alice", "aud": ["api"]}, user_ids={"alice"}, audience="api"))
    failed = check_user({"sub": "alice", "aud": "other"}, user_ids={"alice"}, audience="api")
    assert [c.name for c in failed if not c.ok] == ["audience is the target"]


def test_obo_promises() -> None:
    good = {"sub": "alice", "act": {"sub": "bot-7"}, "aud": "api", "scope": "read", "exp": 1500}
    checks = check_obo(
        good, user_ids={"alice"}, agent_ids={"bot-7"}, audience="api", subject_payload=USER
    )
    assert all_ok(checks)
    wide = dict(good, scope="read admin", exp=2500)
    failed = {
        c.name
        for c in check_obo(
            wide, user_ids={"alice"}, agent_ids={"bot-7"}, audience="api", subject_payload=USER
        )
        if not c.ok
    }
    assert failed == {"scopes did not widen", "lifetime within the subject token's"}
    no_act = {
        c.name
        for c in check_obo(
            {"sub": "alice", "exp": 1, "scope": "read"},
            user_ids={"alice"},
            agent_ids={"bot-7"},
            audience=None,
            subject_payload=USER,
        )
        if not c.ok
    }
    assert no_act == {"act.sub is the agent"}


def test_an_obo_token_with_no_scope_fails_a_check() -> None:
    """Issue 11: a device-code OBO token with no scopes passed every check."""
    bare = {"sub": "alice", "act": {"sub": "bot-7"}, "aud": "api", "exp": 1500}
    failed = [
        c
        for c in check_obo(
            bare, user_ids={"alice"}, agent_ids={"bot-7"}, audience="api", subject_payload=USER
        )
        if not c.ok
    ]
    assert [(c.name, c.actual) for c in failed] == [("a scope is granted", "(none)")]


def test_id_jag_checks() -> None:
    payload = {
        "iss": "i",
        "sub": "u",
        "aud": "https://as",
        "client_id": "c",
        "jti": "j",
        "exp": 2,
        "iat": 1,
        "resource": "https://mcp",
    }
    header = {"typ": "oauth-id-jag+jwt"}
    assert all_ok(
        check_id_jag(
            header, payload, resource_issuer="https://as", client_id="c", resource="https://mcp"
        )
    )
    failed = {
        c.name
        for c in check_id_jag(
            {"typ": "JWT"},
            dict(payload, aud=["https://as", "x"]),
            resource_issuer="https://as",
            client_id="d",
            resource="https://mcp",
        )
        if not c.ok
    }
    assert failed == {
        "typ is oauth-id-jag+jwt",
        "aud is the resource authorization server",
        "client_id is the client at the resource AS",
    }


def test_scopes_from_scope_or_scp() -> None:
    assert scopes({"scope": "a b"}) == ["a", "b"]
    assert scopes({"scp": ["a", "b"]}) == ["a", "b"]
    assert scopes({"scp": "a"}) == ["a"]
    assert scopes({}) == []
