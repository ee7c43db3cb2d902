from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.config import paths, profiles
from agentctl.config.profiles import Config, Profile
from agentctl.errors import ConfigError


def _corp() -> Profile:
    return Profile(
        name="corp",
        kind="oidc",
        issuer="https://idp.example.com/tenant1",
        client_id="agentctl-cli",
        auth_method="private_key_jwt",
        secret_store="file",
        secret_ref="corp/private-key",
        key_id="kid-1",
        assertion_audience="issuer",
        ca_bundle="/etc/ssl/corp.pem",
        audience="https://api.example.com",
        scope="api:read api:write",
    )


def test_round_trip_keeps_every_field_and_foreign_keys() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text('theme = "dark"\n[idp]\nport = 8080\n')
    config = profiles.load()
    config = profiles.upsert(config, _corp())
    config.active = "corp"
    profiles.save(config)
    again = profiles.load()
    assert again.profiles["corp"] == _corp()
    assert again.active == "corp"
    assert again.other == {"theme": "dark", "idp": {"port": 8080}}


def test_the_file_is_private_and_never_holds_a_secret_value() -> None:
    path = profiles.save(profiles.upsert(Config(), _corp()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "secret_ref" in path.read_text()


def test_atomic_write_leaves_the_old_file_when_writing_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = profiles.save(profiles.upsert(Config(), _corp()))
    before = path.read_bytes()

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        profiles.save(Config())
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_no_config_means_the_builtin_local_profile() -> None:
    config = profiles.load()
    assert config.profiles == {}
    local = profiles.get(config, "local")
    assert local.kind == "local"
    assert local.embedded


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "google"}, "unknown provider kind"),
        ({"auth_method": "magic"}, "unknown auth method"),
        ({"secret_store": "vault"}, "unknown secret store"),
        ({"issuer": "http://idp.example.com"}, "must be https://"),
        ({"issuer": None}, "needs an issuer URL"),
        ({"name": "-x"}, "invalid profile name"),
    ],
)
def test_invalid_profiles_are_refused(change: dict[str, object], message: str) -> None:
    from dataclasses import replace

    with pytest.raises(ConfigError, match=message):
        profiles.validate(replace(_corp(), **change))  # type: ignore[arg-type]


def test_plain_http_is_fine_for_a_loopback_issuer() -> None:
    from dataclasses import replace

    profiles.validate(replace(_corp(), issuer="http://127.0.0.1:9100"))


def test_duplicate_needs_replace_and_remove_clears_active() -> None:
    config = profiles.upsert(Config(), _corp())
    with pytest.raises(ConfigError, match="already exists"):
        profiles.upsert(config, _corp())
    config.active = "corp"
    config = profiles.remove(config, "corp")
    assert config.active is None
    with pytest.raises(ConfigError, match="no profile named 'corp'"):
        profiles.remove(config, "corp")


@pytest.mark.parametrize(
    "text",
    [
        "profiles = 3",
        "[profiles.corp]\nkind = 7",
        '[profiles.corp]\nkind = "oidc"',
        "active = [1]",
        "[profiles\n",
        '[profiles."bad name"]\nkind = "local"',
    ],
)
def test_a_corrupt_file_is_one_clear_config_error(text: str) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        profiles.load()
    assert str(path) in info.value.message
    assert "\n" not in info.value.message


_toml_ish = st.text(
    alphabet=st.sampled_from(list("[].\"=\n abcdefghijklmnopqrstuvwxyz_0123456789:/#{},'")),
    max_size=120,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(_toml_ish, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))))
def test_fuzz_loader_either_loads_or_raises_config_error(body: str, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(("[profiles.p]\n" + body).encode("utf-8", "surrogateescape"))
    try:
        config = profiles.load(path)
    except ConfigError as exc:
        assert "\n" not in exc.message  # noqa: PT017 - one line on stderr, however bad the file
        return
    for profile in config.profiles.values():
        profiles.validate(profile)
