"""Escape sequences in data never reach the terminal (agentctl.output.controls): an agent's
description, a client's metadata or an audit line can carry them, and the console, the plain
writer and the long-table fast path each write them as visible `\\xNN`."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentctl.output.console import make_console
from agentctl.output.controls import escape_controls
from agentctl.output.layout import Col
from agentctl.output.longtable import LONG_TABLE_ROWS, plain_long_table
from agentctl.output.plain import Writer
from tests.helpers import run

HOSTILE = "desc\x1b]0;owned\x07 \x1b[2J\x1b[1;1H\u009b31m\x7fend"
# What rich itself writes to a terminal: colours and styles (SGR) only.
_RICH_CODES = re.compile(r"\x1b\[[0-9;]*m")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@given(st.text())
def test_escaped_text_holds_no_control_but_tab_and_newline(text: str) -> None:
    out = escape_controls(text)
    assert _CONTROLS.search(out) is None
    assert escape_controls(out) == out  # idempotent: nested renders escape once
    if _CONTROLS.search(text) is None:
        assert out == text


def test_the_terminal_console_writes_only_its_own_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.table import Table

    monkeypatch.setenv("FORCE_COLOR", "1")
    buf = io.StringIO()
    console = make_console(file=buf)
    table = Table("name", "description")
    table.add_row("ok1", HOSTILE)
    console.print(table)
    console.print(HOSTILE, style="bold")
    written = buf.getvalue()
    assert _RICH_CODES.search(written)  # a terminal: rich did style it
    assert _CONTROLS.search(_RICH_CODES.sub("", written)) is None
    assert "\\x1b]0;owned" in written
    assert "\\x9b31m" in written


def test_the_plain_writer_escapes_after_layout() -> None:
    buf = io.StringIO()
    Writer(buf, columns=40).line(HOSTILE)
    Writer(buf, columns=40).folded(HOSTILE)
    assert _CONTROLS.search(buf.getvalue().replace("\n", "")) is None
    assert buf.getvalue().count("\\x1b[2J") == 2


def test_the_long_table_fast_path_escapes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    rows = [["evil", HOSTILE]] + [[f"a{i}", "plain"] for i in range(LONG_TABLE_ROWS)]
    table = plain_long_table([Col("name"), Col("description")], rows, 200)
    assert table is not None  # the fast path, not rich's layout
    buf = io.StringIO()
    make_console(file=buf).print(table)
    assert _CONTROLS.search(_RICH_CODES.sub("", buf.getvalue())) is None
    assert "\\x1b[1;1H" in buf.getvalue()


def test_an_agent_description_cannot_drive_the_terminal() -> None:
    assert run("register", "ok1", "--description", HOSTILE).exit_code == 0
    shown = run("agent", "show", "ok1")
    assert shown.exit_code == 0, shown.stderr
    assert "\\x1b]0;owned" in shown.stdout
    assert _CONTROLS.search(shown.stdout.replace("\n", "")) is None
    as_json = run("agent", "show", "ok1", "--json")  # JSON keeps the data, escaped by JSON
    assert "\\u001b]0;owned" in as_json.stdout
