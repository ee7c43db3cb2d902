from __future__ import annotations

import json
import subprocess
import sys

from agentctl import __version__
from agentctl.errors import (
    AgentctlError,
    CheckFailedError,
    ConfigError,
    InputError,
    NetworkError,
    OAuthError,
    UnsupportedError,
    VerificationError,
)
from agentctl.exit_codes import ExitCode
from agentctl.output.envelope import SCHEMA, envelope
from agentctl.output.result import Result
from tests.helpers import run


def test_version_flag() -> None:
    res = run("--version")
    assert res.exit_code == 0
    assert res.stdout.strip() == f"agentctl {__version__}"


def test_python_dash_m() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "agentctl", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"agentctl {__version__}"


def test_no_args_shows_help() -> None:
    res = run()
    assert "Usage" in res.stdout + res.stderr


def test_each_error_class_has_its_documented_exit_code() -> None:
    table: dict[type[AgentctlError], ExitCode] = {
        AgentctlError: ExitCode.ERROR,
        InputError: ExitCode.USAGE,
        ConfigError: ExitCode.CONFIG,
        VerificationError: ExitCode.VERIFY,
        CheckFailedError: ExitCode.CHECK,
        OAuthError: ExitCode.IDP,
        NetworkError: ExitCode.NETWORK,
        UnsupportedError: ExitCode.UNSUPPORTED,
    }
    for cls, code in table.items():
        assert cls.exit_code == code


def test_oauth_error_keeps_rfc_fields() -> None:
    err = OAuthError("invalid_grant", "subject token expired", status=400)
    item = err.to_item()
    assert item["details"]["error"] == "invalid_grant"
    assert "subject token expired" in item["message"]


def test_envelope_shape() -> None:
    env = envelope(Result(command=("inspect",), data={"a": 1}))
    assert env == {
        "schema": SCHEMA,
        "command": ["inspect"],
        "status": "ok",
        "exit_code": 0,
        "data": {"a": 1},
        "errors": [],
        "warnings": [],
    }
    failed = envelope(Result(command=("x",), exit_code=5, data={"b": 2}))
    assert failed["status"] == "partial"
    assert json.loads(json.dumps(failed)) == failed
