from __future__ import annotations

import stat
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.config import paths
from agentctl.oauth.keys import generate_key_pair
from tests.conftest import MemoryKeyring
from tests.helpers import run

ISSUER = "https://idp.example.com"


def test_first_run_lists_the_builtin_embedded_profile() -> None:
    res = run("profile", "list", "--json")
    assert res.exit_code == 0
    data = res.json()["data"]
    assert data["profiles"] == [
        {
            "name": "local",
            "kind": "local",
            "issuer": "embedded",
            "client_id": None,
            "auth_method": None,
            "secret_store": None,
            "active": True,
            "builtin": True,
        }
    ]
    assert data["active"]["source"] == "default"


def test_add_with_secret_on_stdin_stores_it_in_the_keyring_not_the_file(
    memory_keyring: MemoryKeyring,
) -> None:
    res = run(
        "profile", "add", "corp", "--issuer", ISSUER, "--client-id", "cli-1",
        "--secret-stdin", "--audience", "https://api.example.com", "--use",
        stdin="top-secret-value\n",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert "added profile corp (active)" in res.stdout
    assert memory_keyring.items[("agentctl", "corp/client-secret")] == "top-secret-value"
    text = paths.config_file().read_text()
    assert "top-secret-value" not in text
    assert 'secret_ref = "corp/client-secret"' in text
    assert stat.S_IMODE(paths.config_file().stat().st_mode) == 0o600
    assert "top-secret-value" not in res.stdout + res.stderr


def test_show_prints_each_value_with_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    run("profile", "add", "corp", "--issuer", ISSUER, "--client-id", "cli-1", "--use",
        "--audience", "https://api.example.com", "--secret-stdin", stdin="s\n")  # fmt: skip
    monkeypatch.setenv("AGENTCTL_SCOPE", "api:read")
    res = run("profile", "show", "--json")
    assert res.exit_code == 0
    data = res.json()["data"]
    s = data["settings"]
    assert s["profile"] == {
        "value": "corp",
        "source": "profile",
        "detail": "active in config",
    }
    assert s["issuer"]["value"] == ISSUER
    assert s["issuer"]["source"] == "profile"
    assert s["scope"] == {"value": "api:read", "source": "env", "detail": "AGENTCTL_SCOPE"}
    assert s["assertion_audience"]["source"] == "default"
    assert data["secret"]["present"] is True
    assert data["secret"]["source"] == "keyring"
    human = run("profile", "show")
    assert "api:read" in human.stdout
    assert "env (AGENTCTL_SCOPE)" in human.stdout
    assert "s\n" not in human.stdout


def test_profile_env_var_and_flag_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    run("profile", "add", "a", "--issuer", ISSUER)
    run("profile", "add", "b", "--issuer", "https://b.example")
    monkeypatch.setenv("AGENTCTL_PROFILE", "a")
    assert run("profile", "show", "--json").json()["data"]["settings"]["profile"]["source"] == "env"
    flagged = run("profile", "show", "--profile", "b", "--json").json()["data"]["settings"]
    assert flagged["profile"] == {"value": "b", "source": "flag", "detail": "--profile"}


def test_headless_keyring_gives_the_choices_and_writes_nothing() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    res = run("profile", "add", "ci", "--issuer", ISSUER, "--client-id", "c",
              "--secret-stdin", stdin="s3cret\n")  # fmt: skip
    assert res.exit_code == 3
    assert "no usable OS keyring" in res.stderr
    assert "AGENTCTL_SECRET_CI" in res.stderr
    assert "--secret-store file" in res.stderr
    assert not paths.config_file().exists()
    ok = run("profile", "add", "ci", "--issuer", ISSUER, "--client-id", "c",
             "--secret-store", "file", "--secret-stdin", stdin="s3cret\n")  # fmt: skip
    assert ok.exit_code == 0, ok.stderr
    secrets_file = paths.config_dir() / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert 'secret_store = "file"' in paths.config_file().read_text()
    shown = run("profile", "show", "ci", "--json").json()["data"]["secret"]
    assert shown["present"] is True
    assert shown["source"] == "file"


def test_private_key_profile(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    key = generate_key_pair()
    pem = tmp_path / "agent.pem"
    pem.write_text(key.private_pem)
    res = run("profile", "add", "pk", "--issuer", ISSUER, "--client-id", "c",
              "--auth-method", "private_key_jwt", "--private-key", str(pem), "--json")  # fmt: skip
    assert res.exit_code == 0, res.stdout
    assert res.json()["data"]["settings"]["key_id"] == key.kid
    assert memory_keyring.items[("agentctl", "pk/private-key")] == key.private_pem


def test_use_and_remove() -> None:
    run("profile", "add", "corp", "--issuer", ISSUER, "--client-id", "c", "--secret-stdin",
        stdin="x\n")  # fmt: skip
    assert run("profile", "use", "corp").exit_code == 0
    assert run("profile", "list", "--json").json()["data"]["active"]["value"] == "corp"
    res = run("profile", "remove", "corp", "--json")
    assert res.exit_code == 0
    assert res.json()["data"]["secrets_deleted"]
    assert run("profile", "list", "--json").json()["data"]["active"]["value"] == "local"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("profile", "use", "nope"), 3, "no profile named 'nope'"),
        (("profile", "remove", "local"), 3, "built-in embedded IdP"),
        (("profile", "add", "x", "--issuer", "http://idp.example.com"), 3, "plain http only"),
        (("profile", "add", "x", "--kind", "google", "--issuer", ISSUER), 3, "unknown provider"),
        (
            (
                "profile",
                "add",
                "x",
                "--issuer",
                ISSUER,
                "--secret-store",
                "env",
                "--client-id",
                "c",
                "--secret-stdin",
            ),
            2,
            "comes from the environment",
        ),
    ],
)
def test_user_mistakes_are_one_line_with_the_exit_code(
    args: tuple[str, ...], code: int, message: str
) -> None:
    res = run(*args, stdin="v\n")
    assert res.exit_code == code
    assert message in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1
    as_json = run(*args, "--json", stdin="v\n")
    assert as_json.json()["status"] == "error"
    assert as_json.json()["exit_code"] == code


