"""`agentctl inspect --fail-on SEVERITY`: a CI gate on findings (exit 5, report still written)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import run


def _b64(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


UNSIGNED = (
    _b64({"alg": "none", "typ": "JWT"})
    + "."
    + _b64({"iss": "https://idp.example.com", "sub": "alice", "aud": "api", "exp": 4102444800})
    + "."
)


@pytest.mark.parametrize("severity", ["high", "medium", "low", "info"])
def test_a_high_finding_trips_every_threshold(severity: str) -> None:
    r = run("inspect", UNSIGNED, "--fail-on", severity)
    assert r.exit_code == 5
    assert "alg_none" in r.stdout  # the report is still there
    assert r.stderr.startswith("error: 1 finding(s) at or above")
    assert "alg_none (high)" in r.stderr


def test_info_findings_pass_a_low_gate_and_trip_an_info_gate() -> None:
    assert run("inspect", "--example", "entra-obo", "--fail-on", "low").exit_code == 0
    r = run("inspect", "--example", "entra-obo", "--fail-on", "info", "--json")
    assert r.exit_code == 5
    doc = r.json()
    assert doc["status"] == "partial"
    assert doc["errors"][0]["code"] == "findings_at_or_above"
    assert doc["data"]["findings"]  # the full report is in the envelope


def test_no_findings_passes_any_gate() -> None:
    assert run("inspect", "--example", "user", "--fail-on", "info").exit_code == 0


def test_without_fail_on_findings_do_not_change_the_exit_code() -> None:
    assert run("inspect", UNSIGNED).exit_code == 0


def test_an_unknown_severity_is_a_one_line_usage_error() -> None:
    r = run("inspect", "--example", "obo", "--fail-on", "severe")
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1
    assert "'high', 'medium', 'low', 'info'" in r.stderr


def test_an_unreadable_token_keeps_its_own_exit_code() -> None:
    assert run("inspect", "eyJhbGciOi.x.y", "--fail-on", "info").exit_code == 2
