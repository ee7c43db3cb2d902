"""`agentctl exchange` on a Microsoft Entra profile: Entra's own flows behind the same modes.

- agent: classic client credentials (an app registration, or the profile's admin app), or the
  Agent ID legs for an agent identity (T1 with `fmi_path`, then client credentials with T1).
- obo: classic OBO (jwt-bearer, `requested_token_use=on_behalf_of`) with a user token whose
  audience is the app, or Agent ID OBO (T1, then OBO as the agent identity) with a user token
  signed in for the blueprint (`api://<blueprint>/access_agent`).
- user: device-code sign-in, then the user's token for the target scope.
- agent-user: the agent identity as its own agent user (T1, T2, then `user_fic`); the agent
  user is the one `register --agent-user` created.

Each EntraExchange (legs, checks in Entra's terms, notes on where Entra differs from RFC 8693)
becomes a Run, so the output and the JSON contract are those of every other IdP.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agentctl.errors import AgentctlError, ConfigError, UsageError
from agentctl.providers.base import Capability
from agentctl.services.exchange_model import Run, Step, make_token

if TYPE_CHECKING:
    from agentctl.config.resolve import Settings
    from agentctl.http_types import HttpClient
    from agentctl.providers.entra import EntraExchange, EntraProvider
    from agentctl.services.exchange import ExchangeOptions, Hooks

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
GRAPH_USER_READ = "https://graph.microsoft.com/User.Read"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclasses.dataclass(frozen=True)
class EntraAgent:
    """Who acts: an agent identity (Agent ID), or an app with its own credential, or neither
    (the profile's admin app)."""

    name: str | None = None
    agent_app_id: str | None = None  # an agent identity's appId
    agent_object_id: str | None = None
    agent_user: str | None = None  # the UPN of its agent user, if it has one
    client_id: str | None = None  # a classic app
    credential: Any = None  # ClientCredential of the app, or of the blueprint


def resolve_entra_agent(settings: Settings, name: str | None) -> tuple[EntraAgent, dict[str, Any]]:
    """(the agent, blueprint overrides for the provider settings)."""
    from agentctl.providers.entra import credential_from

    if not name:
        return EntraAgent(), {}
    from agentctl.services.agents import load_agent

    try:
        record, cred = load_agent(settings, name)
    except ConfigError:
        if _GUID.match(name):  # an agent identity's appId, signed for by the profile's blueprint
            return EntraAgent(name=name, agent_app_id=name), {}
        raise
    extra = dict(record.extra)
    if record.credential_type == "entra-agent-identity" or extra.get("entra_kind") == (
        "agent-identity"
    ):
        blueprint = extra.get("blueprint") if isinstance(extra.get("blueprint"), dict) else {}
        overrides: dict[str, Any] = {"blueprint_credential": credential_from(cred)}
        bp_app = (blueprint or {}).get("app_id") or cred.client_id
        if bp_app:
            overrides["blueprint_app_id"] = bp_app
        return (
            EntraAgent(
                name=record.name,
                agent_app_id=record.client_id,
                agent_object_id=extra.get("object_id"),
                agent_user=(extra.get("agent_user") or {}).get("upn")
                if isinstance(extra.get("agent_user"), dict)
                else None,
            ),
            overrides,
        )
    return (
        EntraAgent(name=record.name, client_id=record.client_id, credential=credential_from(cred)),
        {},
    )


def _provider(settings: Settings, http: HttpClient, overrides: dict[str, Any]) -> EntraProvider:
    from agentctl.providers.entra import EntraProvider
    from agentctl.services.exchange import make_provider

    provider = make_provider(settings, http)
    if not isinstance(provider, EntraProvider):
        raise ConfigError(f"profile {settings.name.value} is not an Entra profile")
    if overrides:
        provider = EntraProvider(dataclasses.replace(provider.settings, **overrides), http)
    return provider


def run_entra(
    opts: ExchangeOptions,
    *,
    settings: Settings,
    http: HttpClient,
    now: Callable[[], datetime],
    hooks: Hooks,
) -> tuple[list[Run], dict[str, Any]]:
    agent, overrides = resolve_entra_agent(settings, opts.agent)
    provider = _provider(settings, http, overrides)
    header: dict[str, Any] = {
        "profile": settings.name.value,
        "provider": "entra",
        "issuer": provider.issuer,
        "agent": {
            "name": agent.name,
            "client_id": agent.agent_app_id or agent.client_id or provider.settings.admin_client_id,
            "agent_identity": agent.agent_app_id is not None,
        },
        "user": None,
    }
    if opts.via == "id-jag":
        provider.require(Capability.ID_JAG)  # Entra issues no ID-JAG: UnsupportedError (8)
    if opts.user:
        raise UsageError(
            "--user is the embedded IdP's sign-in shortcut; Entra signs users in by device code",
            hint="omit --user (a code and a URL are shown), or pass --subject-token",
        )
    modes = ("agent", "user", "obo") if opts.mode == "all" else (str(opts.mode),)
    runner = _EntraRunner(provider, agent, opts, now=now, hooks=hooks, settings=settings)
    return [runner.run(mode) for mode in modes], header


class _EntraRunner:
    def __init__(
        self,
        provider: EntraProvider,
        agent: EntraAgent,
        opts: ExchangeOptions,
        *,
        now: Callable[[], datetime],
        hooks: Hooks,
        settings: Settings | None = None,
    ) -> None:
        self.provider = provider
        self.agent = agent
        self.opts = opts
        self.now = now
        self.hooks = hooks
        self.settings = settings  # where the agent's kept OBO session lives

    def scope(self, mode: str) -> str:
        if self.opts.scope:
            return self.opts.scope
        if self.opts.resource:  # Entra ignores resource/audience; the scope names the target
            return f"{self.opts.resource[0].rstrip('/')}/.default"
        return GRAPH_DEFAULT if mode == "agent" else GRAPH_USER_READ  # agent-user: delegated

    def run(self, mode: str) -> Run:
        run = Run(mode, "", provider="entra")
        if self.opts.audience:
            run.notes.append(
                "Entra ignores audience (and resource): the target is named by the scope"
            )
        try:
            exchange = self._exchange(mode, run)
        except AgentctlError as exc:
            run.steps.append(Step(f"Entra {mode} flow", outcome="error", error=exc.to_item()))
            run.error = exc
            return run
        self._fill(run, exchange)
        return run

    def _prompt(self) -> Callable[[Any], None]:
        prompt = self.hooks.prompt
        return prompt if prompt is not None else (lambda _flow: None)

    def _exchange(self, mode: str, run: Run) -> EntraExchange:
        scope = self.scope(mode)
        agent = self.agent
        if mode == "agent":
            if agent.agent_app_id:
                return self.provider.exchange_agent(
                    scope=scope,
                    agent_app_id=agent.agent_app_id,
                    agent_object_id=agent.agent_object_id,
                )
            return self.provider.exchange_agent(
                scope=scope, client_id=agent.client_id, credential=agent.credential
            )
        if mode == "agent-user":
            if not agent.agent_app_id or not agent.agent_user:
                raise UsageError(
                    "mode agent-user needs an agent identity with an agent user",
                    hint="`agentctl register NAME --kind agent-identity --agent-user UPN`",
                )
            return self.provider.exchange_agent_user(
                scope=scope, agent_app_id=agent.agent_app_id, user_upn=agent.agent_user
            )
        if mode == "user":
            if self.opts.subject_token:
                raise UsageError(
                    "on Entra, mode user signs the user in by device code",
                    hint="omit --subject-token; `agentctl inspect` explains a token you have",
                )
            return self.provider.exchange_user(scope=scope, prompt=self._prompt())
        user_token = self.opts.subject_token
        if agent.agent_app_id:
            if user_token is None:
                kept = self._from_session(scope, run)
                if kept is not None:
                    return kept
                sign_in = self.provider.exchange_user(
                    scope=self.provider.blueprint_user_scope(), prompt=self._prompt()
                )
                self._legs(run, sign_in, label="user sign-in for the blueprint")
                user_token = sign_in.token.access_token
            exchange = self.provider.exchange_obo(
                scope=scope, user_token=user_token, agent_app_id=agent.agent_app_id
            )
            self._keep_session(exchange, run)
            return exchange
        if user_token is None:
            raise UsageError(
                "classic on-behalf-of needs the user's token for this app (aud = the app)",
                hint="pass --subject-token, or --agent <an agent identity> for Agent ID OBO",
            )
        return self.provider.exchange_obo(
            scope=scope,
            user_token=user_token,
            client_id=agent.client_id,
            credential=agent.credential,
        )

    # Agent OBO keeps the refresh token Entra returns (offline_access) in the agent's secret
    # store entry, and the next obo without --subject-token uses it (grant_type=refresh_token
    # with T1 as client assertion) instead of a new device sign-in. A refused refresh token is
    # dropped and the user signs in again.

    def _from_session(self, scope: str, run: Run) -> EntraExchange | None:
        from agentctl.services import agents as store

        agent = self.agent
        if self.settings is None or not agent.name or not agent.agent_app_id:
            return None
        session = store.load_agent_session(self.settings, agent.name)
        if not session or session.get("agent") != agent.agent_app_id:
            return None
        user = str(session.get("user") or "")
        try:
            exchange = self.provider.exchange_obo_refresh(
                scope=scope,
                refresh_token=str(session.get("refresh_token") or ""),
                agent_app_id=agent.agent_app_id,
                user_oid=user,
            )
        except AgentctlError as exc:
            store.keep_agent_session(self.settings, agent.name, None)
            run.notes.append(
                f"the refresh token kept for user {user} was refused ({exc.message}); "
                "signing the user in again"
            )
            return None
        run.notes.append(
            f"no sign-in: used the refresh token kept for user {user} in agent {agent.name}'s "
            "secret-store entry (pass --subject-token to act for another user)"
        )
        self._keep_session(exchange, run)
        return exchange

    def _keep_session(self, exchange: EntraExchange, run: Run) -> None:
        from agentctl.services import agents as store

        agent, token = self.agent, exchange.token
        if self.settings is None or not agent.name or not token.refresh_token:
            return
        session = {
            "agent": agent.agent_app_id,
            "user": str(token.claims.get("oid") or ""),
            "refresh_token": token.refresh_token,
        }
        try:
            kept = store.keep_agent_session(self.settings, agent.name, session)
        except AgentctlError as exc:  # an unusable store must not undo a token we have
            run.notes.append(f"the refresh token was not kept: {exc.message}")
            return
        if kept:
            run.notes.append(
                f"kept the refresh token in agent {agent.name}'s secret-store entry: the next "
                "obo needs no sign-in"
            )

    def _legs(self, run: Run, exchange: EntraExchange, *, label: str = "") -> None:
        for leg in exchange.legs:
            token = leg.token
            detail = f"as {leg.client_id}"
            if token.expires_in is not None:
                detail += f", expires in {token.expires_in} s"
            if token.scope:
                detail += f", scope {token.scope}"
            run.steps.append(
                Step(
                    f"{label}: {leg.name}" if label else leg.name,
                    grant=leg.grant_type,
                    endpoint=leg.endpoint,
                    detail=detail,
                )
            )
            if leg.token is not exchange.token:
                run.tokens.append(
                    make_token(
                        leg.name, token.access_token, now=self.now(), expires_in=token.expires_in
                    )
                )

    def _fill(self, run: Run, exchange: EntraExchange) -> None:
        run.flow = exchange.flow
        self._legs(run, exchange)
        final = exchange.token
        run.tokens.append(
            make_token(
                "access token",
                final.access_token,
                now=self.now(),
                token_type=final.token_type,
                expires_in=final.expires_in,
                scope=final.scope,
            )
        )
        run.add_checks("access token", list(exchange.checks))
        run.notes.extend(exchange.notes)


__all__ = ["EntraAgent", "resolve_entra_agent", "run_entra"]
