"""The agent's client at a resource's authorization server: what ID-JAG leg 2 (RFC 7523
jwt-bearer) authenticates as. The ID-JAG binds the client by `client_id`, the id *at that AS*
(ID-JAG draft §3), so at an AS agentctl does not run the agent needs a registration there: its
client id and credential supplied by the user (`--as-client-id`, the secret in
AGENTCTL_AS_CLIENT_SECRET). On the same embedded IdP the agent is registered at every issuer
that trusts it, under its own id."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agentctl.errors import UsageError

if TYPE_CHECKING:
    from agentctl.providers.base import IdentityProvider
    from agentctl.services.exchange_model import Run
    from agentctl.services.exchange_modes import Agent

AS_SECRET_ENV = "AGENTCTL_AS_CLIENT_SECRET"  # noqa: S105 - a variable name


def secret_for(as_client_id: str | None) -> str | None:
    """The secret of `--as-client-id`: only ever from the environment, never an argument."""
    import os

    return (os.environ.get(AS_SECRET_ENV) or None) if as_client_id else None


def resource_client_resolver(
    as_client_id: str | None,
    as_client_secret: str | None,
    agent: Agent | None,
    idp: IdentityProvider,
    notes: list[str],
) -> Callable[[Run | None, str, IdentityProvider], Agent]:
    """The agent's client at a resource's authorization server (ID-JAG leg 2, or the agent
    mode there): the client id and secret given (--as-client-id), else the agent's own
    client when that AS is on the same embedded IdP (it registers agents at every issuer
    that trusts it), else the agent's own client, said plainly."""
    from agentctl.providers.base import Credential
    from agentctl.services.exchange_modes import Agent

    def resolve(run: Run | None, as_issuer: str, _as_provider: IdentityProvider) -> Agent:
        if as_client_id:
            method = "client_secret_basic" if as_client_secret else "none"
            cred = Credential(client_id=as_client_id, method=method, secret=as_client_secret)
            return Agent(f"{agent.name if agent else 'client'}@{as_issuer}", cred)
        if agent is None:
            raise UsageError(
                f"a token from {as_issuer} needs an agent (a client there)",
                hint="pass --agent NAME, or --as-client-id ID for its client at that AS",
            )
        if not _sibling(idp.issuer, as_issuer) and idp.kind != "local":
            notes.append(
                f"presenting the agent's IdP client id {agent.client_id} at {as_issuer}: no "
                "registration there is known (--as-client-id gives one)"
            )
        return agent

    return resolve


def _sibling(issuer: str | None, other: str) -> bool:
    """Both issuers on one embedded-IdP server (`<base>/i/<name>`)."""
    if not issuer:
        return False
    base, sep, _ = issuer.rstrip("/").rpartition("/i/")
    obase, osep, _ = other.rstrip("/").rpartition("/i/")
    return bool(sep and osep and base == obase)


__all__ = ["AS_SECRET_ENV", "resource_client_resolver", "secret_for"]
