"""The resource's view of a token (RFC 9728): issuer among its authorization servers, audience
its identifier."""

from __future__ import annotations

from agentctl.core.checks import check_resource_view

AS = "https://as.example/i/mcp-as"
MCP = "https://mcp.example/mcp"


def _ok(payload: dict[str, object]) -> list[bool]:
    return [c.ok for c in check_resource_view(payload, resource=MCP, authorization_servers=[AS])]


def test_a_token_from_the_named_as_for_the_resource_passes() -> None:
    assert _ok({"iss": AS, "aud": MCP}) == [True, True]
    assert _ok({"iss": AS + "/", "aud": [MCP + "/", "other"]}) == [True, True]


def test_another_issuer_fails_and_the_check_names_the_as_to_use() -> None:
    checks = check_resource_view(
        {"iss": "https://idp.example/i/enterprise", "aud": MCP},
        resource=MCP,
        authorization_servers=[AS],
    )
    assert [c.ok for c in checks] == [False, True]
    assert checks[0].expected == AS


def test_another_audience_or_none_fails() -> None:
    assert _ok({"iss": AS, "aud": "https://mcp.example/other"}) == [True, False]
    assert _ok({"iss": AS}) == [True, False]
    assert _ok({"aud": MCP}) == [False, True]
