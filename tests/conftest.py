from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own AGENTCTL_HOME and a scrubbed environment."""
    for name in list(os.environ):
        if name.startswith("AGENTCTL_") and name not in {"AGENTCTL_TEST_PEER_URL"}:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "agentctl-home"
    monkeypatch.setenv("AGENTCTL_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home
