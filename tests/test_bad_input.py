"""The bad-input corpus: every command, every option, hostile values. Whatever comes in, the
answer is a documented exit code (never 1, the "bug" code), no traceback, and an error that is
one line on stderr. Plus the specific causes issue 10 found, each as its own regression test,
and hypothesis fuzzing of the parsers they went through."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.cli.app import COMMAND_MODULES, _load_command
from agentctl.core.transport_rules import has_credentials, is_secure_url, without_credentials
from agentctl.errors import AgentctlError, ConfigError, NetworkError
from agentctl.exit_codes import ExitCode
from agentctl.http import build_http_client
from agentctl.http_types import HttpResponse
from agentctl.oauth.jwks import not_for_verifying
from agentctl.oauth.transport import send
from tests.helpers import CliResult, run

# Commands the generic corpus leaves out: `idp serve` would serve until interrupted on any
# acceptable value, and `demo` runs the whole story (both get targeted tests below).
SKIP = {("idp", "serve"), ("demo",)}


def _leaves() -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name in COMMAND_MODULES:
        stack: list[tuple[tuple[str, ...], click.Command | None]] = [((name,), _load_command(name))]
        while stack:
            path, command = stack.pop()
            if isinstance(command, click.Group):
                stack.extend(((*path, n), c) for n, c in command.commands.items())
            elif command is not None and path not in SKIP:
                yield path, command


LEAVES = sorted(_leaves(), key=lambda leaf: leaf[0])
_SCRATCH = Path(tempfile.mkdtemp(prefix="agentctl-bad-input-"))
FIFO = _SCRATCH / "fifo"
if not FIFO.exists():
    os.mkfifo(FIFO)

HOSTILE = [
    "",
    "x" * 100_000,
    "a\x00b",
    "\udcff\udcfe",  # the bytes ff fe on a command line: not UTF-8
    "-1",
    str(2**63),
    "99999",
    "1e999",
    "/nonexistent/x",
    str(_SCRATCH),  # a directory
    "/dev/zero",
    str(FIFO),
    "@/dev/zero",
    f"@{FIFO}",
    "http://user:pass@127.0.0.1:1/x",
    "http://[::1",
    "[[[[",
]


@pytest.fixture(autouse=True)
def _in_a_scratch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile values include file names (`--out -1`, `--out [[[[`): create them in a scratch
    directory, never in the checkout the tests run from."""
    monkeypatch.chdir(tmp_path)


