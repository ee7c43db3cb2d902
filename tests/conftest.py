from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own AGENTCTL_HOME and a scrubbed environment."""
    for name in list(os.environ):
        if name.startswith("AGENTCTL_") and name not in {"AGENTCTL_TEST_PEER_URL"}:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "agentctl-home"
    monkeypatch.setenv("AGENTCTL_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home


# Appended fixtures (keyring, oidc peer); imported here so the block above stays untouched.
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import keyring.errors  # noqa: E402

from tests.peers import OIDC_PEER_DIR  # noqa: E402

# --- in-memory keyring for every test -------------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that forgets everything when the test ends; no test touches the OS keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(f"no password for {service}/{username}")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


# --- the independent OpenID provider (npm oidc-provider) -------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peer_unavailable(reason: str) -> None:
    # CI installs node and starts the peer, so a missing peer there is a broken build, not a skip.
    if os.environ.get("CI") == "true":
        pytest.fail(f"oidc peer: {reason}", pytrace=False)
    pytest.skip(f"oidc peer: {reason}")


@pytest.fixture(scope="session")
def oidc_peer() -> Iterator[str]:
    """The issuer URL of the npm OpenID provider: AGENTCTL_TEST_PEER_URL when CI started one
    (`tests/peers/oidc-provider/start.sh 9100`), else one started here on a free port."""
    url = os.environ.get("AGENTCTL_TEST_PEER_URL")
    if url:
        yield url.rstrip("/")
        return
    if shutil.which("node") is None or shutil.which("npm") is None:
        _peer_unavailable("node/npm not installed; install Node 20+ or set AGENTCTL_TEST_PEER_URL")
    port = _free_port()
    start = subprocess.run(
        [str(OIDC_PEER_DIR / "start.sh"), str(port)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if start.returncode != 0:
        pytest.fail(
            f"oidc peer did not start (exit {start.returncode}):\n{start.stdout}{start.stderr}",
            pytrace=False,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(
            [str(OIDC_PEER_DIR / "stop.sh"), str(port)],
            capture_output=True,
            timeout=30,
            check=False,
        )
        # A random port's key and log are never reused; keep the shared install dir small.
        peer_dir = Path(
            os.environ.get("PEER_DIR")
            or Path(os.environ.get("TMPDIR", "/tmp")) / "agentctl-peer-oidc-provider"
        )
        shutil.rmtree(peer_dir / f"data.{port}", ignore_errors=True)
        (peer_dir / f"log.{port}.txt").unlink(missing_ok=True)
