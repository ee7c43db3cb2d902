"""The versioned JSON envelope: one document on stdout for `--json`, on success and failure.

{"schema": "agentctl.result/1", "command": [...], "status": "ok|partial|error",
 "exit_code": 0, "data": {...}, "errors": [{"code", "message", ...}], "warnings": [...]}
"""

from __future__ import annotations

import json
from typing import Any

from agentctl.output.result import Result

SCHEMA = "agentctl.result/1"


def envelope(result: Result) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "command": list(result.command),
        "status": result.status,
        "exit_code": int(result.exit_code),
        "data": result.data,
        "errors": result.errors,
        "warnings": result.warnings,
    }


def to_json(result: Result) -> str:
    return json.dumps(envelope(result), indent=2, sort_keys=False, default=str, ensure_ascii=False)


__all__ = ["SCHEMA", "envelope", "to_json"]
