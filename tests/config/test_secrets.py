from __future__ import annotations

import io
import stat

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import pytest

from agentctl.config import paths, secrets
from agentctl.errors import SecretError
from agentctl.exit_codes import ExitCode


def test_keyring_store_round_trip_in_the_test_keyring() -> None:
    store = secrets.KeyringStore(profile="corp")
    store.set("corp/client-secret", "v1")
    assert store.get("corp/client-secret") == "v1"
    assert store.delete("corp/client-secret") is True
    assert store.get("corp/client-secret") is None
    assert store.delete("corp/client-secret") is False


class _EmptyChainer(keyring.backends.chainer.ChainerBackend):
    """What keyring picks on a headless host: a chainer with nothing to chain."""

    backends = []  # noqa: RUF012


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, _EmptyChainer])
def test_unusable_keyring_says_so_and_offers_the_choices(backend: type) -> None:
    keyring.set_keyring(backend())
    with pytest.raises(SecretError) as info:
        secrets.KeyringStore(profile="ci-bot").set("ci-bot/client-secret", "x")
    err = info.value
    assert "no usable OS keyring" in err.message
    assert "AGENTCTL_SECRET_CI_BOT" in (err.hint or "")
    assert "--secret-store file" in (err.hint or "")
    assert err.exit_code == ExitCode.CONFIG
    assert secrets.keyring_status()["usable"] is False


def test_env_wins_and_works_without_any_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    monkeypatch.setenv("AGENTCTL_SECRET_CORP", "from-env")
    found = secrets.lookup("corp", store="keyring", ref=None)
    assert found is not None
    assert (found.value, found.source) == ("from-env", "env")
    assert "from-env" not in repr(found)


def test_file_store_is_0600_and_atomic() -> None:
    store = secrets.FileStore()
    store.set("a/client-secret", "one")
    store.set("b/client-secret", "two")
    path = paths.config_dir() / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.get("a/client-secret") == "one"
    assert store.delete("a/client-secret")
    assert secrets.FileStore().get("a/client-secret") is None
    assert secrets.FileStore().get("b/client-secret") == "two"


def test_env_store_is_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    store = secrets.store_for("env", profile="my.ci")
    assert store.describe("x") == "environment variable AGENTCTL_SECRET_MY_CI"
    with pytest.raises(SecretError, match="read-only"):
        store.set("x", "y")
    monkeypatch.setenv("AGENTCTL_SECRET_MY_CI", "z")
    assert store.get("x") == "z"


def test_missing_secret_names_the_fix() -> None:
    with pytest.raises(SecretError) as info:
        secrets.require("corp", store="file", ref=None)
    assert "no secret for profile 'corp'" in info.value.message
    assert "AGENTCTL_SECRET_CORP" in (info.value.hint or "")


def test_private_key_has_its_own_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCTL_SECRET_CORP_PRIVATE_KEY", "pem")
    assert secrets.require("corp", store=None, ref=None, what="private-key") == "pem"


def test_secret_input_from_stdin_or_hidden_prompt() -> None:
    assert secrets.read_secret_input(stdin=io.StringIO("  s3cret\n")) == "s3cret"
    with pytest.raises(SecretError, match="no secret on standard input"):
        secrets.read_secret_input(stdin=io.StringIO("\n"))
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return "typed"

    assert secrets.read_secret_input(prompt="Client secret: ", getpass=fake_getpass) == "typed"
    assert prompts == ["Client secret: "]
