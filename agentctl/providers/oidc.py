"""Any IdP with OIDC discovery or RFC 8414 metadata.

Capabilities come from the metadata: endpoints present, `grant_types_supported`,
`identity_chaining_requested_token_types_supported`, plus the grants a profile pins
(`agentctl profile set NAME --grant …`) for servers whose metadata under-advertises.

The metadata is advice, not truth: servers omit grants they issue. A grant the metadata does
not list is still tried; only the server's own `unsupported_grant_type` makes it an
UnsupportedError (exit 8), which then says both what the metadata lacks and what the server
answered. A grant that works although unlisted is noted in `observations` (with how to pin it).
Endpoints are different: without a registration or device endpoint there is nothing to call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from agentctl.errors import OAuthError, ProviderError, UnsupportedError
from agentctl.oauth import client as oc
from agentctl.oauth.client_auth import (
    AssertionAudience,
    ClientAuth,
    basic_encoding_matters,
    basic_hint,
    make_client_auth,
)
from agentctl.oauth.discovery import fetch_metadata
from agentctl.oauth.tokens import TokenSet
from agentctl.providers.base import (
    CAPABILITY_TEXT,
    AgentSpec,
    Capability,
    Credential,
    ExchangeRequest,
    Introspection,
    Registration,
    unsupported,
)

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient
    from agentctl.oauth.device import DeviceAuthorization

ID_JAG_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id-jag"  # noqa: S105
# Sent only when a server refuses a client without redirect URIs (common, even for a client
# that has no authorization-code grant): loopback (RFC 8252 §7.3), so no code could ever reach
# anyone else, and the path says what it is.
DEFAULT_REDIRECT_URI = "http://127.0.0.1/agentctl-unused-redirect"


def _wants_redirect_uri(exc: ProviderError) -> bool:
    error = exc.details.get("error")
    text = str(exc.details.get("error_description") or "").lower()
    return error == "invalid_redirect_uri" or (
        error == "invalid_client_metadata" and "redirect" in text
    )


_GRANT_CAPS: Mapping[str, tuple[Capability, ...]] = {
    oc.GRANT_CLIENT_CREDENTIALS: (Capability.CLIENT_CREDENTIALS,),
    oc.GRANT_TOKEN_EXCHANGE: (Capability.TOKEN_EXCHANGE, Capability.TOKEN_EXCHANGE_ACTOR),
    oc.GRANT_JWT_BEARER: (Capability.JWT_BEARER,),
    oc.GRANT_DEVICE_CODE: (Capability.DEVICE_AUTHORIZATION,),
}
# Capabilities that are a grant at the token endpoint: tried even when the metadata omits them.
_TRIED: Mapping[Capability, str] = {
    Capability.CLIENT_CREDENTIALS: oc.GRANT_CLIENT_CREDENTIALS,
    Capability.TOKEN_EXCHANGE: oc.GRANT_TOKEN_EXCHANGE,
    Capability.TOKEN_EXCHANGE_ACTOR: oc.GRANT_TOKEN_EXCHANGE,
    Capability.JWT_BEARER: oc.GRANT_JWT_BEARER,
    Capability.DEVICE_AUTHORIZATION: oc.GRANT_DEVICE_CODE,
}


def capabilities_from_metadata(
    md: Mapping[str, Any], pinned_grants: tuple[str, ...] = ()
) -> tuple[frozenset[Capability], list[str]]:
    """(capabilities, notes). Notes say where the metadata leaves a capability uncertain.
    `pinned_grants` (grant type URIs the profile pins) count as listed."""
    caps: set[Capability] = set()
    notes: list[str] = []
    grants = md.get("grant_types_supported")
    for grant in pinned_grants:
        caps.update(_GRANT_CAPS.get(grant, ()))
    if pinned_grants:
        notes.append(
            "pinned by the profile as offered (whatever the metadata says): "
            + ", ".join(pinned_grants)
        )
    if isinstance(grants, list):
        for grant in grants:
            caps.update(_GRANT_CAPS.get(str(grant), ()))
    else:
        notes.append("grant_types_supported is not published: grants are tried, not known")
        for group in _GRANT_CAPS.values():
            caps.update(group)
    endpoint_caps = {
        "registration_endpoint": Capability.REGISTER,
        "introspection_endpoint": Capability.INTROSPECTION,
        "revocation_endpoint": Capability.REVOCATION,
    }
    caps.update(cap for key, cap in endpoint_caps.items() if isinstance(md.get(key), str))
    if not isinstance(md.get("device_authorization_endpoint"), str):
        caps.discard(Capability.DEVICE_AUTHORIZATION)
    chaining = md.get("identity_chaining_requested_token_types_supported")
    if (
        isinstance(chaining, list)
        and ID_JAG_TOKEN_TYPE in chaining
        and Capability.TOKEN_EXCHANGE in caps
    ):
        caps.add(Capability.ID_JAG)
    if Capability.TOKEN_EXCHANGE in caps:
        notes.append(
            "token exchange with an actor token: the metadata cannot say whether the IdP "
            "accepts actor_token; the IdP decides per request"
        )
    return frozenset(caps), notes


class OidcProvider:
    """A generic OpenID provider / OAuth authorization server, driven by its metadata."""

    kind: ClassVar[str] = "oidc"

    def __init__(
        self,
        http: HttpClient,
        metadata: Mapping[str, Any],
        *,
        assertion_audience: AssertionAudience = "token_endpoint",
        assertion_typ: str | None = None,
        sleep: Callable[[float], None] | None = None,
        pinned_grants: tuple[str, ...] = (),
        profile: str | None = None,
    ) -> None:
        self._http = http
        self._md = dict(metadata)
        self.pinned_grants = pinned_grants
        self._caps, self.notes = capabilities_from_metadata(self._md, pinned_grants)
        self._profile = profile
        # What trying showed beyond the metadata (a grant it omits that was issued): said to
        # the user by the command, with how to pin it.
        self.observations: list[str] = []
        self._assertion_audience: AssertionAudience = assertion_audience
        self._assertion_typ = assertion_typ
        self._sleep = sleep

    @classmethod
    def discover(cls, http: HttpClient, issuer: str, **kwargs: Any) -> OidcProvider:
        return cls(http, fetch_metadata(http, issuer), **kwargs)

    # -- what it is -----------------------------------------------------------------------

    @property
    def issuer(self) -> str | None:
        value = self._md.get("issuer")
        return value if isinstance(value, str) else None

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._caps

    def metadata(self) -> Mapping[str, Any]:
        return self._md

    def require(self, capability: Capability) -> None:
        """Refuse before sending only what cannot be tried: a grant the metadata omits is
        tried (see the module docstring); an endpoint it lacks is not there to call."""
        if capability in self._caps or self.tried(capability):
            return
        raise unsupported(capability, idp=self.issuer or "this IdP")

    def tried(self, capability: Capability) -> bool:
        """True for a grant the metadata (and the profile) do not list, which agentctl still
        tries because servers under-advertise."""
        if capability in self._caps or capability not in _TRIED:
            return False
        if capability is Capability.DEVICE_AUTHORIZATION:
            return isinstance(self._md.get("device_authorization_endpoint"), str)
        return True

    def _endpoint(self, key: str, capability: Capability) -> str:
        value = self._md.get(key)
        if not isinstance(value, str):
            raise unsupported(capability, idp=self.issuer or "this IdP")
        self.require(capability)
        return value

    @property
    def token_endpoint(self) -> str:
        value = self._md.get("token_endpoint")
        if not isinstance(value, str):
            raise UnsupportedError(
                f"{self.issuer} publishes no token_endpoint",
                hint="check the issuer URL points at an OAuth authorization server",
            )
        return value

    def auth_for(self, client: Credential) -> ClientAuth:
        methods = self._md.get("token_endpoint_auth_methods_supported")
        if isinstance(methods, list) and methods and client.method not in methods:
            raise UnsupportedError(
                f"this IdP does not accept client authentication {client.method} "
                f"(token_endpoint_auth_methods_supported: {', '.join(map(str, methods))})",
                hint="register or configure the client with one of those methods",
            )
        return make_client_auth(
            client.method,
            client.client_id,
            secret=client.secret,
            private_key_pem=client.private_key_pem,
            kid=client.key_id,
            alg=client.alg,
            assertion_audience=self._assertion_audience,
            issuer=self.issuer,
            token_endpoint=self.token_endpoint,
            typ=self._assertion_typ,
        )

    # -- agents ---------------------------------------------------------------------------

    def registration_body(
        self, spec: AgentSpec, public_jwk: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """The RFC 7591 §2 client metadata agentctl sends for `spec` (also for --dry-run)."""
        from agentctl import __version__

        body: dict[str, Any] = {
            "client_name": spec.name,
            "grant_types": list(spec.grant_types),
            "response_types": [],
            "redirect_uris": list(spec.redirect_uris),
            "token_endpoint_auth_method": spec.method,
            "software_id": "agentctl",
            "software_version": __version__,
        }
        if spec.scopes:
            body["scope"] = " ".join(spec.scopes)
        if spec.sponsor:
            body["contacts"] = [spec.sponsor]
        if public_jwk is not None:
            body["jwks"] = {"keys": [dict(public_jwk)]}
            body["token_endpoint_auth_signing_alg"] = spec.signing_alg
        return body

    def register_agent(
        self, spec: AgentSpec, *, initial_access_token: str | None = None
    ) -> Registration:
        """RFC 7591: register the agent as a confidential client. For private_key_jwt a key
        pair is generated here; only its public JWK leaves the machine."""
        endpoint = self._endpoint("registration_endpoint", Capability.REGISTER)
        methods = self._md.get("token_endpoint_auth_methods_supported")
        if isinstance(methods, list) and methods and spec.method not in methods:
            raise UnsupportedError(
                f"this IdP does not accept {spec.method} "
                f"(token_endpoint_auth_methods_supported: {', '.join(map(str, methods))})",
                hint="choose another credential type",
            )
        from agentctl.oauth import registration as reg  # RFC 7591: only when registering

        key = None
        if spec.method == "private_key_jwt":
            from agentctl.oauth.keys import generate_key_pair

            key = generate_key_pair(spec.signing_alg)
        body = self.registration_body(spec, key.public_jwk if key else None)
        try:
            created = reg.register_client(
                self._http, endpoint, body, initial_access_token=initial_access_token
            )
        except ProviderError as exc:
            if spec.redirect_uris or not _wants_redirect_uri(exc):
                raise
            # Nothing was created: ask once more, with a redirect URI that is never used.
            body["redirect_uris"] = [DEFAULT_REDIRECT_URI]
            created = reg.register_client(
                self._http, endpoint, body, initial_access_token=initial_access_token
            )
            self.observations.append(
                "the IdP requires a redirect URI even for a client-credentials client: agentctl "
                f"sent redirect_uris [{DEFAULT_REDIRECT_URI}] (loopback, and never used: the "
                "agent has no authorization-code grant); choose another with --redirect-uri"
            )
        method = reg.auth_method_of(created.metadata, prefer=spec.method) or spec.method
        return Registration(
            client_id=created.client_id,
            auth_method=method,
            issuer=self.issuer,
            token_endpoint=self._md.get("token_endpoint"),
            created=True,
            client_secret=created.client_secret,
            client_secret_expires_at=created.client_secret_expires_at,
            private_key_pem=key.private_pem if key else None,
            key_id=key.kid if key else None,
            public_jwk=key.public_jwk if key else None,
            registration_access_token=created.registration_access_token,
            registration_client_uri=created.registration_client_uri,
            metadata=created.metadata,
        )

    def import_client(self, credential: Credential) -> Registration:
        """An existing client (registered in the IdP's console), used by id."""
        return Registration(
            client_id=credential.client_id,
            auth_method=credential.method,
            issuer=self.issuer,
            token_endpoint=self._md.get("token_endpoint"),
            created=False,
            client_secret=credential.secret,
            private_key_pem=credential.private_key_pem,
            key_id=credential.key_id,
        )

    def read_agent(self, registration: Registration) -> Registration:
        from agentctl.oauth import registration as reg

        uri, token = self._management(registration)
        current = reg.read_client(self._http, uri, token)
        return Registration(
            client_id=current.client_id,
            auth_method=reg.auth_method_of(current.metadata, prefer=registration.auth_method)
            or registration.auth_method,
            issuer=self.issuer,
            token_endpoint=registration.token_endpoint,
            created=registration.created,
            client_secret_expires_at=current.client_secret_expires_at,
            key_id=registration.key_id,
            public_jwk=registration.public_jwk,
            registration_client_uri=uri,
            metadata=current.metadata,
        )

    def delete_agent(self, registration: Registration) -> None:
        """RFC 7592 §2.3, with the registration access token issued at creation."""
        from agentctl.oauth import registration as reg

        uri, token = self._management(registration)
        reg.delete_client(self._http, uri, token)

    def _management(self, registration: Registration) -> tuple[str, str]:
        if not registration.registration_client_uri or not registration.registration_access_token:
            raise UnsupportedError(
                f"client {registration.client_id} has no RFC 7592 management URI and token",
                hint="it was imported or the IdP does not offer RFC 7592; manage it in the "
                "IdP's console",
            )
        return registration.registration_client_uri, registration.registration_access_token

    # -- tokens ---------------------------------------------------------------------------

    def _grant(
        self,
        capability: Capability,
        call: Callable[[], TokenSet],
        client: Credential | None = None,
    ) -> TokenSet:
        self.require(capability)
        tried = self.tried(capability)
        what, why = CAPABILITY_TEXT[capability]
        try:
            result = call()
        except OAuthError as exc:
            if exc.error == "unsupported_grant_type":
                said = f"{why}, and it answered" if tried else "it answered"
                raise UnsupportedError(
                    f"this IdP does not offer {what} ({said} unsupported_grant_type)",
                    hint="`agentctl doctor` lists what it supports",
                    details={**exc.details, "capability": capability.value, "tried": tried},
                ) from None
            if tried and exc.error in ("unauthorized_client", "invalid_request"):
                exc.hint = (
                    f"{why}, and the IdP refused it for this client: it may not offer {what} "
                    f"at all, or only to clients registered for it ({exc.hint or ''})"
                ).replace(" ()", "")
            elif exc.error == "invalid_client" and client is not None:
                self._explain_invalid_client(exc, client)
            raise
        if tried:
            grant = _TRIED[capability]
            where = f"agentctl profile set {self._profile or 'PROFILE'}"
            self.observations.append(
                f"{why}, yet the IdP issued a token for it when tried: its metadata "
                f"under-advertises; `{where} --grant {grant}` pins it"
            )
        return result

    @staticmethod
    def _explain_invalid_client(exc: OAuthError, client: Credential) -> None:
        if client.method == "client_secret_basic" and basic_encoding_matters(
            client.client_id, client.secret
        ):
            exc.hint = basic_hint(client.client_id)

    def client_credentials(
        self,
        client: Credential,
        *,
        scope: str | None = None,
        resource: tuple[str, ...] = (),
        audience: tuple[str, ...] = (),
    ) -> TokenSet:
        return self._grant(
            Capability.CLIENT_CREDENTIALS,
            lambda: oc.client_credentials(
                self._http,
                self.token_endpoint,
                self.auth_for(client),
                scope=scope,
                resource=resource,
                audience=audience,
            ),
            client,
        )

    def exchange(self, req: ExchangeRequest, *, client: Credential) -> TokenSet:
        if req.requested_token_type == ID_JAG_TOKEN_TYPE:
            self.require(Capability.ID_JAG)
        if req.actor_token:
            self.require(Capability.TOKEN_EXCHANGE_ACTOR)
        return self._grant(
            Capability.TOKEN_EXCHANGE,
            lambda: oc.token_exchange(self._http, self.token_endpoint, self.auth_for(client), req),
            client,
        )

    def jwt_bearer(
        self,
        assertion: str,
        *,
        client: Credential | None,
        scope: str | None = None,
        resource: tuple[str, ...] = (),
    ) -> TokenSet:
        auth = self.auth_for(client) if client is not None else None
        return self._grant(
            Capability.JWT_BEARER,
            lambda: oc.jwt_bearer(
                self._http,
                self.token_endpoint,
                auth,
                assertion=assertion,
                scope=scope,
                resource=resource,
            ),
            client,
        )

    def start_device_authorization(
        self, *, client: Credential, scope: str | None = None
    ) -> DeviceAuthorization:
        from agentctl.oauth import device as dev  # RFC 8628, for a sign-in only

        endpoint = self._endpoint("device_authorization_endpoint", Capability.DEVICE_AUTHORIZATION)
        return dev.start_device_authorization(
            self._http, endpoint, self.auth_for(client), scope=scope
        )

    def poll_device_token(
        self,
        authorization: DeviceAuthorization,
        *,
        client: Credential,
        on_wait: Callable[[str, int], None] | None = None,
    ) -> TokenSet:
        from agentctl.oauth import device as dev

        kwargs: dict[str, Any] = {"on_wait": on_wait}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return self._grant(
            Capability.DEVICE_AUTHORIZATION,
            lambda: dev.poll_device_token(
                self._http, self.token_endpoint, self.auth_for(client), authorization, **kwargs
            ),
        )

    def introspect(self, token: str, *, client: Credential) -> Introspection:
        endpoint = self._endpoint("introspection_endpoint", Capability.INTROSPECTION)
        return oc.introspect(self._http, endpoint, self.auth_for(client), token)

    def revoke(self, token: str, *, client: Credential) -> None:
        endpoint = self._endpoint("revocation_endpoint", Capability.REVOCATION)
        oc.revoke(self._http, endpoint, self.auth_for(client), token)


__all__ = [
    "DEFAULT_REDIRECT_URI",
    "ID_JAG_TOKEN_TYPE",
    "OidcProvider",
    "capabilities_from_metadata",
]
