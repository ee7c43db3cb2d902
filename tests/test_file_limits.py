"""Every file agentctl reads for the user has a size cap checked before reading; /dev/zero,
FIFOs and directories are refused at once with one line; stdin is read to the cap + 1 only.
Each case would read forever, block forever, or buffer gigabytes on the old code."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agentctl import files
from agentctl.errors import ConfigError, InputError
from agentctl.exit_codes import ExitCode
from tests.helpers import run

# A bound on how long a refused read may take, for tests that run a real process: it asserts
# the command ended (the old code blocked on a FIFO or read /dev/zero until memory ran out).
ENDS_WITHIN = 60

EXAMPLE_JWKS = str(Path(files.__file__).parent / "examples" / "jwks.json")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _hostile(tmp_path: Path, fifo: Path) -> dict[str, str]:
    big = tmp_path / "big"
    with big.open("wb") as handle:
        handle.truncate(8 * files.MIB)  # sparse: big on paper, free on disk
    return {"/dev/zero": "/dev/zero", "fifo": str(fifo), "dir": str(tmp_path), "big": str(big)}


COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "inspect @FILE": lambda p: ["inspect", f"@{p}"],
    "inspect --jwks": lambda p: ["inspect", "--example", "user", "--jwks", p],
    "inspect --key": lambda p: ["inspect", "--example", "user", "--key", p],
    "choose --answers": lambda p: ["choose", "--answers", p],
    "profile add --private-key": lambda p: [
        "profile",
        "add",
        "pk",
        "--kind",
        "oidc",
        "--issuer",
        "https://idp.example",
        "--client-id",
        "c",
        "--auth-method",
        "private_key_jwt",
        "--private-key",
        p,
    ],
    "AGENTCTL_CA_BUNDLE": lambda p: [
        "inspect",
        "--example",
        "user",
        "--jwks",
        "https://127.0.0.1:9/jwks",
        f"env={p}",
    ],
}


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "dir", "big"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_hostile_files_are_refused_in_one_line(
    command: str, kind: str, tmp_path: Path, fifo: Path
) -> None:
    path = _hostile(tmp_path, fifo)[kind]
    args = COMMANDS[command](path)
    env = {"AGENTCTL_CA_BUNDLE": args.pop()[4:]} if args[-1].startswith("env=") else None
    res = run(*args, env=env)
    assert res.exit_code in (ExitCode.USAGE, ExitCode.CONFIG), res.stderr
    line = _one_line(res.stderr)
    assert path in line
    expected = {
        "/dev/zero": "not a regular file",
        "fifo": "not a regular file",
        "dir": "directory",
        "big": "holds more than",
    }[kind]
    assert expected in line


def test_a_fifo_does_not_block_a_real_process(fifo: Path) -> None:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "agentctl", "inspect", "--example", "user", "--jwks", str(fifo)],
        capture_output=True,
        text=True,
        timeout=ENDS_WITHIN,
        check=False,
    )
    assert proc.returncode == ExitCode.USAGE
    assert "not a regular file" in _one_line(proc.stderr)
    assert time.monotonic() - start < ENDS_WITHIN


@pytest.mark.parametrize(
    "args",
    [
        ["inspect", "-"],
        ["choose", "--answers", "-"],
        ["idp", "users", "add", "bob", "--password-stdin"],
        [
            *("profile", "add", "p", "--kind", "oidc", "--issuer", "https://idp.example"),
            *("--client-id", "c", "--secret-stdin"),
        ],
    ],
    ids=["inspect -", "choose --answers -", "idp users add", "profile add --secret-stdin"],
)
def test_stdin_from_dev_zero_is_cut_at_the_cap(args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "AGENTCTL_HOME": str(tmp_path / "home")}
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [sys.executable, "-m", "agentctl", *args],
            stdin=zero,
            env=env,
            capture_output=True,
            text=True,
            timeout=ENDS_WITHIN,
            check=False,
        )
    assert proc.returncode == ExitCode.USAGE
    assert "holds more than" in _one_line(proc.stderr)


def test_config_toml_that_is_a_fifo_or_too_big_is_a_config_error(
    isolated_home: Path, fifo: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    config = isolated_home / "config.toml"
    os.replace(fifo, config)
    res = run("profile", "list")
    assert res.exit_code == ExitCode.CONFIG
    assert "not a regular file" in _one_line(res.stderr)
    config.unlink()
    with config.open("wb") as handle:
        handle.truncate(files.MAX_CONFIG_FILE + 1)
    res = run("profile", "list")
    assert res.exit_code == ExitCode.CONFIG
    assert "holds more than 4 MiB" in _one_line(res.stderr)


def test_the_helper_reads_a_regular_file_and_refuses_growth_past_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "ok"
    path.write_bytes(b"x" * 10)
    assert files.read_bytes(path, what="file", limit=10) == b"x" * 10
    with pytest.raises(InputError, match="holds more than 9 bytes"):
        files.read_bytes(path, what="file", limit=9)
    assert files.read_bytes(tmp_path / "absent", what="file", limit=9, missing_ok=True) is None
    with pytest.raises(ConfigError, match="no such file"):
        files.read_bytes(tmp_path / "absent", what="file", limit=9, error=ConfigError)
    (tmp_path / "bin").write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match="not UTF-8"):
        files.read_text(tmp_path / "bin", what="file", limit=9)


@pytest.fixture
def isolated_home() -> Path:
    return Path(os.environ["AGENTCTL_HOME"])
