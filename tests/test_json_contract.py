"""Every command's --json is one agentctl.result/1 envelope, on success and on failure, and its
exit_code is the process's."""

from __future__ import annotations

import pytest

from agentctl.output.envelope import SCHEMA
from tests.helpers import run

ENVELOPE_KEYS = {"schema", "command", "status", "exit_code", "data", "errors", "warnings"}

SUCCEEDS = [
    (["inspect", "--example", "obo"], ["inspect"]),
    (["choose", "--no-interactive"], ["choose"]),
    (["profile", "list"], ["profile", "list"]),
    (["profile", "show"], ["profile", "show"]),
    (["register", "contract-bot"], ["register"]),
    (["agent", "list"], ["agent", "list"]),
    (["agent", "show", "contract-bot"], ["agent", "show"]),
    (["exchange", "--mode", "agent", "--agent", "contract-bot"], ["exchange"]),
    (["doctor"], ["doctor"]),
    (["idp", "issuers"], ["idp", "issuers"]),
    (["idp", "users", "list"], ["idp", "users", "list"]),
    (["idp", "agents", "list"], ["idp", "agents", "list"]),
    (["idp", "keys", "list"], ["idp", "keys", "list"]),
    (["idp", "audit"], ["idp", "audit"]),
]

FAILS = [
    (["inspect", "eyJhbGciOiJIUzI1NiJ9.not*base64.sig"], 2),
    (["choose", "--answer", "idp=ping"], 2),
    (["exchange", "--mode", "agent", "--agent", "nobody"], 3),
    (["exchange", "--mode", "sideways"], 2),
    (["agent", "show", "nobody"], 3),
]


def _check_envelope(doc: dict[str, object], exit_code: int) -> None:
    assert set(doc) == ENVELOPE_KEYS
    assert doc["schema"] == SCHEMA
    assert doc["exit_code"] == exit_code
    assert isinstance(doc["data"], dict)
    assert isinstance(doc["errors"], list)


def test_every_command_writes_one_envelope() -> None:
    for args, command in SUCCEEDS:
        res = run(*args, "--json")
        assert res.exit_code == 0, (args, res.stdout, res.stderr)
        doc = res.json()
        _check_envelope(doc, 0)
        assert doc["status"] == "ok", args
        assert doc["command"][: len(command)] == command or doc["command"] == command[:1], args
        assert doc["data"], args


@pytest.mark.parametrize(("args", "code"), FAILS, ids=lambda v: str(v))
def test_failures_still_write_the_envelope(args: list[str], code: int) -> None:
    res = run(*args, "--json")
    assert res.exit_code == code, (res.stdout, res.stderr)
    doc = res.json()
    _check_envelope(doc, code)
    assert doc["status"] == "error"
    assert doc["errors"]
    assert all(e["message"] for e in doc["errors"])
