"""`agentctl idp audit --follow`: new lines appear as they are written; Ctrl-C ends it, exit 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from agentctl.services.audit_follow import PAGE, follow
from tests.helpers import run


@pytest.fixture(autouse=True)
def _fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.idp import secrets

    monkeypatch.setattr(secrets, "_N", 2**10)


def _entry(n: int) -> dict[str, Any]:
    return {"id": n}


def test_follow_shows_the_backlog_then_only_new_lines() -> None:
    log = [_entry(1), _entry(2)]
    shown: list[tuple[list[int], bool]] = []
    writes = iter([[3], [], [4, 5]])

    def sleep(_: float) -> None:
        log.extend(_entry(n) for n in next(writes))

    last = follow(
        lambda n: log[-n:],
        lambda entries, full: shown.append(([e["id"] for e in entries], full)),
        backlog=1,
        interval=0.5,
        sleep=sleep,
        polls=3,
    )
    assert shown == [([2], False), ([3], False), ([4, 5], False)]
    assert last == 5


def test_follow_says_when_a_burst_overflows_one_poll() -> None:
    log: list[dict[str, Any]] = []
    shown: list[bool] = []

    def sleep(_: float) -> None:
        log.extend(_entry(len(log) + 1) for _ in range(PAGE + 10))

    follow(
        lambda n: log[-n:],
        lambda entries, full: shown.append(full),
        backlog=5,
        interval=0.1,
        sleep=sleep,
        polls=1,
    )
    assert shown == [False, True]


def test_ctrl_c_ends_it_quietly() -> None:
    def sleep(_: float) -> None:
        raise KeyboardInterrupt

    assert follow(lambda n: [_entry(7)], lambda e, f: None, backlog=1, interval=1, sleep=sleep) == 7


def test_the_command_streams_new_entries_and_exits_0_on_sigint() -> None:
    assert run("demo", "--json").exit_code == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentctl", "idp", "audit", "--follow", "--json", "--limit", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AGENTCTL_HOME": os.environ["AGENTCTL_HOME"]},
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # the backlog: the newest line
        assert run("exchange", "--mode", "agent").exit_code == 0
        fresh = json.loads(proc.stdout.readline())  # written after the follow started
        assert fresh["id"] > first["id"]
        assert fresh["event"] == "issue:access_token"
        assert fresh["grant_type"] == "client_credentials"
    finally:
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_follow_interval_is_bounded() -> None:
    r = run("idp", "audit", "--follow", "--interval", "0")
    assert r.exit_code == 2
    assert "--interval" in r.stderr
