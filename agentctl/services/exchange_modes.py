"""The modes of `agentctl exchange` on any IdentityProvider (embedded IdP, generic OIDC).

- agent: client credentials as the agent (RFC 6749 §4.4). Checks: `sub` is the agent, no `act`.
- user: the user's own token (embedded sign-in shortcut, device authorization, or given), then
  RFC 8693 impersonation when a target is asked for. Checks: `sub` is the user, no `act`.
- obo: RFC 8693 delegation, subject = the user's token, actor = the agent's own token. Checks:
  `sub` user, `act.sub` agent, audience, scopes not widened, lifetime within the subject's.
- id-jag: ID-JAG from the IdP (subject = the user's ID token), then RFC 7523 jwt-bearer at the
  resource's authorization server found through RFC 9728 metadata.

Every request is a Step; an AgentctlError marks its step and stops the run (not the command).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from agentctl.core import checks as ck
from agentctl.errors import AgentctlError, OAuthError, UsageError
from agentctl.oauth import client as oc
from agentctl.oauth.tokens import TokenSet
from agentctl.providers.base import Capability, Credential
from agentctl.services.exchange_model import Run, Step, TokenInfo, make_token

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient
    from agentctl.oauth.device import DeviceAuthorization
    from agentctl.providers.base import IdentityProvider

T = TypeVar("T")
ADMIN_GRANT = "urn:agentctl:grant-type:admin-user-token"  # the embedded IdP's sign-in shortcut
ID_JAG_PROFILE = "urn:ietf:params:oauth:grant-profile:id-jag"
USER_SCOPE = "openid profile email"
GIVEN = "given"


@dataclass(frozen=True)
class Targets:
    """Where the exchanged token should be usable: RFC 8707 resources, RFC 8693 audiences, scope."""

    resource: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    scope: str | None = None

    @property
    def asked(self) -> bool:
        return bool(self.resource or self.audience)


@dataclass(frozen=True)
class Agent:
    """The agent an exchange runs as: its name and the credential it authenticates with."""

    name: str
    credential: Credential

    @property
    def client_id(self) -> str:
        return self.credential.client_id


class Runner:
    """Runs modes against one provider, reusing the user's sign-in across modes (`--mode all`
    signs the user in once)."""

    def __init__(
        self,
        provider: IdentityProvider,
        http: HttpClient,
        *,
        now: Callable[[], datetime],
        agent: Agent | None,
        targets: Targets,
        user: str | None = None,
        password: Callable[[], str] | None = None,
        prompt: Callable[[DeviceAuthorization], None] | None = None,
        subject_token: str | None = None,
        actor_token: str | None = None,
        embedded_sign_in: bool = False,
        resource_client: Callable[[Run, str, IdentityProvider], Agent] | None = None,
        stop_after_id_jag: bool = False,
        signer: IdentityProvider | None = None,
        signer_agent: Agent | None = None,
    ) -> None:
        self.provider = provider
        # Where the user signs in: the profile's IdP, also when the tokens are asked of
        # another authorization server (`agentctl mcp` at a resource's AS).
        self.signer = signer or provider
        self.signer_agent = signer_agent  # the agent's client at the signer, when it differs
        self.http = http
        self.now = now
        self.agent = agent
        self.targets = targets
        self.user = user
        self.password = password
        self.prompt = prompt
        self.subject_token = subject_token
        self.actor_token = actor_token
        self.embedded_sign_in = embedded_sign_in
        # The agent's registration at a resource's authorization server (ID-JAG leg 2): the
        # agent itself unless the caller knows better (a registration made at that AS).
        self.resource_client = resource_client
        self.stop_after_id_jag = stop_after_id_jag  # hand the ID-JAG out, do not redeem it
        self._prm: dict[str, dict[str, Any] | AgentctlError] = {}
        self._signed_in: TokenSet | None = None
        self._sign_in_steps: list[Step] = []

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def token_endpoint(self) -> str | None:
        value = self.provider.metadata().get("token_endpoint")
        return value if isinstance(value, str) else None

    def expected_target(self) -> str | None:
        """The audience the token should carry: the first resource/audience asked for, else
        the IdP's advertised protected resource (RFC 9728 §4 `protected_resources`), else None."""
        if self.targets.resource:
            return self.targets.resource[0]
        if self.targets.audience:
            return self.targets.audience[0]
        listed = self.provider.metadata().get("protected_resources")
        if isinstance(listed, list) and listed and isinstance(listed[0], str):
            return listed[0]
        return None

    def _need_agent(self, why: str) -> Agent:
        if self.agent is None:
            raise UsageError(
                f"{why} needs an agent",
                hint="pass --agent NAME (`agentctl agent list`; `agentctl demo` creates "
                "demo-agent), or set the profile's client id",
            )
        return self.agent

    def step(
        self,
        run: Run,
        name: str,
        call: Callable[[], T],
        *,
        grant: str | None = None,
        endpoint: str | None = None,
    ) -> T:
        step = Step(name, grant=grant, endpoint=endpoint)
        run.steps.append(step)
        try:
            result = call()
        except AgentctlError as exc:
            step.outcome = "error"
            _better_hint(exc, self)
            step.error = exc.to_item()
            raise
        if isinstance(result, TokenSet):
            step.detail = _issued(result)
        return result

    def exchange_step(
        self, run: Run, label: str, req: oc.ExchangeRequest, agent: Agent
    ) -> TokenSet:
        """One RFC 8693 request at the IdP's token endpoint, authenticated as the agent."""
        return self.step(
            run,
            label,
            lambda: self.provider.exchange(req, client=agent.credential),
            grant=oc.GRANT_TOKEN_EXCHANGE,
            endpoint=self.token_endpoint,
        )

    def token(self, run: Run, label: str, ts: TokenSet) -> TokenInfo:
        info = make_token(
            label,
            ts.access_token,
            now=self.now(),
            token_type=ts.token_type or None,
            issued_token_type=ts.issued_token_type,
            expires_in=ts.expires_in,
            scope=ts.scope,
        )
        run.tokens.append(info)
        return info

    def guarded(self, run: Run, body: Callable[[Run], None]) -> Run:
        try:
            body(run)
        except AgentctlError as exc:
            run.error = exc
        return run

    # -- the user's sign-in -----------------------------------------------------------------

    def sign_in(self, run: Run) -> TokenSet:
        """The user's tokens: given, the embedded IdP's loopback shortcut, or RFC 8628."""
        if self._signed_in is not None:
            run.steps.extend(
                Step(s.name, s.grant, s.endpoint, "reused", s.detail) for s in self._sign_in_steps
            )
            return self._signed_in
        before = len(run.steps)
        if self.subject_token:
            run.steps.append(
                Step("the user's token (--subject-token)", outcome="given", detail="not verified")
            )
            ts = TokenSet(access_token=self.subject_token, token_type=GIVEN)
        elif self.user is not None:
            ts = self._embedded_sign_in(run, self.user)
        else:
            ts = self._device_sign_in(run)
        self._signed_in = ts
        self._sign_in_steps = run.steps[before:]
        return ts

    def _embedded_sign_in(self, run: Run, user: str) -> TokenSet:
        if not self.embedded_sign_in:
            raise UsageError(
                "--user signs in through the embedded IdP's loopback shortcut; this profile's "
                "IdP signs users in by device authorization",
                hint="omit --user (you will get a code and a URL), or pass --subject-token",
            )
        agent = self.signer_agent or self._need_agent("signing the user in")
        if self.password is None:
            raise UsageError("no password source for --user")
        issuer = self.signer.issuer or ""
        endpoint = issuer.rstrip("/") + "/admin/user-token"
        password = self.password()

        def call() -> TokenSet:
            user_tokens = getattr(self.signer, "user_tokens", None)
            if callable(user_tokens):
                result = user_tokens(user, password, client=agent.credential, scope=None)
                if isinstance(result, TokenSet):
                    return result
            form = [("username", user), ("password", password), ("client_id", agent.client_id)]
            return oc.token_request(self.http, endpoint, form, None)

        return self.step(
            run,
            f"sign {user} in (embedded IdP, loopback only)",
            call,
            grant=ADMIN_GRANT,
            endpoint=endpoint,
        )

    def _device_sign_in(self, run: Run) -> TokenSet:
        agent = self.signer_agent or self._need_agent("device sign-in")
        self.signer.require(Capability.DEVICE_AUTHORIZATION)
        if getattr(self.signer, "in_process", False):
            # Nobody could open the verification page: the in-process IdP serves no one else.
            raise UsageError(
                "the in-process embedded IdP has no sign-in page to open in a browser",
                hint="pass --user NAME (its loopback sign-in), or run `agentctl idp serve` and "
                "use a profile with its URL for device sign-in",
            )
        md = self.signer.metadata()
        scope = " ".join(dict.fromkeys([*USER_SCOPE.split(), *(self.targets.scope or "").split()]))
        started = self.step(
            run,
            "start device authorization (RFC 8628)",
            lambda: self.signer.start_device_authorization(client=agent.credential, scope=scope),
            endpoint=str(md.get("device_authorization_endpoint") or ""),
        )
        if self.prompt is not None:
            self.prompt(started)
        return self.step(
            run,
            "wait for the user to approve (RFC 8628 polling)",
            lambda: self.signer.poll_device_token(started, client=agent.credential),
            grant=oc.GRANT_DEVICE_CODE,
            endpoint=str(md.get("token_endpoint") or ""),
        )

    # -- modes ------------------------------------------------------------------------------

    def agent_token(self, run: Run, *, targets: Targets, name: str) -> TokenSet:
        agent = self._need_agent("client credentials")
        return self.step(
            run,
            name,
            lambda: self.provider.client_credentials(
                agent.credential,
                scope=targets.scope,
                resource=targets.resource,
                audience=targets.audience,
            ),
            grant=oc.GRANT_CLIENT_CREDENTIALS,
            endpoint=self.token_endpoint,
        )

    def run_agent(self) -> Run:
        run = Run("agent", "client credentials (RFC 6749 §4.4)", provider=self.provider.kind)

        def body(run: Run) -> None:
            agent = self._need_agent("mode agent")
            ts = self.agent_token(run, targets=self.targets, name="client credentials as the agent")
            tok = self.token(run, "access token", ts)
            checks = ck.check_agent(tok.payload, agent_ids={agent.client_id})
            target = self.expected_target()
            if target:
                checks.append(audience_check(tok.payload, target))
            run.add_checks(tok.label, checks)
            self.resource_view(run, tok)

        return self.guarded(run, body)

    def run_user(self) -> Run:
        flow = (
            "RFC 8693 impersonation of the user's token"
            if self.targets.asked
            else "the user's own token (no target asked: no exchange)"
        )
        run = Run("user", flow, provider=self.provider.kind)

        def body(run: Run) -> None:
            if self.targets.asked:  # refuse before the user signs in for nothing
                self.provider.require(Capability.TOKEN_EXCHANGE)
            signed = self.sign_in(run)
            subject = self.token(run, "user token", signed)
            final = subject
            if self.targets.asked:
                agent = self._need_agent("impersonation")
                req = oc.ExchangeRequest(
                    subject_token=signed.access_token,
                    subject_token_type=oc.TOKEN_TYPE_ACCESS,
                    resource=self.targets.resource,
                    audience=self.targets.audience,
                    scope=self.targets.scope,
                )
                ts = self.exchange_step(
                    run,
                    "exchange the user's token as the agent, no actor (impersonation)",
                    req,
                    agent,
                )
                final = self.token(run, "exchanged token", ts)
            target = self.expected_target() if self.targets.asked else None
            run.add_checks(
                final.label,
                ck.check_user(
                    final.payload, user_ids=self.user_ids(subject.payload), audience=target
                ),
            )
            if self.targets.asked:
                self.resource_view(run, final)

        return self.guarded(run, body)

    def run_obo(self) -> Run:
        run = Run("obo", "RFC 8693 delegation (subject + actor)", provider=self.provider.kind)

        def body(run: Run) -> None:
            agent = self._need_agent("mode obo")
            self.provider.require(Capability.TOKEN_EXCHANGE_ACTOR)
            signed = self.sign_in(run)
            subject = self.token(run, "user token", signed)
            if self.actor_token:
                run.steps.append(
                    Step(
                        "the agent's token (--actor-token)", outcome="given", detail="not verified"
                    )
                )
                actor_raw = self.actor_token
            else:
                actor_ts = self.agent_token(
                    run, targets=Targets(), name="actor token: client credentials as the agent"
                )
                self.token(run, "actor token", actor_ts)
                actor_raw = actor_ts.access_token
            req = oc.ExchangeRequest(
                subject_token=signed.access_token,
                subject_token_type=oc.TOKEN_TYPE_ACCESS,
                actor_token=actor_raw,
                actor_token_type=oc.TOKEN_TYPE_ACCESS,
                resource=self.targets.resource,
                audience=self.targets.audience,
                scope=self.targets.scope,
            )
            ts = self.exchange_step(
                run,
                "exchange: subject = the user's token, actor = the agent's (delegation)",
                req,
                agent,
            )
            final = self.token(run, "delegated token", ts)
            agent_ids = {agent.client_id}
            actor_sub = make_token("actor", actor_raw, now=self.now()).payload.get("sub")
            if isinstance(actor_sub, str):
                agent_ids.add(actor_sub)
            run.add_checks(
                final.label,
                ck.check_obo(
                    final.payload,
                    user_ids=self.user_ids(subject.payload),
                    agent_ids=agent_ids,
                    audience=self.expected_target(),
                    subject_payload=subject.payload,
                ),
            )
            self.resource_view(run, final)

        return self.guarded(run, body)

    def run_id_jag(self, resource: str) -> Run:
        """Leg 1 at the profile's IdP, leg 2 at the authorization server the resource names in
        its RFC 9728 metadata, as the agent's client *there* (the ID-JAG binds it by
        `client_id`). With `stop_after_id_jag`, the ID-JAG is checked and handed out."""
        from agentctl.providers.oidc import OidcProvider

        run = Run(
            "id-jag",
            "ID-JAG at the IdP, then jwt-bearer at the resource's authorization server",
            provider=self.provider.kind,
        )

        def body(run: Run) -> None:
            agent = self._need_agent("the ID-JAG path")
            self.provider.require(Capability.ID_JAG)
            signed = self.sign_in(run)
            id_token = signed.id_token or (signed.access_token if self.subject_token else None)
            if not id_token:
                raise UsageError(
                    "the sign-in returned no ID token, and an ID-JAG needs one",
                    hint="sign in with the openid scope, or pass the ID token as --subject-token",
                )
            self.token(
                run, "ID token", TokenSet(id_token, "N_A", issued_token_type=oc.TOKEN_TYPE_ID)
            )
            prm = self.step(
                run,
                "find the resource's authorization server (RFC 9728 metadata)",
                lambda: self.protected_resource_metadata(resource),
                endpoint=resource,
            )
            servers = prm.get("authorization_servers")
            if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
                raise UsageError(
                    f"the protected resource metadata of {resource} names no authorization server"
                )
            as_issuer = servers[0]
            resource_id = str(prm.get("resource") or resource)
            run.steps[-1].detail = f"authorization server: {as_issuer}"
            resource_as = self.step(
                run,
                "read the resource authorization server's metadata",
                lambda: OidcProvider.discover(self.http, as_issuer),
                endpoint=as_issuer,
            )
            profiles = resource_as.metadata().get("authorization_grant_profiles_supported")
            if not (isinstance(profiles, list) and ID_JAG_PROFILE in profiles):
                run.notes.append(
                    f"{as_issuer} does not advertise {ID_JAG_PROFILE} "
                    "(authorization_grant_profiles_supported); trying the jwt-bearer grant anyway"
                )
            client = (
                self.resource_client(run, as_issuer, resource_as)
                if self.resource_client is not None
                else agent
            )
            req = oc.ExchangeRequest(
                subject_token=id_token,
                subject_token_type=oc.TOKEN_TYPE_ID,
                requested_token_type=oc.TOKEN_TYPE_ID_JAG,
                audience=(as_issuer,),
                resource=(resource_id,),
                scope=self.targets.scope,
            )
            ts = self.exchange_step(
                run, "ID-JAG from the IdP (token exchange, requested_token_type id-jag)", req, agent
            )
            jag = self.token(run, "ID-JAG", ts)
            run.add_checks(
                jag.label,
                ck.check_id_jag(
                    jag.header,
                    jag.payload,
                    resource_issuer=as_issuer,
                    client_id=client.client_id,
                    resource=resource_id,
                ),
            )
            if jag.payload.get("client_id") != client.client_id:
                run.notes.append(
                    f"the ID-JAG names client {jag.payload.get('client_id')!r}, but the agent is "
                    f"{client.client_id!r} at {as_issuer}: the IdP must know the agent's client "
                    "id there (its administrator maps it), or the AS refuses the ID-JAG"
                )
            if self.stop_after_id_jag:
                run.notes.append(
                    f"stopped after leg 1: the ID-JAG is for {client.client_id} to redeem at "
                    f"{resource_as.metadata().get('token_endpoint') or as_issuer} "
                    "(RFC 7523 jwt-bearer, with its credential there)"
                )
                return
            try:
                final_ts = self.step(
                    run,
                    "access token at the resource AS (RFC 7523 jwt-bearer with the ID-JAG)",
                    lambda: resource_as.jwt_bearer(
                        ts.access_token, client=client.credential, scope=self.targets.scope
                    ),
                    grant=oc.GRANT_JWT_BEARER,
                    endpoint=str(resource_as.metadata().get("token_endpoint") or as_issuer),
                )
            except OAuthError as exc:
                if exc.error == "invalid_client":
                    exc.hint = (
                        f"the agent is not a client of {as_issuer} as {client.client_id}: it "
                        "needs a registration there (the ID-JAG binds it by client_id); pass "
                        "its client id there with --as-client-id (secret in "
                        "AGENTCTL_AS_CLIENT_SECRET), and on the embedded IdP record it with "
                        "`agentctl idp agents set AGENT --id-jag-client-id AS=ID`"
                    )
                    run.steps[-1].error = exc.to_item()
                raise
            final = self.token(run, "access token (resource AS)", final_ts)
            checks = ck.check_user(
                final.payload, user_ids=_ids(jag.payload.get("sub")), audience=resource_id
            )
            checks.append(
                ck.Check(
                    "client_id is the agent",
                    final.payload.get("client_id") == client.client_id,
                    client.client_id,
                    str(final.payload.get("client_id", "(absent)")),
                    "RFC 9068 §2.2",
                )
            )
            run.add_checks(final.label, checks)
            self.resource_view(run, final, resource_id)

        return self.guarded(run, body)

    # -- the resource's view (RFC 9728) -------------------------------------------------------

    def know_resource(self, resource: str, metadata: dict[str, Any]) -> None:
        """Metadata the caller already read (`agentctl mcp` reads it first)."""
        self._prm[resource] = metadata

    def protected_resource_metadata(self, resource: str) -> dict[str, Any]:
        """RFC 9728 metadata of `resource`, fetched once per run of the command."""
        from agentctl.oauth.discovery import fetch_protected_resource_metadata

        cached = self._prm.get(resource)
        if cached is None:
            try:
                cached = fetch_protected_resource_metadata(self.http, resource)
            except AgentctlError as exc:
                cached = exc  # `--mode all` asks three times; the answer will not change
            self._prm[resource] = cached
        if isinstance(cached, AgentctlError):
            raise cached
        return cached

    def resource_view(self, run: Run, token: TokenInfo, resource: str | None = None) -> None:
        """Would the resource take `token`? When it publishes RFC 9728 metadata: the token's
        issuer must be one of its authorization servers and its audience the resource's id.
        A resource that publishes none (or cannot be reached) is not checked, and said so."""
        target = resource or (self.targets.resource[0] if self.targets.resource else None)
        if not target or not target.startswith(("https://", "http://")):
            return
        url = target
        try:
            prm = self.protected_resource_metadata(target)
        except AgentctlError as exc:
            run.notes.append(
                f"the resource's own view is not checked: {exc.message}"
                if "publishes no protected resource metadata" in exc.message
                else f"the resource's own view is not checked ({url}: {exc.message})"
            )
            return
        servers = [s for s in prm.get("authorization_servers") or [] if isinstance(s, str)]
        resource_id = str(prm.get("resource") or target)
        checks = ck.check_resource_view(
            token.payload, resource=resource_id, authorization_servers=servers
        )
        run.add_checks(token.label, checks)
        if not checks[0].ok and servers:
            run.notes.append(
                f"{resource_id} takes tokens only from {' or '.join(servers)} (its RFC 9728 "
                f"metadata); get one there: `agentctl mcp {resource_id} --mode "
                f"{'agent' if run.mode == 'agent' else 'id-jag'}`, or `agentctl exchange "
                f"--via id-jag --resource {resource_id}`"
            )

    # -- helpers ----------------------------------------------------------------------------

    def user_ids(self, subject_payload: dict[str, Any]) -> set[str]:
        """Who counts as the user: `--user NAME`, else the `sub` of the user's token — unless
        that token names the agent itself, which is no user at all."""
        if self.user:
            return {self.user}
        sub = subject_payload.get("sub")
        agent_ids = {self.agent.client_id} if self.agent else set()
        not_agent = subject_payload.get("sub_profile") not in ("ai_agent", "service")
        if isinstance(sub, str) and sub and sub not in agent_ids and not_agent:
            return {sub}
        return {f"a user (the subject token names {sub or 'nobody'}, not a user)"}

    def call_resource(self, run: Run, url: str, token: str) -> None:
        """Present `token` to the demo resource and keep what it says it sees."""
        from agentctl.oauth.transport import send

        def call() -> dict[str, Any]:
            response = send(self.http, "GET", url, headers={"Authorization": f"Bearer {token}"})
            try:
                body = response.json()
            except ValueError:
                body = {"error": f"HTTP {response.status_code}, not JSON"}
            if not isinstance(body, dict):
                body = {"error": "not a JSON object"}
            body.setdefault("status", response.status_code)
            return body

        view = self.step(run, "present the token to the protected resource", call, endpoint=url)
        run.resource_view = view
        run.steps[-1].detail = str(view.get("audit") or view.get("error_description") or "")
        if view.get("status") != 200:
            run.steps[-1].outcome = "refused"


