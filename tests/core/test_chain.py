from __future__ import annotations

from agentctl.core.chain import Actor, may_act_allows, parse_chain


def _nested(*subs: str) -> dict[str, object]:
    node: dict[str, object] | None = None
    for sub in reversed(subs):
        node = {"sub": sub, **({"act": node} if node else {})}
    return {"sub": "user", "act": node}


def test_outermost_act_is_the_current_actor_and_deeper_ones_are_history() -> None:
    chain = parse_chain(_nested("svc16", "svc77"))  # RFC 8693 §4.1's example
    assert chain.current is not None
    assert chain.current.id == "svc16"
    assert [a.id for a in chain.prior] == ["svc77"]
    assert chain.depth == 2
    assert not chain.cycle


def test_no_act_means_no_chain() -> None:
    chain = parse_chain({"sub": "user"})
    assert chain.current is None
    assert chain.depth == 0


def test_profile_issuer_and_client_are_read() -> None:
    chain = parse_chain(
        {"act": {"sub": "a", "iss": "https://i", "sub_profile": "ai_agent", "client_id": "c"}}
    )
    assert chain.current == Actor("a", "https://i", "ai_agent", "c", {"client_id": "c"})


def test_cycle_and_malformed_levels_are_reported() -> None:
    assert parse_chain(_nested("a", "b", "a")).cycle
    bad = parse_chain({"act": {"iss": "x", "act": "not-an-object"}})
    assert bad.malformed == ["act at level 1 has no sub", "act at level 2 is not a JSON object"]


def test_time_and_audience_claims_inside_act_are_flagged() -> None:
    chain = parse_chain({"act": {"sub": "a", "exp": 1, "act": {"sub": "b", "aud": "x"}}})
    assert chain.meaningless_claims == [(1, "exp"), (2, "aud")]


def test_walk_is_bounded() -> None:
    chain = parse_chain(_nested(*[f"a{i}" for i in range(200)]))
    assert chain.depth == 64


def test_may_act() -> None:
    actor = Actor("bot", "https://i")
    assert may_act_allows({"sub": "bot"}, actor) is True
    assert may_act_allows({"sub": "other"}, actor) is False
    assert may_act_allows({"sub": "bot", "iss": "https://elsewhere"}, actor) is False
    assert may_act_allows("junk", actor) is None
    assert may_act_allows({}, actor) is None
