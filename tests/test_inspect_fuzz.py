"""Hostile input never crashes `inspect`: it explains the token (exit 0), or says in one line
on stderr why it cannot (exit 2; 4 when --verify fails). Never a traceback, never exit 1."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.main import get_command

from agentctl.cli.app import app
from agentctl.services.inspect import EXAMPLE_JWKS
from tests.core.inspect_fixtures import b64
from tests.helpers import CliResult

# Built once: tests.helpers.run rebuilds the click command per call, which dominates fuzzing.
# This is the same root group, so the error-to-exit-code mapping is what is exercised.
_COMMAND = get_command(app)


def run(*args: str, stdin: str | None = None) -> CliResult:
    result = CliRunner().invoke(_COMMAND, list(args), input=stdin, catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_SLOW = settings(FUZZ, max_examples=100)
B64URL = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
CLAIM_NAMES = st.sampled_from(
    [
        "iss",
        "sub",
        "aud",
        "exp",
        "nbf",
        "iat",
        "act",
        "may_act",
        "scope",
        "scp",
        "client_id",
        "azp",
        "cid",
        "uid",
        "idtyp",
        "xms_act_fct",
        "xms_sub_fct",
        "sub_profile",
        "events",
        "typ",
        "preferred_username",
        "oid",
        "tid",
        "roles",
        "realm_access",
    ]
)
PAYLOADS = st.dictionaries(CLAIM_NAMES | st.text(max_size=8), JSON, max_size=10)
HEADERS = st.fixed_dictionaries(
    {"alg": st.sampled_from(["RS256", "HS256", "none", "ES256", "EdDSA", "x"])},
    optional={
        "typ": st.sampled_from(
            ["at+jwt", "JWT", "oauth-id-jag+jwt", "txntoken+jwt", "logout+jwt", "weird"]
        )
        | st.text(max_size=5),
        "kid": st.text(max_size=10) | JSON,
        "jku": st.text(max_size=10),
        "crit": JSON,
    },
)


def assert_graceful(
    res: CliResult, allowed: frozenset[int] = frozenset({0, 2}), *, json_out: bool = False
) -> None:
    assert res.exit_code in allowed, (res.exit_code, res.stderr)
    assert "Traceback" not in res.stdout + res.stderr
    if res.exit_code == 2 and not json_out:
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert res.stderr.startswith("error: ")


def _reject(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


def jws(header: Any, payload: Any, sig: str = "c2ln") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{sig}"


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "token"
        path.write_bytes(data)
        assert_graceful(run("inspect", f"@{path}"))


@FUZZ
@given(st.text(max_size=200))
def test_random_text_on_stdin(text: str) -> None:
    assert_graceful(run("inspect", "-", stdin=text))


@FUZZ
@given(st.lists(B64URL, min_size=1, max_size=6))
def test_random_base64url_segments(segments: list[str]) -> None:
    # `--` because a base64url token may start with "-", which would read as an option
    assert_graceful(run("inspect", "--", ".".join(segments)))


@FUZZ_SLOW
@given(HEADERS | JSON, PAYLOADS | JSON)
def test_random_json_headers_and_payloads(header: Any, payload: Any) -> None:
    res = run("inspect", jws(header, payload), "--json")
    assert_graceful(res, json_out=True)
    # one strict JSON document (no NaN/Infinity), on success and failure
    doc = json.loads(res.stdout, parse_constant=_reject)
    assert doc["exit_code"] == res.exit_code


@FUZZ_SLOW
@given(HEADERS, PAYLOADS)
def test_random_tokens_under_verify(header: Any, payload: Any) -> None:
    res = run("inspect", jws(header, payload), "--jwks", str(EXAMPLE_JWKS))
    assert_graceful(res, frozenset({2, 4}))


@FUZZ
@given(st.integers(min_value=1, max_value=400), st.sampled_from(["act", "list", "obj"]))
def test_deep_nesting(depth: int, shape: str) -> None:
    if shape == "act":
        node: Any = {"sub": "a0"}
        for level in range(1, depth):
            node = {"sub": f"a{level}", "act": node}
        payload: Any = {"sub": "user", "act": node}
    elif shape == "list":
        payload = {"x": json.loads("[" * depth + "]" * depth)}
    else:
        payload = {"x": json.loads('{"a":' * depth + "1" + "}" * depth)}
    assert_graceful(run("inspect", jws({"alg": "RS256"}, payload)))


def test_over_one_megabyte_is_refused_quickly() -> None:
    big = jws({"alg": "RS256"}, {"pad": "x" * 1_100_000})
    res = run("inspect", "-", stdin=big)
    assert res.exit_code == 2
    assert "1,000,000" in res.stderr
