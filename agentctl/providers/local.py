"""The embedded IdP as a provider: in-process by default, or a running `agentctl idp serve`.

Protocol calls (client credentials, token exchange, jwt-bearer, introspection, revocation) go
over HTTP exactly as for any OIDC provider (this class is an OidcProvider), through the client
the caller hands in: the CLI gives an in-process WSGI client for the embedded IdP and a network
client for a URL. What differs is administration:

- in-process, agents are created, rotated and deleted through `IdpService` (so an agent gets a
  sponsor, allowed audiences and scopes, whom it may act for, and is registered at the resource
  issuer `mcp-as` too, under the same client id, for the ID-JAG path);
- against a URL, agents are registered by RFC 7591 with agentctl's extension members
  (`sub_profile: ai_agent`, `sponsor`, `description`, `may_act_for`, `allowed_audiences`) and
  managed by RFC 7592 with the registration access token.

`user_tokens` uses the admin sign-in route (`POST <issuer>/admin/user-token`): loopback only,
on only when the server allows it, with the admin credential from the IdP's data dir.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from agentctl.errors import ProviderError, UnsupportedError, UsageError
from agentctl.oauth.discovery import fetch_metadata
from agentctl.oauth.tokens import TokenSet
from agentctl.oauth.transport import json_body, raise_for_oauth_error, send
from agentctl.providers.base import AgentSpec, Credential, Registration
from agentctl.providers.oidc import OidcProvider

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient
    from agentctl.idp.service import IdpService

DEFAULT_ISSUER_NAME = "enterprise"
DEFAULT_RESOURCE_NAME = "mcp-as"
_ISSUER_PATH = "/i/"
# What an agent may ask for when `register` is given no --scope: the embedded IdP's own
# non-OIDC scopes, so every mode of `exchange` has room to narrow.
DEFAULT_AGENT_SCOPES = ("read", "write")
ADMIN_USER_TOKEN_PATH = "/admin/user-token"  # noqa: S105 - a path, not a secret


def embedded_issuer() -> str:
    """The embedded IdP's `enterprise` issuer URL (in-process and `idp serve` share it)."""
    from agentctl.idp.constants import DEFAULT_BASE_URL

    return f"{DEFAULT_BASE_URL}{_ISSUER_PATH}{DEFAULT_ISSUER_NAME}"


def sibling_issuer(issuer: str, name: str) -> str:
    """Issuer `name` on the same embedded-IdP server as `issuer` (issuers live at `/i/NAME`)."""
    base, sep, _ = issuer.rstrip("/").rpartition(_ISSUER_PATH)
    if not sep:
        raise UsageError(
            f"{issuer} is not an embedded-IdP issuer URL (expected <base>/i/<name>)",
            hint="point the profile at `http://HOST:PORT/i/enterprise` of `agentctl idp serve`",
        )
    return f"{base}{_ISSUER_PATH}{name}"


