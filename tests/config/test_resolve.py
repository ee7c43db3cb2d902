from __future__ import annotations

import pytest

from agentctl.config import profiles
from agentctl.config.profiles import Config, Profile
from agentctl.config.resolve import resolve_profile_name, resolve_settings
from agentctl.errors import ConfigError


def _config() -> Config:
    config = Config()
    for name, aud in (("corp", "https://api.corp"), ("lab", None)):
        config = profiles.upsert(
            config,
            Profile(
                name=name, issuer=f"https://{name}.example", client_id=f"{name}-cli", audience=aud
            ),
        )
    config.active = "corp"
    return config


def test_nothing_configured_is_the_embedded_local_idp() -> None:
    settings = resolve_settings(config=Config())
    assert (settings.name.value, settings.name.source) == ("local", "default")
    assert settings.kind.value == "local"
    assert settings.issuer.value is None
    assert settings.secret_store.value == "embedded"


def test_profile_name_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config()
    assert resolve_profile_name(None, config).source == "profile"
    monkeypatch.setenv("AGENTCTL_PROFILE", "lab")
    assert resolve_profile_name(None, config).value == "lab"
    assert resolve_profile_name(None, config).source == "env"
    flagged = resolve_profile_name("corp", config)
    assert (flagged.value, flagged.source, flagged.detail) == ("corp", "flag", "--profile")


def test_value_precedence_flag_env_profile_default(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config()
    s = resolve_settings(config=config)
    assert (s.audience.value, s.audience.source) == ("https://api.corp", "profile")
    assert (s.assertion_audience.value, s.assertion_audience.source) == (
        "token_endpoint",
        "default",
    )
    monkeypatch.setenv("AGENTCTL_AUDIENCE", "https://env.aud")
    s = resolve_settings(config=config)
    assert (s.audience.value, s.audience.source, s.audience.detail) == (
        "https://env.aud",
        "env",
        "AGENTCTL_AUDIENCE",
    )
    s = resolve_settings(config=config, flags={"audience": "https://flag.aud"})
    assert (s.audience.value, s.audience.source) == ("https://flag.aud", "flag")
    assert s.to_dict()["audience"] == {
        "value": "https://flag.aud",
        "source": "flag",
        "detail": "--audience",
    }


def test_unknown_profile_lists_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCTL_PROFILE", "nope")
    with pytest.raises(ConfigError, match=r"no profile named 'nope' \(known: corp, lab, local\)"):
        resolve_settings(config=_config())


def test_credential_comes_from_env_before_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentctl.config import secrets
    from agentctl.errors import SecretError
    from agentctl.providers import credential_for

    config = _config()
    with pytest.raises(SecretError, match="no secret for profile 'corp'"):
        credential_for(resolve_settings(config=config))
    secrets.KeyringStore().set("corp/client-secret", "from-keyring")
    assert credential_for(resolve_settings(config=config)).secret == "from-keyring"
    monkeypatch.setenv("AGENTCTL_SECRET_CORP", "from-env")
    cred = credential_for(resolve_settings(config=config))
    assert (cred.client_id, cred.secret) == ("corp-cli", "from-env")
    assert "from-env" not in repr(cred)
