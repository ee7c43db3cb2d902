"""What every service returns: data plus the outcome, rendered by `agentctl.output.render`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentctl.exit_codes import ExitCode


@dataclass
class Result:
    """The outcome of one command.

    `data` is a JSON-ready mapping (it becomes the envelope's `data`); `errors` are
    `{"code", "message", ...}` items; `exit_code` decides the process status.

    `status` (README "Output and exit codes"): `partial` only when data was produced and a
    check or verification failed (exit 5 or 4, or `checks_failed` for a report of checks such
    as doctor's); a refusal (6), a missing capability (8), a network failure (7) … is `error`,
    even when the data carries the steps that led to it.
    """

    command: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)
    exit_code: int = ExitCode.OK
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks_failed: bool = False  # the command is a report of checks, and some failed

    @property
    def status(self) -> str:
        if self.exit_code == ExitCode.OK:
            return "ok"
        failed_check = self.exit_code in (ExitCode.CHECK, ExitCode.VERIFY) or self.checks_failed
        return "partial" if self.data and failed_check else "error"


__all__ = ["Result"]
