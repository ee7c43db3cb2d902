"""Paging (`--limit`, `--after`) of `agent list` and `idp agents list`, and the plain layout
of long tables (issue 16: listings that page, 10k agents in under a second)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.config.resolve import resolve_settings
from agentctl.idp.service import IdpService
from agentctl.providers.base import Credential
from agentctl.services.agents import AgentRecord, save_agent
from tests.helpers import run


def _stored_agents(names: list[str]) -> None:
    """Agents in agentctl's own store (what `agent list` reads), without an IdP round trip."""
    settings = resolve_settings()
    for i, name in enumerate(names):
        client_id = f"agt_{i:016x}"
        record = AgentRecord(
            name=name,
            client_id=client_id,
            profile="local",
            kind="local",
            issuer=None,
            credential_type="client_secret",
            sponsor="owner@example.com",
        )
        save_agent(settings, record, Credential(client_id=client_id, method="client_secret_basic"))


def _pages(*args: str, limit: int) -> list[dict[str, Any]]:
    """Every page of a listing, following next_after until it is null."""
    pages: list[dict[str, Any]] = []
    after: list[str] = []
    while True:
        res = run(*args, "--limit", str(limit), *after, "--json")
        assert res.exit_code == 0, res.stderr
        data = res.json()["data"]
        pages.append(data)
        assert len(pages) < 50, "next_after never ended"
        if data["next_after"] is None:
            return pages
        after = ["--after", data["next_after"]]


def test_agent_list_pages_through_every_agent_once_in_name_order() -> None:
    names = [f"bot-{i:02d}" for i in (7, 3, 11, 1, 5)]
    _stored_agents(names)
    pages = _pages("agent", "list", limit=2)
    assert [[a["name"] for a in p["agents"]] for p in pages] == [
        ["bot-01", "bot-03"],
        ["bot-05", "bot-07"],
        ["bot-11"],
    ]
    assert [p["next_after"] for p in pages] == ["bot-03", "bot-07", None]
    whole = run("agent", "list", "--json").json()["data"]
    assert "next_after" not in whole  # the unpaged document keeps its contract
    assert [a["name"] for a in whole["agents"]] == sorted(names)
    human = run("agent", "list", "--limit", "2", "--after", "bot-03")
    assert human.exit_code == 0, human.stderr
    assert "bot-05" in human.stdout
    assert "bot-03" not in human.stdout
    assert "more: --after bot-07" in human.stdout


def test_agent_list_after_the_last_name_is_an_empty_last_page() -> None:
    _stored_agents(["only"])
    data = run("agent", "list", "--after", "only", "--json").json()["data"]
    assert data["agents"] == []
    assert data["next_after"] is None


def test_agent_list_rejects_a_limit_below_one() -> None:
    res = run("agent", "list", "--limit", "0")
    assert res.exit_code == 2
    assert "--limit" in res.stderr
    assert "Traceback" not in res.stderr


def test_idp_agents_list_pages_cover_every_issuer_row_once() -> None:
    svc = IdpService.open()
    ids = [svc.create_agent(f"agent-{i}").client_id for i in range(4)]
    whole = run("idp", "agents", "list", "--json").json()["data"]
    assert "next_after" not in whole
    rows = [(a["issuer"], a["client_id"]) for a in whole["agents"]]
    assert len(rows) == 8  # each agent at `enterprise` and at `mcp-as`
    # Odd page size: pages end between an agent's two issuer rows, and resume right there.
    pages = _pages("idp", "agents", "list", limit=3)
    paged = [(a["issuer"], a["client_id"]) for p in pages for a in p["agents"]]
    assert paged == rows
    assert [len(p["agents"]) for p in pages] == [3, 3, 2]
    assert pages[0]["next_after"] == "/".join(rows[2])
    # A bare client id starts after every row of that agent.
    rest = run("idp", "agents", "list", "--after", ids[1], "--json").json()["data"]
    assert [a["client_id"] for a in rest["agents"]] == [ids[2], ids[2], ids[3], ids[3]]
    one_issuer = run("idp", "agents", "list", "--issuer", "mcp-as", "--limit", "2", "--json")
    data = one_issuer.json()["data"]
    assert [a["client_id"] for a in data["agents"]] == ids[:2]
    assert data["next_after"] == f"mcp-as/{ids[1]}"


def test_idp_agents_list_with_an_unknown_cursor_is_one_usage_line() -> None:
    IdpService.open().create_agent("a")
    res = run("idp", "agents", "list", "--after", "agt_nope")
    assert res.exit_code == 2
    assert "--after agt_nope: no such agent" in res.stderr
    assert "Traceback" not in res.stderr
    doc = run("idp", "agents", "list", "--after", "x/y", "--json").json()
    assert doc["exit_code"] == 2


def test_a_long_agent_list_is_plain_aligned_rows_with_whole_ids() -> None:
    names = [f"agent-{i:04d}" for i in range(260)]
    _stored_agents(names)
    res = run("agent", "list")
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["name", "client", "id", "credential", "sponsor"]
    body = [line for line in lines[1:] if line.startswith("agent-")]
    assert len(body) == 260
    starts = {line.index("agt_") for line in body}
    assert len(starts) == 1  # one column, aligned
    assert body[-1].split() == [
        "agent-0259",
        f"agt_{259:016x}",
        "client_secret",
        "owner@example.com",
    ]


def test_a_long_table_too_wide_for_the_terminal_folds_to_blocks_without_splitting_ids() -> None:
    _stored_agents([f"agent-{i:04d}" for i in range(210)])
    res = run("agent", "list", env={"COLUMNS": "40"})
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "agent-0209" in lines
    assert f"  client id:  agt_{209:016x}" in lines
    assert max(len(line) for line in lines) <= 40
    # Narrower than "label: id": the id moves to its own line, whole.
    narrow = run("agent", "list", env={"COLUMNS": "24"}).stdout.splitlines()
    at = narrow.index("  client id:")
    assert narrow[at + 1] == f"    agt_{0:016x}"


@settings(max_examples=200, deadline=None)
@given(cursor=st.text(max_size=80))
def test_any_after_cursor_is_a_page_or_an_unknown_cursor(cursor: str) -> None:
    from agentctl.idp.listing import UnknownCursor, agent_page
    from agentctl.idp.store import Store

    store = Store.open()
    try:
        page = agent_page(store, limit=5, after=cursor)
    except UnknownCursor:
        return
    assert len(page.agents) <= 5
