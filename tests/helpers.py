"""Run the CLI in-process and look at what a user would see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from agentctl.cli.app import app


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    obj: dict[str, Any] | None = None,
) -> CliResult:
    """Invoke `agentctl ARGS` through the root group (so the error mapping is exercised).

    `obj` reaches commands as injected collaborators, e.g. `{"transport": httpx transport}`
    (see agentctl.cli.context)."""
    runner = CliRunner()
    result = runner.invoke(app, list(args), input=stdin, env=env, catch_exceptions=False, obj=obj)
    return CliResult(result.exit_code, result.stdout, result.stderr)


def stored_credential(name: str, profile: str = "local") -> dict[str, Any]:
    """The credential an embedded-layout agent has in agentctl's state database."""
    from agentctl.config import statedb

    row = statedb.find(statedb.open_db(), statedb.EMBEDDED, profile, name)
    assert row is not None, f"no stored agent {name}"
    assert row.credential is not None, f"agent {name} has no stored credential"
    return row.credential


def state_db_bytes() -> bytes:
    """Everything agentctl's state database holds on disk (with its WAL), to look for secrets."""
    from agentctl.config import statedb

    path = statedb.db_path()
    return b"".join(
        f.read_bytes() for f in sorted(path.parent.glob(path.name + "*")) if f.is_file()
    )
