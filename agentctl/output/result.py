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
    """

    command: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)
    exit_code: int = ExitCode.OK
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.exit_code == ExitCode.OK:
            return "ok"
        return "partial" if self.data else "error"


__all__ = ["Result"]
