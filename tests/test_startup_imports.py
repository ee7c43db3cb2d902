"""What `agentctl exchange --mode obo` loads on the embedded IdP, in-process (issue 16: it must
start within 3x `python -c "import typer"`). The command runs for real, in a demo home, with
stdout a pipe; the modules left in sys.modules at exit are the ones it paid for.
(`agentctl inspect`'s own check is in tests/test_inspect_cli.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Loaded after the exit, from what the process imported: stdout stays the command's, stderr
# ends with the list.
_PROBE = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted("
    "k for k, v in sys.modules.items() if v is not None))))\n"
    "sys.argv = ['agentctl', *sys.argv[1:]]\n"
    "from agentctl.cli.app import main\n"
    "main()\n"
)

# Nothing on the in-process path needs these: httpx (with ssl, http.client, email and
# urllib.request, which it pulls in) only for a URL outside this process
# (agentctl.http_inprocess answers the IdP's own), httpcore (and trio) only for a socket, msal
# only for Entra, keyring backends only to read a stored secret, rich's console only for a
# terminal (a plain report uses rich's cell widths and line-wrapping, nothing else). The IdP's
# plugins (device sign-in, authorization code, the demo resource and web app) load when a
# request needs them, the --trace recorder only with --trace, the --emit renderers only with
# --emit, RFC 7591 registration only to register.
NOT_LOADED = {
    "agentctl.idp.device",
    "agentctl.idp.authorize",
    "agentctl.idp.resource",
    "agentctl.idp.webapp",
    "authlib.oauth2.rfc8628",
    "flask",
    "agentctl.oauth.trace",
    "agentctl.core.emit",
    "agentctl.oauth.registration",
    "agentctl.oauth.device",  # the RFC 8628 client, only to sign a user in
    "agentctl.oauth.private_key_jwt",  # only for a client that authenticates so
    "httpx",
    "ssl",
    "http.client",
    "email",
    "urllib.request",
    "httpcore",
    "trio",
    "anyio",
    "h11",
    "msal",
    "keyring.backends",
    "certifi",
    "truststore",
    "rich.console",
    "rich.table",
    "rich.text",
    "pygments",
}


def _loaded(home: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {"AGENTCTL_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "100"}
    res = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    marker = res.stderr.rfind("\nMODULES ")
    assert marker >= 0, res.stderr
    return res, set(json.loads(res.stderr[marker + len("\nMODULES ") :]))


def test_exchange_obo_in_process_loads_no_network_stack_msal_keyring_or_rich(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    demo, _ = _loaded(home, "demo", "--json")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    res, loaded = _loaded(home, "exchange", "--mode", "obo")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "every check holds" in res.stdout  # the report was written, plainly
    assert "agentctl.idp.service" in loaded  # the probe sees the command's imports
    found = {m for m in loaded for bad in NOT_LOADED if m == bad or m.startswith(bad + ".")}
    assert found == set()


def test_exchange_closes_its_databases_before_the_process_ends(tmp_path: Path) -> None:
    # The entry point closes every database before it takes the heap out of the collector's
    # sight (a fast exit, issue 16): SQLite's last close checkpoints the WAL and removes it,
    # as the collection at exit did, so the data dir is left as before.
    home = tmp_path / "home"
    demo, _ = _loaded(home, "demo", "--json")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    res, _ = _loaded(home, "exchange", "--mode", "obo")
    assert res.returncode == 0, res.stdout + res.stderr
    data = home / "data"
    assert (data / "idp.sqlite3").is_file()
    assert sorted(p.name for p in data.glob("*.sqlite3-wal")) == []
