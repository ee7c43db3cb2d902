"""`agentctl inspect --fail-on SEVERITY`: a CI gate on inspect's findings.

A token explained with a finding at or above SEVERITY exits 5 (the README's "the token does
not have the shape it should"): the report is still written, `status` is `partial`, and one
error item names the findings that tripped the gate."""

from __future__ import annotations

from agentctl.core.findings import SEVERITY_ORDER
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result

SEVERITIES = tuple(SEVERITY_ORDER)  # high, medium, low, info


def apply_fail_on(result: Result, severity: str) -> Result:
    """`result` with exit 5 and an error item when a finding is at or above `severity`;
    unchanged when inspect already failed (a bad token, a failed verification) or passed."""
    if result.exit_code != ExitCode.OK:
        return result
    limit = SEVERITY_ORDER[severity]
    tripped = [
        f
        for f in result.data.get("findings") or []
        if SEVERITY_ORDER.get(str(f.get("severity")), len(SEVERITY_ORDER)) <= limit
    ]
    if not tripped:
        return result
    codes = ", ".join(f"{f['code']} ({f['severity']})" for f in tripped)
    result.exit_code = ExitCode.CHECK
    result.errors.append(
        {
            "code": "findings_at_or_above",
            "message": f"{len(tripped)} finding(s) at or above {severity}: {codes}",
            "hint": f"--fail-on {severity} gates on them; see Findings above",
        }
    )
    return result


__all__ = ["SEVERITIES", "apply_fail_on"]
