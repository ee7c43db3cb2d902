"""Where agents and their credentials live: the embedded IdP's data file, or index + store."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.config import paths, profiles
from agentctl.config.profiles import Profile
from agentctl.config.resolve import Settings, resolve_settings
from agentctl.errors import ConfigError, SecretError
from agentctl.providers.base import Credential
from agentctl.services import agents
from agentctl.services.agents import AgentRecord
from tests.conftest import MemoryKeyring

SECRET = "s3cret-value-for-tests"


def _profile(name: str, **kw: Any) -> Settings:
    config = profiles.load()
    kw.setdefault("issuer", "https://idp.example.com")
    profiles.save(profiles.upsert(config, Profile(name=name, **kw), replace_existing=True))
    return resolve_settings(profile_flag=name)


def _record(name: str = "bot", client_id: str = "cid-1") -> AgentRecord:
    return AgentRecord(
        name=name,
        client_id=client_id,
        profile="ignored",
        kind="oidc",
        issuer="https://idp.example.com",
        credential_type="client_secret",
        sponsor="alice@example.com",
        extra={"token_endpoint": "https://idp.example.com/token"},
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_embedded_profile_keeps_everything_in_a_private_data_file() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    settings = resolve_settings()  # nothing configured: the embedded IdP
    assert agents.uses_embedded_store(settings)
    saved = agents.save_agent(settings, _record(), Credential("cid-1", secret=SECRET))
    path = paths.data_dir() / "agentctl.sqlite3"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert str(path) in saved.secret_location
    assert saved.profile == "local"
    record, cred = agents.load_agent(settings, "bot")
    assert (record.client_id, cred.secret) == ("cid-1", SECRET)
    assert agents.load_agent(settings, "cid-1")[0].name == "bot"  # by client id too
    assert not (paths.config_dir() / "agents.json").exists()
    assert not (paths.data_dir() / "agents.json").exists()


def test_other_profiles_keep_the_secret_in_the_store_and_only_ids_in_the_index(
    memory_keyring: MemoryKeyring,
) -> None:
    settings = _profile("corp")
    saved = agents.save_agent(
        settings,
        _record(),
        Credential("cid-1", secret=SECRET),
        registration_access_token="rat-123",
    )
    index = paths.data_dir() / "agentctl.sqlite3"
    assert _mode(index) == 0o600
    stored_bytes = b"".join(
        f.read_bytes() for f in index.parent.iterdir() if f.name.startswith(index.name)
    )
    assert SECRET.encode() not in stored_bytes
    assert b"rat-123" not in stored_bytes
    assert "OS keyring" in saved.secret_location
    stored = json.loads(memory_keyring.items[("agentctl", "corp/agent/bot")])
    assert stored["secret"] == SECRET
    cred, token = agents.load_agent_secrets(settings, "bot")
    assert (cred.secret, token) == (SECRET, "rat-123")
    assert [r.name for r in agents.list_agents(settings)] == ["bot"]
    # Another profile sees none of them.
    assert agents.list_agents(_profile("other")) == []
    agents.forget_agent(settings, "bot")
    assert agents.list_agents(settings) == []
    assert ("agentctl", "corp/agent/bot") not in memory_keyring.items


def test_file_store_profile_keeps_the_private_key_in_the_secrets_file() -> None:
    settings = _profile("ci", secret_store="file")
    pem = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    agents.save_agent(
        settings, _record(), Credential("cid-1", "private_key_jwt", private_key_pem=pem, key_id="k")
    )
    secrets_file = paths.config_dir() / "secrets.json"
    assert _mode(secrets_file) == 0o600
    _, cred = agents.load_agent(settings, "bot")
    assert (cred.private_key_pem, cred.key_id, cred.method) == (pem, "k", "private_key_jwt")


def test_no_usable_keyring_is_a_clear_error_and_nothing_is_written() -> None:
    settings = _profile("corp")
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(SecretError) as err:
        agents.save_agent(settings, _record(), Credential("cid-1", secret=SECRET))
    assert "no usable OS keyring" in err.value.message
    assert "--secret-store file" in (err.value.hint or "")
    assert agents.list_agents(settings) == []


def test_a_failed_index_write_takes_the_stored_secret_back(memory_keyring: MemoryKeyring) -> None:
    settings = _profile("corp")
    with agents.claim_agent(settings, "bot") as claim:
        # Another command took the agent over meanwhile: the row must not be written.
        with claim.db.write() as db:
            db.execute("UPDATE agents SET claim_owner = 'someone-else'")
        with pytest.raises(ConfigError, match="taken over"):
            agents.save_agent(settings, _record(), Credential("cid-1", secret=SECRET), claim=claim)
    assert ("agentctl", "corp/agent/bot") not in memory_keyring.items
    assert agents.list_agents(settings) == []


def test_an_unusable_agent_database_is_a_config_error_naming_it() -> None:
    settings = _profile("corp")
    (paths.data_dir() / "agentctl.sqlite3").mkdir(parents=True)  # a directory, not a database
    with pytest.raises(ConfigError, match="agentctl's state database") as err:
        agents.save_agent(settings, _record(), Credential("cid-1", secret=SECRET))
    assert "not a regular file" in err.value.message


def test_unknown_agent_says_how_to_create_it() -> None:
    settings = resolve_settings()
    with pytest.raises(ConfigError) as err:
        agents.load_agent(settings, "ghost")
    assert err.value.message == "no agent named ghost in profile local"
    assert err.value.hint == "agentctl register ghost"
    with pytest.raises(ConfigError):
        agents.forget_agent(settings, "ghost")


def test_a_credential_missing_from_the_store_is_a_secret_error(
    memory_keyring: MemoryKeyring,
) -> None:
    settings = _profile("corp")
    agents.save_agent(settings, _record(), Credential("cid-1", secret=SECRET))
    memory_keyring.items.clear()
    with pytest.raises(SecretError) as err:
        agents.load_agent(settings, "bot")
    assert "agentctl agent rotate bot" in (err.value.hint or "")


def test_a_damaged_index_is_a_config_error() -> None:
    settings = resolve_settings()
    path = paths.data_dir()
    path.mkdir(parents=True)
    (path / "agents.json").write_text("{not json")
    with pytest.raises(ConfigError) as err:
        agents.list_agents(settings)
    assert "agents.json" in err.value.message


def test_record_round_trips_through_its_dict() -> None:
    record = _record()
    assert AgentRecord.from_dict(record.to_dict()) == record
    assert set(record.to_dict()) == {
        "name",
        "client_id",
        "profile",
        "kind",
        "issuer",
        "credential_type",
        "description",
        "sponsor",
        "secret_location",
        "extra",
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=st.dictionaries(
        st.sampled_from(["format", "profiles", "other"]),
        json_values
        | st.just({"local": {"bot": {"record": {"name": "bot"}}}})
        | st.just({"local": {"x": {"record": [1]}, "y": 3}}),
        max_size=3,
    )
)
def test_any_index_content_reads_as_agents_or_a_config_error(doc: dict[str, Any]) -> None:
    path = paths.data_dir() / "agents.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    settings = resolve_settings()
    try:
        records = agents.list_agents(settings)
        found = agents.find_record(settings, "bot")
    except ConfigError:
        return
    assert all(isinstance(r, AgentRecord) for r in records)
    assert found is None or found.name == "bot"
