from __future__ import annotations

import pytest

from agentctl.oauth.dryrun import DryRunStop, dry_run_client
from agentctl.providers.base import AgentSpec
from agentctl.providers.oidc import OidcProvider


@pytest.mark.peer
def test_dry_run_reads_metadata_but_does_not_register(oidc_peer: str) -> None:
    idp = OidcProvider.discover(dry_run_client(), oidc_peer)  # discovery goes through
    with pytest.raises(DryRunStop) as info:
        idp.register_agent(AgentSpec(name="never-created", scopes=("api:read",)))
    event = info.value.event
    assert (event.method, event.url) == ("POST", oidc_peer + "/reg")
    assert event.body["client_name"] == "never-created"
    assert event.body["token_endpoint_auth_method"] == "client_secret_basic"
