"""The embedded IdP as a provider: in-process administration, and a running server by URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentctl.errors import OAuthError, UsageError
from agentctl.http import build_http_client
from agentctl.idp.inprocess import in_process_client
from agentctl.idp.service import IdpService
from agentctl.oauth.client import TOKEN_TYPE_ACCESS, ExchangeRequest
from agentctl.providers import ProviderSettings, get_provider
from agentctl.providers.base import AgentSpec, Capability
from agentctl.providers.local import LocalProvider, embedded_issuer, sibling_issuer
from tests.idp.conftest import PASSWORD, Idp, _fast_kdf, decode, idp  # noqa: F401 - fixtures


@pytest.fixture
def embedded() -> Iterator[LocalProvider]:
    svc = IdpService.open()
    http = in_process_client(svc)
    try:
        provider = get_provider("local", ProviderSettings(issuer=None), http)
        assert isinstance(provider, LocalProvider)
        yield provider
    finally:
        http.close()


def test_embedded_issuer_and_resource_issuer(embedded: LocalProvider) -> None:
    assert embedded.kind == "local"
    assert embedded.in_process
    assert embedded.issuer == embedded_issuer() == "http://127.0.0.1:8400/i/enterprise"
    assert embedded.resource_issuer() == "http://127.0.0.1:8400/i/mcp-as"
    assert {Capability.TOKEN_EXCHANGE_ACTOR, Capability.ID_JAG} <= embedded.capabilities


def test_register_in_process_records_sponsor_and_delegation_rules(
    embedded: LocalProvider,
) -> None:
    reg = embedded.register_agent(
        AgentSpec(
            "billing-bot",
            sponsor="alice@example.com",
            description="pays invoices",
            audiences=("https://api.example",),
            may_act_for=("alice",),
        )
    )
    agent = embedded.service.agent("billing-bot")
    assert (agent.client_id, agent.sponsor, agent.may_act_for) == (
        reg.client_id,
        "alice@example.com",
        ["alice"],
    )
    # Registered at the resource issuer too, under the same id, for the ID-JAG path.
    assert reg.metadata["registered_at"] == ["enterprise", "mcp-as"]
    token = embedded.client_credentials(reg.credential(), audience=("https://api.example",))
    assert decode(token.access_token)["sub"] == reg.client_id
    assert decode(token.access_token)["aud"] == "https://api.example"


def test_user_tokens_then_delegation_through_the_contract(embedded: LocalProvider) -> None:
    reg = embedded.register_agent(AgentSpec("helper"))
    embedded.service.add_user("alice", "alice@example.com", PASSWORD)
    embedded.service.grant("alice", reg.client_id)
    user = embedded.user_tokens("alice", PASSWORD, client=reg.credential(), scope="read")
    assert user.id_token is not None
    assert decode(user.id_token)["aud"] == reg.client_id
    actor = embedded.client_credentials(reg.credential())
    obo = embedded.exchange(
        ExchangeRequest(
            subject_token=user.access_token,
            actor_token=actor.access_token,
            actor_token_type=TOKEN_TYPE_ACCESS,
        ),
        client=reg.credential(),
    )
    claims = decode(obo.access_token)
    assert claims["sub"] == decode(user.access_token)["sub"]
    assert claims["act"]["sub"] == reg.client_id


def test_wrong_password_is_an_oauth_error(embedded: LocalProvider) -> None:
    reg = embedded.register_agent(AgentSpec("helper"))
    embedded.service.add_user("alice", "alice@example.com", PASSWORD)
    with pytest.raises(OAuthError):
        embedded.user_tokens("alice", "wrong", client=reg.credential())


@pytest.mark.parametrize("credential", ["client_secret", "private_key_jwt"])
def test_rotate_replaces_the_credential_at_every_issuer(
    embedded: LocalProvider, credential: str
) -> None:
    reg = embedded.register_agent(AgentSpec("rot", credential=credential))  # type: ignore[arg-type]
    new = embedded.rotate_agent(reg)
    assert new.client_id == reg.client_id
    with pytest.raises(OAuthError) as err:
        embedded.client_credentials(reg.credential())
    assert err.value.error == "invalid_client"
    assert embedded.client_credentials(new.credential()).access_token
    http = in_process_client(embedded.service)
    at_resource = LocalProvider.at_url(http, embedded.resource_issuer())
    assert at_resource.client_credentials(new.credential()).access_token


def test_delete_removes_it_everywhere(embedded: LocalProvider) -> None:
    reg = embedded.register_agent(AgentSpec("gone"))
    embedded.delete_agent(reg)
    assert not embedded.agent_exists(reg.client_id)
    assert embedded.registered_issuers(reg.client_id) == []
    with pytest.raises(OAuthError):
        embedded.client_credentials(reg.credential())


def test_sibling_issuer_needs_an_embedded_idp_url() -> None:
    assert sibling_issuer("http://127.0.0.1:9/i/enterprise", "mcp-as") == (
        "http://127.0.0.1:9/i/mcp-as"
    )
    with pytest.raises(UsageError):
        sibling_issuer("https://idp.example.com", "mcp-as")


def test_running_server_by_url_registers_by_rfc7591_with_agent_metadata(idp: Idp) -> None:  # noqa: F811
    http = build_http_client(timeout=10)
    provider = get_provider("local", ProviderSettings(issuer=idp.url()), http)
    assert isinstance(provider, LocalProvider)
    assert not provider.in_process
    assert provider.resource_issuer() == idp.url("mcp-as")
    reg = provider.register_agent(
        AgentSpec("remote-bot", sponsor="bob@example.com", may_act_for=("alice",))
    )
    assert reg.registration_client_uri
    assert reg.registration_access_token
    agent = idp.svc.agent("remote-bot")
    assert (agent.sponsor, agent.may_act_for) == ("bob@example.com", ["alice"])
    assert provider.client_credentials(reg.credential()).access_token
    idp.user("alice")
    user = provider.user_tokens("alice", PASSWORD, client=reg.credential())
    assert decode(user.access_token)["client_id"] == reg.client_id
    provider.delete_agent(reg)
    with pytest.raises(OAuthError):
        provider.client_credentials(reg.credential())