def assert_clean(res: CliResult, what: object) -> None:
    """Not exit 1, no traceback, and a failure is one line on stderr."""
    assert res.exit_code != ExitCode.ERROR, (what, res.stderr)
    assert "Traceback" not in res.stdout + res.stderr, what
    if res.exit_code not in (0, ExitCode.CHECK, ExitCode.VERIFY):
        lines = [line for line in res.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, (what, res.stderr)


@pytest.mark.parametrize("leaf", LEAVES, ids=lambda leaf: " ".join(leaf[0]))
def test_every_option_of_every_command_survives_hostile_values(
    leaf: tuple[tuple[str, ...], click.Command],
) -> None:
    path, command = leaf
    required = ["x" for p in command.params if isinstance(p, click.Argument) and p.required]
    for param in command.params:
        if param.name == "help" or getattr(param, "is_flag", False) or getattr(param, "count", 0):
            continue
        for value in HOSTILE:
            if isinstance(param, click.Argument):
                args = [*path, value]
            else:
                args = [*path, param.opts[0], value, *required]
            assert_clean(run(*args, stdin=""), args[: len(path) + 2])


@pytest.mark.parametrize("port", ["99999", "65536", "0", "-1", str(2**63)])
def test_idp_serve_refuses_a_port_out_of_range(port: str) -> None:
    res = run("idp", "serve", "--port", port)
    assert res.exit_code == ExitCode.USAGE
    assert "--port" in res.stderr
    assert_clean(res, port)


@pytest.mark.parametrize("limit", [str(2**63), "0", "-5", str(10**30)])
def test_idp_audit_refuses_a_limit_out_of_range(limit: str) -> None:
    res = run("idp", "audit", "--limit", limit)
    assert res.exit_code == ExitCode.USAGE
    assert_clean(res, limit)


def test_registration_token_out_with_an_impossible_name_is_a_usage_error() -> None:
    res = run("idp", "registration-token", "--out", "x" * 5000)
    assert res.exit_code == ExitCode.USAGE
    assert_clean(res, "--out")


def test_non_utf8_arguments_from_a_real_shell_are_refused_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "AGENTCTL_HOME": str(tmp_path)}
    for argv in ([b"agent", b"show", b"\xff\xfe"], [b"idp", b"audit", b"--issuer", b"\xff"]):
        proc = subprocess.run(
            [sys.executable.encode(), b"-m", b"agentctl", *argv],
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
        stderr = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == ExitCode.USAGE, stderr
        assert "not UTF-8" in stderr
        assert len([line for line in stderr.splitlines() if line.strip()]) == 1


def _home() -> Path:
    return Path(os.environ["AGENTCTL_HOME"])


@pytest.mark.parametrize(
    "content",
    [
        "a = " + "[" * 5000 + "]" * 5000,
        "a = " + "{b = " * 5000 + "}" * 5000,
        "\xff\xfe not text",
        "[profiles\n",
    ],
    ids=["nested-arrays", "nested-tables", "binary", "broken"],
)
def test_a_damaged_config_toml_is_a_config_error(content: str) -> None:
    _home().mkdir(parents=True, exist_ok=True)
    (_home() / "config.toml").write_bytes(content.encode("utf-8", "surrogateescape"))
    for args in (("profile", "list"), ("exchange", "--mode", "agent"), ("doctor",)):
        res = run(*args)
        assert res.exit_code == ExitCode.CONFIG, (args, res.stderr)
        assert "config.toml" in res.stderr
        assert_clean(res, args)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("agents", "may_act_for", "{"),
        ("agents", "may_act_for", "[" * 100_000),
        ("agents", "may_act_for", '"a string"'),
        ("audit", "detail", "not json"),
    ],
)
def test_bad_json_in_an_idp_row_is_one_line_exit_3(table: str, column: str, value: str) -> None:
    assert run("register", "rowbot").exit_code == 0
    if table == "audit":  # a token issued is an audit entry
        assert run("exchange", "--mode", "agent", "--agent", "rowbot").exit_code == 0
    db = sqlite3.connect(_home() / "data" / "idp.sqlite3")
    with db:
        db.execute(f"UPDATE {table} SET {column} = ?", (value,))  # noqa: S608 - test constants
    db.close()
    args = ("idp", "agents", "list") if table == "agents" else ("idp", "audit")
    res = run(*args)
    assert res.exit_code == ExitCode.CONFIG, res.stderr
    assert f"its {column} column" in res.stderr
    assert_clean(res, args)


def test_credentials_in_a_profile_issuer_are_refused_and_never_printed() -> None:
    res = run(
        "profile", "add", "p", "--kind", "oidc", "--issuer",
        "https://alice:hunter2@idp.example", "--client-id", "c",
    )  # fmt: skip
    assert res.exit_code == ExitCode.CONFIG
    assert "embeds credentials" in res.stderr
    assert "hunter2" not in res.stdout + res.stderr
    assert_clean(res, "profile add")
    assert (
        not (_home() / "config.toml").exists()
        or "hunter2" not in (_home() / "config.toml").read_text()
    )