def audience_check(payload: dict[str, Any], target: str) -> ck.Check:
    aud = ck.audiences(payload)
    return ck.Check(
        "audience is the target", target in aud, target, " ".join(aud) or "(absent)", "RFC 8707"
    )


def _ids(value: Any) -> set[str]:
    return {value} if isinstance(value, str) and value else {"(the ID-JAG's sub)"}


def _issued(ts: TokenSet) -> str:
    parts = [f"issued {ts.issued_token_type or ts.token_type or 'token'}"]
    if ts.expires_in is not None:
        parts.append(f"expires in {ts.expires_in} s")
    if ts.scope:
        parts.append(f"scope {ts.scope}")
    return ", ".join(parts)


def _better_hint(exc: AgentctlError, runner: Runner) -> None:
    """Name the next step for the refusals a user meets most on the way through the modes."""
    if not isinstance(exc, OAuthError):
        return
    text = (exc.description or "").lower()
    agent = runner.agent.name if runner.agent else "AGENT"
    user = runner.user or "USER"
    if "has not allowed this client" in text:
        exc.hint = (
            f"the user must allow the agent first: `agentctl idp grant {user} {agent}` "
            "(or a token whose may_act names the agent)"
        )
    elif exc.error == "invalid_target":
        # Registering again does not help: what an agent may target is the administrator's
        # policy (clients cannot assert it, RFC 7591), at the issuer that refused.
        exc.hint = (
            "the IdP does not let this agent ask for that audience/resource; its administrator "
            f"allows it (embedded IdP: `agentctl idp agents set {agent} --audience URL`, or "
            "`agentctl idp resources --issuer NAME --add URL` for a resource that issuer "
            "serves), or omit --resource/--audience"
        )


__all__ = ["ADMIN_GRANT", "Agent", "Runner", "Targets", "audience_check"]
