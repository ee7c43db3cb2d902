"""At 80 columns (and narrower) nothing runs past the margin and no identifier is cut.

Each command is rendered as a user on an 80-column terminal sees it; every client id and URL
the command's `--json` knows must appear whole on some line of the human output, and no line
may be wider than the terminal.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from agentctl.output.console import THEME
from agentctl.output.layout import Col, command_text, fit_table, shell_words, wrapped
from tests.helpers import run

URL = re.compile(r"https?://[^\s\"',)\]]+")


@pytest.fixture(autouse=True)
def _fast_kdf_short_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)
    # pytest's own tmp paths are wider than 80 columns; a user's home is not
    home = tempfile.mkdtemp(prefix="ah")
    monkeypatch.setenv("AGENTCTL_HOME", home)
    yield
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    r = run("demo", "--json")
    assert r.exit_code == 0, r.stderr
    monkeypatch.setenv("COLUMNS", "80")
    data: dict[str, Any] = r.json()["data"]
    return data


def _lines_fit(out: str, width: int) -> None:
    for line in out.splitlines():
        assert cell_len(line.rstrip()) <= width, f"{cell_len(line.rstrip())} > {width}: {line!r}"


def _identifiers(doc: Any) -> set[str]:
    """Client ids and URLs anywhere in a JSON document."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            if key in ("client_id", "agent", "agent_id") and value.startswith("agt_"):
                found.add(value)
            found.update(m.rstrip(".:") for m in URL.findall(value))

    walk(doc)
    return found


def _words(out: str) -> set[str]:
    return {w.strip("(),;[]'\"") for line in out.splitlines() for w in line.split()}


