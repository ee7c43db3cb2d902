"""The plain writer (agentctl.output.plain) prints `agentctl exchange`'s report exactly as rich
prints it on a non-terminal: same characters, same line breaks, same padding.

Reports come from real runs against the embedded IdP (every mode, --mode all) and from
hypothesis, which varies the values (long URLs, ids wider than a column, notes, errors, control
characters, wide characters, tabs) and the width.
"""

from __future__ import annotations

import copy
import io
import itertools
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.output.console import make_console
from agentctl.output.exchange import render_exchange
from agentctl.output.exchange_plain import render_exchange_plain
from agentctl.output.plain import is_plain
from agentctl.output.result import Result
from tests.helpers import run


def _rich(result: Result, width: int) -> str:
    buf = io.StringIO()
    console = make_console(file=buf)
    console.width = width  # as COLUMNS would set it
    render_exchange(console, result)
    return buf.getvalue()


def _plain(result: Result, width: int) -> str:
    buf = io.StringIO()
    render_exchange_plain(buf, result, columns=width)
    return buf.getvalue()


_REPORTS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def reports() -> Iterator[dict[str, dict[str, Any]]]:
    """`exchange --json` data of each mode, run once on a demo home."""
    home = tempfile.mkdtemp(prefix="ah")
    env = {"AGENTCTL_HOME": home}
    try:
        from agentctl.idp import secrets

        fast = pytest.MonkeyPatch()
        fast.setattr(secrets, "_N", 2**10)
        assert run("demo", "--json", env=env).exit_code == 0
        found = {}
        for mode in ("obo", "agent", "user", "all"):
            res = run("exchange", "--mode", mode, "--json", env=env)
            assert res.exit_code == 0, res.stdout
            found[mode] = res.json()["data"]
        fast.undo()
        _REPORTS.update(found)  # for hypothesis, which takes no fixture argument
        yield found
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("mode", ["obo", "agent", "user", "all"])
@pytest.mark.parametrize("width", [200, 100, 80, 60, 40, 20])
def test_real_reports_read_the_same_both_ways(
    reports: dict[str, dict[str, Any]], mode: str, width: int
) -> None:
    result = Result(command=("exchange",), data=reports[mode])
    assert _plain(result, width) == _rich(result, width)


# Values a report can carry: words of every width, the odd control or wide character, tabs.
_WORDS = st.text(
    alphabet=st.sampled_from([*"abcxyz019:/._-[]() ", "\t", "\x07", "\r", "é", "漢", "—"]),
    max_size=40,
)
_VALUE = st.one_of(
    _WORDS,
    st.builds(lambda n: "https://idp.example.com/" + "p" * n, st.integers(0, 120)),
    st.builds(lambda n: "agt_" + "0" * n, st.integers(0, 60)),
    st.just("a " * 40),
)


def _vary(base: dict[str, Any], values: list[Any], flags: list[bool]) -> dict[str, Any]:
    """`base` with its free-text fields replaced, in turn, by `values` (flags pick the
    optional parts): the same number of draws whatever the report holds."""
    data = copy.deepcopy(base)
    pool, switch = itertools.cycle(values), itertools.cycle(flags)

    def value() -> Any:
        return next(pool)

    def flag() -> bool:
        return next(switch)

    data["notes"] = [value()] if flag() else []
    data["issuer"] = value()
    for run_ in data.get("runs") or []:
        for step in run_.get("steps") or []:
            step["detail"] = value()
            step["endpoint"] = value()
        for check in run_.get("checks") or []:
            check["expected"] = value()
            check["actual"] = value()
            check["ok"] = flag()
        expl = (run_.get("token") or {}).get("explanation") or {}
        if expl:
            expl["audit"] = value()
            expl["audience"] = [value(), value()] if flag() else []
            expl["subject"] = {"id": value(), "display": value(), "kind": "user"}
            expl["prior_actors"] = [{"id": value()}] if flag() else []
        if flag():
            run_["error"] = {"message": value()}
        if flag():
            run_["resource_view"] = {"status": 200 if flag() else 403, "audit": value()}
        run_["notes"] = [value()] if flag() else []
    for row in data.get("table") or []:
        row["audit"] = value()
        row["subject"] = value()
    if flag():
        data["emit"] = {"written": True, "path": value(), "format": "header"}
    data["ok"] = flag()
    return data


@pytest.mark.usefixtures("reports")
@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(_VALUE, min_size=1, max_size=30),
    flags=st.lists(st.booleans(), min_size=1, max_size=12),
    width=st.integers(12, 160),
    mode=st.sampled_from(["obo", "all"]),
)
def test_any_report_reads_the_same_both_ways(
    values: list[Any],
    flags: list[bool],
    width: int,
    mode: str,
) -> None:
    result = Result(command=("exchange",), data=_vary(_REPORTS[mode], values, flags))
    assert _plain(result, width) == _rich(result, width)


def test_plain_only_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert is_plain(io.StringIO())
    assert not is_plain(Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then writes colour even to a pipe
    assert not is_plain(io.StringIO())
