"""`agentctl idp serve`'s defaults, as docs/idp.md states them: 2 workers x 1 thread."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from agentctl.cli.app import app
from agentctl.idp.serve import build_server


def test_two_workers_of_one_thread_by_default() -> None:
    server = build_server()
    assert (server.workers, server.blocking_threads) == (2, 1)


def test_help_states_the_same_defaults() -> None:
    result = CliRunner().invoke(app, ["idp", "serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", re.sub(r"\x1b\[[0-9;]*m", "", result.output))
    assert re.search(r"--workers\b.*?\[default: 2\]", text)
    assert re.search(r"--threads\b.*?\[default: 1\]", text)