COMMANDS = [
    ("agent", "list"),
    ("agent", "show", "demo-agent"),
    ("idp", "agents", "list"),
    ("idp", "audit"),
    ("idp", "issuers"),
    ("idp", "users", "list"),
    ("profile", "list"),
    ("profile", "show"),
    ("doctor",),
    ("inspect", "--example", "entra-obo"),
    ("inspect", "--example", "okta-chain"),
    ("exchange", "--mode", "all"),
    ("exchange", "--mode", "obo"),
    ("choose", "-a", "initiator=user", "-a", "attribution=required", "-a", "targets=api,mcp"),
    ("choose", "--table"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_each_command_fits_80_columns_and_keeps_ids_whole(
    demo: dict[str, Any], args: tuple[str, ...]
) -> None:
    human = run(*args)
    assert human.exit_code == 0, human.stdout + human.stderr
    _lines_fit(human.stdout, 80)
    as_json = run(*args, "--json")
    assert as_json.exit_code == 0, as_json.stdout
    doc = json.dumps(json.loads(as_json.stdout)["data"], ensure_ascii=False)
    words = _words(human.stdout)
    # a URL or client id on screen is one --json knows, whole: not a piece of one
    for url in {w.rstrip(".:") for w in words if URL.fullmatch(w.rstrip(".:"))}:
        assert re.search(re.escape(url) + r"(?![\w/.:%-])", doc), f"cut URL {url!r}"
    for word in (w for w in words if w.startswith("agt_")):
        assert re.search(re.escape(word) + r"(?!\w)", doc), f"cut client id {word!r}"
    assert not [w for w in words if w.endswith("…") and len(w) > 3], "a value was truncated"
    # and every client id --json names is on screen somewhere (when the command shows ids)
    shown_ids = {
        i for i in _identifiers(json.loads(as_json.stdout)["data"]) if i.startswith("agt_")
    }
    if any(w.startswith("agt_") for w in words):
        assert shown_ids <= words


def test_the_demo_itself_fits_80_columns_and_shows_its_ids_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    human = run("demo")
    assert human.exit_code == 0, human.stderr
    _lines_fit(human.stdout, 80)
    data = run("demo", "--json").json()["data"]
    words = _words(human.stdout)
    assert data["agent"]["client_id"] in words
    assert data["issuer"] in words
    assert data["resource_issuer"] in words


def test_idp_audit_shows_actors_audience_and_scope_uncut(demo: dict[str, Any]) -> None:
    # issue 11: `idp audit` truncated every cell and dropped actors, audience and scope
    out = run("idp", "audit").stdout
    _lines_fit(out, 80)
    assert "…" not in out
    entries = run("idp", "audit", "--json").json()["data"]["entries"]
    delegated = next(e for e in entries if e["actor_chain"])
    words = _words(out)
    assert delegated["actor_chain"][0] in words
    assert delegated["audience"][0] in words
    assert all(s in words for s in (delegated["scope"] or "").split())
    for field in ("actors", "audience", "scope"):
        assert field in out


@pytest.mark.parametrize("columns", ["60", "40"])
def test_narrower_terminals_fold_instead_of_cutting(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    client_id = demo["agent"]["client_id"]
    for args in (("agent", "list"), ("idp", "agents", "list"), ("profile", "list")):
        out = run(*args).stdout
        _lines_fit(out, int(columns))
        assert client_id in _words(out) or args == ("profile", "list"), out


# -- the layout itself ----------------------------------------------------------------------

words_st = st.lists(
    st.text(alphabet="abcdefghijklmnop:/._-0123456789", min_size=1, max_size=30),
    min_size=1,
    max_size=12,
)


@given(words=words_st, width=st.integers(min_value=10, max_value=100), lead=st.integers(0, 12))
def test_wrapped_never_splits_a_word_and_fits_unless_a_word_is_wider(
    words: list[str], width: int, lead: int
) -> None:
    console = Console(width=width, theme=THEME)
    out = wrapped(console, " " * lead, " ".join(words), width=width).plain
    assert out.split() == words  # every word whole, in order
    for line in out.splitlines():
        if cell_len(line) > width:
            assert len(line.split()) == 1  # only a word wider than the terminal overflows


@given(
    rows=st.lists(
        st.tuples(words_st, words_st, words_st).map(lambda t: [" ".join(x) for x in t]),
        min_size=1,
        max_size=4,
    ),
    width=st.integers(min_value=20, max_value=120),
)
def test_fit_table_keeps_every_word_whole(rows: list[list[str]], width: int) -> None:
    console = Console(width=width, file=io.StringIO(), no_color=True, theme=THEME)
    columns = [Col("name"), Col("id"), Col("notes", wrap=True)]
    with console.capture() as cap:
        console.print(fit_table(columns, rows), soft_wrap=True)
    out = cap.get()
    got = out.split()
    for row in rows:
        for cell in row:
            for word in cell.split():
                assert word in got
    for line in out.splitlines():
        if cell_len(line.rstrip()) > width:
            assert len(line.split()) <= 2  # a label and one over-wide word


def test_fit_table_folds_to_key_value_blocks_when_an_id_does_not_fit() -> None:
    console = Console(width=40, file=io.StringIO(), no_color=True, theme=THEME)
    columns = [Col("name"), Col("client id"), Col("sponsor", wrap=True)]
    rows: list[list[str | Text]] = [
        ["demo-agent", "agt_0123456789abcdef0123", Text("alice@example.com")]
    ]
    with console.capture() as cap:
        console.print(fit_table(columns, rows), soft_wrap=True)
    assert cap.get().splitlines() == [
        "demo-agent",
        "  client id: agt_0123456789abcdef0123",
        "  sponsor:   alice@example.com",
    ]


@given(st.lists(st.from_regex(r"[a-z0-9=:/._-]{1,25}", fullmatch=True), min_size=1, max_size=15))
def test_long_commands_continue_with_a_backslash_at_a_space(words: list[str]) -> None:
    command = " ".join(words)
    text = command_text(command, lead="  $ ", width=40).plain
    lines = text.splitlines()
    assert all(line.endswith(" \\") for line in lines[:-1])
    rejoined = " ".join(line.removesuffix(" \\").strip() for line in lines).removeprefix("$ ")
    assert rejoined == command
    assert shell_words(command) == words


def test_shell_words_never_break_inside_quotes_or_substitutions() -> None:
    cmd = "X=$(cat /tmp/a b) agentctl exchange --user 'alice b' --note \"x y\""
    assert shell_words(cmd) == [
        "X=$(cat /tmp/a b)",
        "agentctl",
        "exchange",
        "--user",
        "'alice b'",
        "--note",
        '"x y"',
    ]


def test_inspect_wraps_long_lines_under_the_value_and_keeps_urls_whole() -> None:
    from agentctl.output.inspect import fit_line

    issuer = "https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0"
    lines = fit_line(f"  issuer     {issuer}", 80)
    assert lines == ["  issuer", f"    {issuer}"]
    prose = "Audit      agent bot-7 did this as user Alice Example — issued by " + (
        "https://idp.example.com, valid until 2026-11-01T10:00:00Z (expires in 59 min)"
    )
    wrapped_lines = fit_line(prose, 80)
    assert all(len(line) <= 80 for line in wrapped_lines)
    assert all(line.startswith(" " * 11) for line in wrapped_lines[1:])
    assert " ".join(wrapped_lines).split() == prose.split()