def test_duplicate_add_needs_replace() -> None:
    assert run("profile", "add", "corp", "--issuer", ISSUER).exit_code == 0
    res = run("profile", "add", "corp", "--issuer", ISSUER)
    assert res.exit_code == 3
    assert "--replace" in res.stderr
    assert run("profile", "add", "corp", "--issuer", ISSUER, "--replace").exit_code == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(garbage=st.binary(max_size=200))
def test_corrupted_config_file_is_one_clear_line_exit_3(garbage: bytes) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'[profiles.corp]\nkind = "oidc"\n' + garbage)
    res = run("profile", "list")
    if res.exit_code == 0:
        return  # the bytes happened to be valid TOML with valid profiles
    assert res.exit_code == 3, res.stderr
    assert res.stderr.startswith(f"error: {path}")
    assert res.stderr.count("\n") == 1


def test_json_contract_of_every_profile_command() -> None:
    """Pins the `data` members scripts rely on."""
    added = run("profile", "add", "corp", "--issuer", ISSUER, "--client-id", "c",
                "--secret-stdin", "--json", stdin="x\n")  # fmt: skip
    assert added.json()["schema"] == "agentctl.result/1"
    assert added.json()["command"] == ["profile", "add"]
    assert set(added.json()["data"]) == {
        "action", "profile", "active", "config_file", "secret", "settings",
    }  # fmt: skip
    assert set(added.json()["data"]["secret"]) == {"store", "where"}
    listed = run("profile", "list", "--json").json()["data"]
    assert set(listed) == {"active", "profiles"}
    assert set(listed["active"]) == {"value", "source", "detail"}
    shown = run("profile", "show", "corp", "--json").json()["data"]
    assert set(shown) == {"profile", "settings", "secret", "grants"}
    assert list(shown["settings"]) == [
        "profile", "kind", "issuer", "client_id", "auth_method", "secret_store", "secret_ref",
        "key_id", "assertion_audience", "ca_bundle", "audience", "scope",
    ]  # fmt: skip
    used = run("profile", "use", "corp", "--json").json()["data"]
    assert set(used) == {"action", "profile", "active", "config_file"}
    removed = run("profile", "remove", "corp", "--json").json()["data"]
    assert set(removed) == {"action", "profile", "active", "config_file", "secrets_deleted"}