class LocalProvider(OidcProvider):
    """The embedded IdP. `service` is set only in-process (administration by IdpService)."""

    kind: ClassVar[str] = "local"

    def __init__(
        self,
        http: HttpClient,
        metadata: Mapping[str, Any],
        *,
        service: IdpService | None = None,
        in_process: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(http, metadata, **kwargs)
        self._service = service
        self.in_process = in_process

    # -- construction -------------------------------------------------------------------

    @classmethod
    def embedded(
        cls, http: HttpClient, *, service: IdpService | None = None, **kwargs: Any
    ) -> LocalProvider:
        """The embedded IdP in-process; `http` must route to it (`http_for(ctx, embedded=True)`
        or `agentctl.idp.inprocess.in_process_client`)."""
        issuer = embedded_issuer()
        if service is not None:
            issuer = f"{service.ctx.base_url}{_ISSUER_PATH}{DEFAULT_ISSUER_NAME}"
        return cls(http, fetch_metadata(http, issuer), service=service, in_process=True, **kwargs)

    @classmethod
    def at_url(cls, http: HttpClient, issuer: str, **kwargs: Any) -> LocalProvider:
        """A running `agentctl idp serve` (or any embedded-IdP issuer URL)."""
        return cls(http, fetch_metadata(http, issuer), in_process=False, **kwargs)

    @property
    def service(self) -> IdpService:
        """The in-process IdP service (opened on first use, on the default database)."""
        if not self.in_process:
            raise UnsupportedError(
                "this embedded-IdP profile points at a running server, not the in-process IdP",
                hint="manage it over HTTP (RFC 7591/7592) or with `agentctl idp` on its host",
            )
        if self._service is None:
            from agentctl.idp.service import IdpService

            self._service = IdpService.open()
        return self._service

    @property
    def issuer_name(self) -> str:
        issuer = self.issuer or ""
        return issuer.rstrip("/").rpartition(_ISSUER_PATH)[2] or DEFAULT_ISSUER_NAME

    def resource_issuer(self) -> str:
        """The `mcp-as` issuer URL on the same server: the audience of an ID-JAG."""
        return sibling_issuer(self.issuer or embedded_issuer(), DEFAULT_RESOURCE_NAME)

    # -- users (loopback-only admin sign-in) --------------------------------------------

    def user_tokens(
        self,
        user: str,
        password: str,
        *,
        client: Credential,
        scope: str | None = None,
        resource: Sequence[str] = (),
        may_act: str | None = None,
    ) -> TokenSet:
        """Sign `user` in for `client`: an ID token (aud = the client) and an access token.
        The route answers only loopback callers (and the in-process transport)."""
        url = (self.issuer or embedded_issuer()).rstrip("/") + ADMIN_USER_TOKEN_PATH
        form: dict[str, Any] = {
            "username": user,
            "password": password,
            "client_id": client.client_id,
        }
        if scope:
            form["scope"] = scope
        if resource:
            form["resource"] = list(resource)
        if may_act:
            form["may_act"] = may_act
        headers = {"Accept": "application/json", "Authorization": f"Bearer {self._admin_token()}"}
        response = send(self._http, "POST", url, data=form, headers=headers)
        if response.status_code >= 400:
            raise_for_oauth_error(
                response,
                hint=(
                    "start the IdP with `agentctl idp serve --admin-signin` on this machine"
                    if response.status_code in (401, 403)
                    else "check the user name and password (`agentctl idp users list`)"
                ),
            )
        return TokenSet.from_response(
            json_body(response, "sign-in response"),
            grant_type="urn:agentctl:grant-type:admin-user-token",
            endpoint=url,
        )

    def _admin_token(self) -> str:
        """The admin sign-in credential from the IdP's data dir (in-process: created if
        missing; a served IdP on this machine: the file `idp serve --admin-signin` made)."""
        if self.in_process:
            if self._service is not None:
                return self._service.admin_token()
            # The in-process IdP this command talks to was opened (and bootstrapped) by its
            # transport; the credential needs only the store, not a second bootstrap.
            from agentctl.idp import admin
            from agentctl.idp.store import Store

            return admin.ensure_token(Store.open())
        from agentctl.idp import admin
        from agentctl.idp.store import default_db_path

        path = default_db_path().with_suffix(".admin-token")
        token = admin.read_token(path)
        if token is None:
            raise UsageError(
                f"signing a user in needs the IdP's admin credential ({path}), which is missing",
                hint="run `agentctl idp serve --admin-signin` on this machine, as this user",
            )
        return token

    # -- agents ---------------------------------------------------------------------------

    def registration_body(
        self, spec: AgentSpec, public_jwk: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """RFC 7591 metadata plus the embedded IdP's agent extension members."""
        body = super().registration_body(spec, public_jwk)
        body.pop("response_types", None)
        body.pop("redirect_uris", None)
        offered = self._md.get("grant_types_supported")
        body["grant_types"] = _agent_grant_types(spec, offered if isinstance(offered, list) else [])
        body["scope"] = " ".join(spec.scopes or DEFAULT_AGENT_SCOPES)
        body["sub_profile"] = "ai_agent"
        if spec.sponsor:
            body["sponsor"] = spec.sponsor
        if spec.description:
            body["description"] = spec.description
        body["may_act_for"] = list(spec.may_act_for or ("*",))
        if spec.audiences:
            body["allowed_audiences"] = list(spec.audiences)
        if spec.subject_audiences:
            body["subject_audiences"] = list(spec.subject_audiences)
        return body

    def register_agent(
        self, spec: AgentSpec, *, initial_access_token: str | None = None
    ) -> Registration:
        if not self.in_process:
            registration = super().register_agent(spec, initial_access_token=initial_access_token)
            # The embedded IdP names every issuer it registered the agent at (it mirrors agents
            # to the resource issuers that trust it, for the ID-JAG path).
            at = registration.metadata.get("agentctl_registered_at")
            if not isinstance(at, list):
                return registration
            return _replace_credential(
                registration, created=True, metadata={**registration.metadata, "registered_at": at}
            )
        key = None
        if spec.method == "private_key_jwt":
            from agentctl.oauth.keys import generate_key_pair

            key = generate_key_pair(spec.signing_alg)
        try:
            created = self.service.create_agent(
                spec.name,
                issuer=self.issuer_name,
                description=spec.description or "",
                sponsor=spec.sponsor or "",
                credential_type="private_key_jwt" if key else "client_secret",
                jwks={"keys": [key.public_jwk]} if key else None,
                allowed_audiences=spec.audiences,
                allowed_scopes=spec.scopes or DEFAULT_AGENT_SCOPES,
                may_act_for=spec.may_act_for or ("*",),
                subject_audiences=spec.subject_audiences,
            )
        except ValueError as exc:
            raise ProviderError(
                f"the embedded IdP refused the agent: {exc}", hint="check the options given"
            ) from None
        method = "private_key_jwt" if key else "client_secret_basic"
        return Registration(
            client_id=created.client_id,
            auth_method=method,
            issuer=created.issuer_url,
            token_endpoint=created.token_endpoint,
            created=True,
            client_secret=created.client_secret,
            private_key_pem=key.private_pem if key else None,
            key_id=key.kid if key else None,
            public_jwk=key.public_jwk if key else None,
            metadata={
                "registered_at": list(created.registered_at),
                "sponsor": spec.sponsor,
                "description": spec.description,
                "allowed_audiences": list(spec.audiences),
                "scope": " ".join(spec.scopes or DEFAULT_AGENT_SCOPES),
                "may_act_for": list(spec.may_act_for or ("*",)),
                "subject_audiences": list(spec.subject_audiences),
                "token_endpoint_auth_method": method,
            },
        )

    def registered_issuers(self, client_id: str) -> list[str]:
        """Names of the in-process issuers where `client_id` is registered."""
        from agentctl.idp import records

        return [
            cfg.name
            for cfg in records.list_issuers(self.service.store)
            if records.get_client(self.service.store, cfg.name, client_id) is not None
        ]

    def delete_agent(self, registration: Registration) -> None:
        if not self.in_process:
            super().delete_agent(registration)
            return
        from agentctl.idp import records

        for name in self.registered_issuers(registration.client_id):
            records.delete_client(self.service.store, name, registration.client_id)

    def agent_exists(self, client_id: str) -> bool:
        """In-process only: is the client still registered at this issuer?"""
        return self.issuer_name in self.registered_issuers(client_id)

    def rotate_agent(self, registration: Registration) -> Registration:
        """A new secret (or key pair) for an agent, at every issuer it is registered at.
        In-process only; over HTTP, RFC 7592 (`agentctl.services.agent_lifecycle`)."""
        from agentctl.idp import records
        from agentctl.idp.secrets import new_secret

        store = self.service.store
        issuers = self.registered_issuers(registration.client_id)
        if not issuers:
            raise ProviderError(
                f"the embedded IdP has no client {registration.client_id}",
                hint="it was deleted there; `agentctl register NAME --replace` creates it again",
            )
        if registration.auth_method == "private_key_jwt":
            from agentctl.oauth.keys import generate_key_pair

            alg = str((registration.public_jwk or {}).get("alg") or "RS256")
            key = generate_key_pair(alg)
            for name in issuers:
                client = records.get_client(store, name, registration.client_id)
                if client is not None:
                    records.update_client_metadata(
                        store, client, {**client.metadata, "jwks": {"keys": [key.public_jwk]}}
                    )
            return _replace_credential(
                registration,
                private_key_pem=key.private_pem,
                key_id=key.kid,
                public_jwk=key.public_jwk,
            )
        secret = new_secret()
        self.service.set_client_secret(registration.client_id, secret, issuers=issuers)
        return _replace_credential(registration, client_secret=secret)


def _agent_grant_types(spec: AgentSpec, offered: list[Any]) -> list[str]:
    """What an agent needs for every mode (the device grant only where the IdP has it)."""
    from agentctl.oauth import client as oc

    grants = [*spec.grant_types]
    wanted = [oc.GRANT_CLIENT_CREDENTIALS, oc.GRANT_TOKEN_EXCHANGE, oc.GRANT_JWT_BEARER]
    if oc.GRANT_DEVICE_CODE in offered:
        wanted.append(oc.GRANT_DEVICE_CODE)
    for grant in wanted:
        if grant not in grants:
            grants.append(grant)
    return grants


def _replace_credential(registration: Registration, **changes: Any) -> Registration:
    from dataclasses import replace

    return replace(registration, **{"created": False, **changes})


__all__ = [
    "ADMIN_USER_TOKEN_PATH",
    "DEFAULT_AGENT_SCOPES",
    "LocalProvider",
    "embedded_issuer",
    "sibling_issuer",
]
