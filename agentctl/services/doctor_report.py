"""The doctor's report: one `Check` per line, and the exit code the failed ones add up to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentctl.exit_codes import ExitCode


@dataclass
class Check:
    id: str
    section: str
    status: str  # ok | no | warn | fail | info
    message: str
    fix: str | None = None
    exit_code: int = ExitCode.CONFIG  # what a `fail` means for the process

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> Check:
        check = Check(*args, **kwargs)
        self.checks.append(check)
        return check


def overall_exit_code(report: Report) -> int:
    fails = [c for c in report.checks if c.status == "fail"]
    if not fails:
        return ExitCode.OK
    codes = {c.exit_code for c in fails}
    for code in (ExitCode.CONFIG, ExitCode.NETWORK, ExitCode.IDP):
        if code in codes:
            return code
    return min(codes)


__all__ = ["Check", "Report", "overall_exit_code"]
