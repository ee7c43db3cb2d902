"""Every file agentctl writes is 0600 and every directory it makes 0700, whatever the umask:
they hold secrets, tokens, keys and who-uses-which-IdP."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import run
from tests.test_inspect_verify import Server, claims_for, issuer, sign

__all__ = ["issuer"]  # the fixture, imported for the test below


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("loose_umask")
def test_everything_under_the_home_is_private(issuer: Server) -> None:
    home = Path(os.environ["AGENTCTL_HOME"])
    assert run("register", "modebot").exit_code == 0
    assert run("exchange", "--mode", "agent", "--agent", "modebot").exit_code == 0
    assert run("inspect", sign(claims_for(issuer.url)), "--verify").exit_code == 0
    added = run(
        "profile", "add", "p", "--kind", "oidc", "--issuer", issuer.url, "--client-id", "c"
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    seen = {p.relative_to(home).parts[0] for p in home.rglob("*")}
    assert {"cache", "data", "config.toml"} <= seen
    loose = [
        f"{p.relative_to(home)} {stat.S_IMODE(p.stat().st_mode):o}"
        for p in [home, *home.rglob("*")]
        if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)
    ]
    assert loose == []
