"""The same scenarios against a real Entra tenant. Opt-in: `pytest -m live` with

    AGENTCTL_ENTRA_TENANT            tenant id or domain
    AGENTCTL_ENTRA_ADMIN_CLIENT_ID   an app with the Graph permissions in docs/entra.md
    AGENTCTL_ENTRA_ADMIN_SECRET      its client secret
    AGENTCTL_ENTRA_SPONSOR           (agent identity tests) a user object id or UPN
    AGENTCTL_ENTRA_BLUEPRINT_ID, AGENTCTL_ENTRA_BLUEPRINT_SECRET, AGENTCTL_ENTRA_AGENT_ID,
    AGENTCTL_ENTRA_USER_TOKEN        (OBO test) a user token whose aud is the blueprint

Everything created is deleted again. Skipped when the variables are not set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from agentctl.errors import OAuthError
from agentctl.http import build_http_client
from agentctl.providers.entra import EntraProvider
from agentctl.providers.entra.credentials import ClientCredential
from agentctl.providers.entra.graph import retry_propagation
from agentctl.providers.entra.models import EntraExchange, EntraSettings

pytestmark = pytest.mark.live

# Read at collection: the autouse fixture in tests/conftest.py clears AGENTCTL_* for each test.
ENV = {k: v for k, v in os.environ.items() if k.startswith("AGENTCTL_ENTRA_")}
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def need(*names: str) -> None:
    missing = [n for n in names if not ENV.get(f"AGENTCTL_ENTRA_{n}")]
    if missing:
        pytest.skip(
            f"set AGENTCTL_ENTRA_{', AGENTCTL_ENTRA_'.join(missing)} to run against a tenant"
        )


@pytest.fixture
def provider() -> Iterator[EntraProvider]:
    need("TENANT", "ADMIN_CLIENT_ID", "ADMIN_SECRET")
    settings = EntraSettings(
        tenant=ENV["AGENTCTL_ENTRA_TENANT"],
        admin_client_id=ENV["AGENTCTL_ENTRA_ADMIN_CLIENT_ID"],
        admin_credential=ClientCredential(secret=ENV["AGENTCTL_ENTRA_ADMIN_SECRET"]),
        blueprint_app_id=ENV.get("AGENTCTL_ENTRA_BLUEPRINT_ID"),
        blueprint_credential=ClientCredential(secret=ENV["AGENTCTL_ENTRA_BLUEPRINT_SECRET"])
        if ENV.get("AGENTCTL_ENTRA_BLUEPRINT_SECRET")
        else None,
    )
    with build_http_client(timeout=30) as http:
        yield EntraProvider(settings, http)


def eventually(fn: object) -> EntraExchange:
    """New credentials take seconds to minutes to work."""
    import time

    def retriable(exc: Exception) -> bool:
        return isinstance(exc, OAuthError) and bool(
            {700016, 7000215, 700027} & set(exc.details.get("aadsts", []))
        )

    return retry_propagation(fn, retriable=retriable, sleep=time.sleep, attempts=8, backoff=5)  # type: ignore[arg-type,no-any-return]


def test_live_admin_client_credentials(provider: EntraProvider) -> None:
    result = provider.exchange_agent(scope=GRAPH_DEFAULT)
    assert result.ok, [c for c in result.checks if not c.ok]
    assert result.token.claims["idtyp"] == "app"


def test_live_register_app_then_delete(provider: EntraProvider) -> None:
    reg = provider.register("app", "agentctl-live-test-app")
    try:
        result = eventually(
            lambda: provider.exchange_agent(
                scope=GRAPH_DEFAULT, client_id=reg.client_id, credential=reg.credential
            )
        )
        assert result.token.claims["oid"] == reg.service_principal_id
    finally:
        provider.delete(reg.object_id, kind="app")


def test_live_agent_identity_then_delete(provider: EntraProvider) -> None:
    need("SPONSOR")
    reg = provider.register(
        "agent-identity", "agentctl-live-test-agent", sponsors=[ENV["AGENTCTL_ENTRA_SPONSOR"]]
    )
    assert reg.blueprint is not None
    try:
        agent = EntraProvider(
            EntraSettings(
                tenant=provider.settings.tenant,
                blueprint_app_id=reg.blueprint["app_id"],
                blueprint_credential=reg.credential,
            ),
            provider.http,
        )
        result = eventually(
            lambda: agent.exchange_agent(scope=GRAPH_DEFAULT, agent_app_id=reg.client_id)
        )
        assert result.ok, [c for c in result.checks if not c.ok]
    finally:
        provider.delete(reg.blueprint["object_id"], kind="blueprint")


def test_live_agent_obo(provider: EntraProvider) -> None:
    need("BLUEPRINT_ID", "BLUEPRINT_SECRET", "AGENT_ID", "USER_TOKEN")
    result = provider.exchange_obo(
        scope="https://graph.microsoft.com/User.Read",
        user_token=ENV["AGENTCTL_ENTRA_USER_TOKEN"],
        agent_app_id=ENV["AGENTCTL_ENTRA_AGENT_ID"],
    )
    assert result.ok, [c for c in result.checks if not c.ok]