@pytest.mark.parametrize(
    "args",
    [
        ("inspect", "--example", "user", "--jwks", "https://u:hunter2@idp.example/jwks"),
        ("inspect", "--example", "user", "--issuer", "https://u:hunter2@idp.example"),
        ("exchange", "--mode", "agent", "--resource", "https://u:hunter2@api.example"),
        ("exchange", "--via", "id-jag", "--resource", "http://u:hunter2@127.0.0.1:1/r"),
    ],
    ids=["--jwks", "--issuer", "--resource", "--via id-jag --resource"],
)
def test_credentials_in_any_url_are_refused_in_one_line(args: tuple[str, ...]) -> None:
    res = run(*args)
    assert res.exit_code in (ExitCode.USAGE, ExitCode.CONFIG), res.stderr
    assert "embeds credentials" in res.stderr
    assert "hunter2" not in res.stdout + res.stderr
    assert_clean(res, args)


# -- hypothesis: the parsers and validators the corpus went through --------------------------


@given(st.text())
def test_url_rules_never_raise(url: str) -> None:
    secure = is_secure_url(url)
    if has_credentials(url):
        assert "@" in url
        shown = without_credentials(url)
        assert "***@" in shown
    assert isinstance(secure, bool)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(["use", "key_ops", "kty", "kid"]), JSON))
def test_jwk_usage_check_never_raises(jwk: dict[str, object]) -> None:
    reason = not_for_verifying(jwk)
    if jwk.get("use") not in (None, "sig"):
        assert reason is not None
    ops = jwk.get("key_ops")
    if ops is not None and not (isinstance(ops, list) and "verify" in ops):
        assert reason is not None


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4096) | st.text(max_size=2048).map(str.encode))
def test_any_config_toml_loads_or_is_one_config_error(content: bytes) -> None:
    from agentctl.config import profiles

    path = _SCRATCH / "fuzz-config.toml"
    path.write_bytes(content)
    message = ""
    try:
        profiles.load(path)
    except ConfigError as exc:
        message = exc.message
    assert "\n" not in message


class _Body(httpx.SyncByteStream):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        for i in range(0, len(self.data), 512):
            yield self.data[i : i + 512]


@settings(max_examples=60)
@given(st.binary(max_size=4096), st.sampled_from(["gzip", "deflate", "identity", "br"]))
def test_any_streamed_body_is_read_or_refused_as_a_network_error(data: bytes, enc: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": enc}, stream=_Body(data))

    with build_http_client(transport=httpx.MockTransport(handler)) as client:
        response: HttpResponse | None = None
        message = ""
        try:
            response = send(client, "GET", "https://idp.example/x")
        except NetworkError as exc:
            message = exc.message
    assert "\n" not in message
    if response is not None and enc == "identity":
        assert response.content == data


@given(st.binary(max_size=2048))
def test_row_json_is_decoded_or_one_config_error(raw: bytes) -> None:
    from agentctl.idp.records import _row_json

    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    row = db.execute("SELECT ? AS c", (raw.decode("utf-8", "replace"),)).fetchone()
    value: object = None
    code = 0
    try:
        value = _row_json(row, "c", list)
    except AgentctlError as exc:
        code = exc.exit_code
    assert code == ExitCode.CONFIG or isinstance(value, list)


def test_the_hint_for_a_damaged_agent_entry_works() -> None:
    assert run("register", "dmg").exit_code == 0
    assert run("register", "keep").exit_code == 0
    db = sqlite3.connect(_home() / "data" / "agentctl.sqlite3")
    with db:
        db.execute("UPDATE agents SET record = ? WHERE name = 'dmg'", (json.dumps({"name": 1}),))
    db.close()
    listed = run("agent", "list")
    assert listed.exit_code == ExitCode.CONFIG
    assert_clean(listed, "agent list")
    assert "`agentctl agent delete dmg` removes it" in listed.stderr
    deleted = run("agent", "delete", "dmg", "--json")
    assert deleted.exit_code == 0, deleted.stderr
    assert deleted.json()["data"]["deleted_at_idp"]  # its client went at the IdP too
    assert [a["name"] for a in run("agent", "list", "--json").json()["data"]["agents"]] == ["keep"]
    assert "dmg" not in run("idp", "agents", "list").stdout
