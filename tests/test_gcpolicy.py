"""The collector policy (agentctl.gcpolicy): a command raises the first threshold for its
start-up; the commands that keep running put Python's thresholds back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from agentctl import gcpolicy
from agentctl.cli.app import main


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()  # main() freezes what exists at its end


def test_a_command_raises_the_first_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["agentctl", "--version"])
    with pytest.raises(SystemExit):
        main()
    assert gc.get_threshold() == (gcpolicy.SHORT_LIVED_GEN0, *gcpolicy.DEFAULT_THRESHOLD[1:])
    assert gcpolicy.DEFAULT_THRESHOLD[0] < gcpolicy.SHORT_LIVED_GEN0


def test_audit_follow_runs_with_pythons_thresholds() -> None:
    from agentctl.services.audit_follow import follow

    gcpolicy.short_lived()
    follow(
        lambda n: [],
        lambda lines, full: None,
        backlog=5,
        interval=0.1,
        sleep=lambda s: None,
        polls=0,
    )
    assert gc.get_threshold() == gcpolicy.DEFAULT_THRESHOLD


class _Stop(Exception):
    pass


def test_idp_serve_runs_with_pythons_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.idp import serve

    seen: list[tuple[int, ...]] = []

    def build(**kwargs: Any) -> Any:
        seen.append(gc.get_threshold())
        raise _Stop  # before anything listens

    monkeypatch.setattr(serve, "build_server", build)
    gcpolicy.short_lived()
    with pytest.raises(_Stop):
        serve.serve(port=1)
    assert seen == [gcpolicy.DEFAULT_THRESHOLD]
