"""`agentctl token introspect|revoke`: ask the profile's IdP about a token (RFC 7662) or to
revoke it (RFC 7009), authenticating as the chosen agent (`--agent`, else the profile's
default agent, else the profile's own client)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentctl.core.redact import fingerprint
from agentctl.errors import UsageError
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient
    from agentctl.services.exchange_modes import Agent


def _client(settings: Settings, agent: str | None) -> Agent:
    from agentctl.services.exchange import resolve_agent

    found = resolve_agent(settings, agent or settings.profile.agent)
    if found is None:
        raise UsageError(
            "introspection and revocation need a client to authenticate as, and none is set",
            hint="pass --agent NAME, or make one the default with `agentctl agent use NAME`",
        )
    return found


def _base(settings: Settings, agent: Agent, token: str, provider: Any) -> dict[str, Any]:
    return {
        "profile": settings.name.value,
        "issuer": provider.issuer,
        "agent": {"name": agent.name, "client_id": agent.client_id},
        "token": fingerprint(token),
    }


def introspect_token(
    token: str,
    *,
    settings: Settings,
    http: HttpClient,
    agent: str | None = None,
) -> Result:
    """RFC 7662: exit 0 when the IdP calls the token active, 5 when it does not."""
    from agentctl.providers.base import Capability
    from agentctl.services.exchange import make_provider

    client = _client(settings, agent)
    provider = make_provider(settings, http)
    provider.require(Capability.INTROSPECTION)
    endpoint = provider.metadata().get("introspection_endpoint")
    answer = provider.introspect(token, client=client.credential)
    data = _base(settings, client, token, provider)
    data.update(endpoint=endpoint, active=answer.active, claims=answer.claims)
    if answer.active:
        return Result(command=("token", "introspect"), data=data)
    return Result(
        command=("token", "introspect"),
        data=data,
        exit_code=ExitCode.CHECK,
        errors=[
            {
                "code": "inactive",
                "message": "the IdP says the token is not active (expired, revoked, not its "
                "own, or not a token it issued)",
            }
        ],
    )


def revoke_token(
    token: str,
    *,
    settings: Settings,
    http: HttpClient,
    agent: str | None = None,
) -> Result:
    """RFC 7009: the IdP answers 200 for a token it revoked and for one it did not know
    (§2.2), so success means "it is not usable now", not "it was valid"."""
    from agentctl.providers.base import Capability
    from agentctl.services.exchange import make_provider

    client = _client(settings, agent)
    provider = make_provider(settings, http)
    provider.require(Capability.REVOCATION)
    endpoint = provider.metadata().get("revocation_endpoint")
    provider.revoke(token, client=client.credential)
    data = _base(settings, client, token, provider)
    data.update(endpoint=endpoint, revoked=True)
    return Result(command=("token", "revoke"), data=data)


__all__ = ["introspect_token", "revoke_token"]
