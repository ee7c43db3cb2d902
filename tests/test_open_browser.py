"""`--open` for device sign-in: launches the browser at the verification URL when it can, and
is a one-line note (never an error) when there is no browser or display."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentctl.services.browser_open import open_verification
from tests.emulators.entra.profile import add_entra_profile
from tests.emulators.entra.world import EntraWorld, make_world
from tests.helpers import run

ALICE = "alice@contoso.onmicrosoft.com"


def _fake_browser(tmp_path: Path) -> tuple[str, Path]:
    """A real executable standing in for a browser: it writes the URL it was given."""
    seen = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {seen}\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), seen


def _wait_for(path: Path) -> str:
    for _ in range(100):
        if path.exists() and path.read_text(encoding="utf-8"):
            return path.read_text(encoding="utf-8")
        time.sleep(0.05)
    raise AssertionError(f"{path} was never written")


def test_no_display_and_no_browser_variable_is_a_note_not_an_attempt() -> None:
    tried: list[str] = []

    def opener(url: str) -> bool:
        tried.append(url)
        return True

    note = open_verification(
        "https://idp.example.com/device", env={}, platform="linux", opener=opener
    )
    assert tried == []
    assert "no display" in note


def test_a_display_without_a_browser_says_so() -> None:
    note = open_verification(
        "https://idp.example.com/device",
        env={"DISPLAY": ":0"},
        platform="linux",
        opener=lambda u: False,
    )
    assert "no browser found" in note


def test_browser_variable_runs_that_command_with_the_url(tmp_path: Path) -> None:
    browser, seen = _fake_browser(tmp_path)
    url = "https://idp.example.com/device?user_code=ABCD-EFGH"
    note = open_verification(url, env={"BROWSER": f"/nonexistent/one{os.pathsep}{browser} %s"})
    assert "opened" in note
    assert _wait_for(seen) == url


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    w = make_world(device_interval=0, device_auto_approve=ALICE)
    add_entra_profile(w)
    yield w
    w.http.close()


def test_exchange_open_launches_the_browser_at_the_device_page(
    world: EntraWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, seen = _fake_browser(tmp_path)
    monkeypatch.setenv("BROWSER", browser)
    obj = {"transport": world.transport}
    reg = run(
        "register",
        "aid",
        "--kind",
        "agent-identity",
        "--sponsor",
        ALICE,
        "--profile",
        "contoso",
        obj=obj,
    )
    assert reg.exit_code == 0, reg.stderr
    r = run(
        "exchange", "--mode", "obo", "--agent", "aid", "--open", "--profile", "contoso", obj=obj
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "--open: opened the sign-in page" in r.stderr
    assert "devicelogin" in _wait_for(seen)


def test_exchange_open_without_a_display_still_signs_in(
    world: EntraWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    obj = {"transport": world.transport}
    reg = run(
        "register",
        "aid",
        "--kind",
        "agent-identity",
        "--sponsor",
        ALICE,
        "--profile",
        "contoso",
        obj=obj,
    )
    assert reg.exit_code == 0, reg.stderr
    r = run(
        "exchange", "--mode", "obo", "--agent", "aid", "--open", "--profile", "contoso", obj=obj
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "--open: no display here" in r.stderr
