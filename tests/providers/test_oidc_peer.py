"""The generic OIDC provider against the independent npm OpenID provider (tests/peers)."""

from __future__ import annotations

import json

import jwt
import pytest

from agentctl.errors import OAuthError, UnsupportedError
from agentctl.exit_codes import ExitCode
from agentctl.http import build_http_client
from agentctl.oauth import device as dev
from agentctl.oauth.client import ExchangeRequest
from agentctl.oauth.client_auth import NoClientAuth
from agentctl.oauth.trace import Tracer
from agentctl.providers import ProviderSettings, get_provider
from agentctl.providers.base import AgentSpec, Capability, Credential
from agentctl.providers.oidc import OidcProvider
from tests.peers import (
    PEER_ADMIN_ID,
    PEER_ADMIN_SECRET,
    PEER_DEVICE_ID,
    PEER_OPAQUE_RESOURCE,
    PEER_RS_ID,
    PEER_RS_SECRET,
)

pytestmark = pytest.mark.peer

ADMIN = Credential(PEER_ADMIN_ID, "client_secret_basic", secret=PEER_ADMIN_SECRET)
RS = Credential(PEER_RS_ID, "client_secret_basic", secret=PEER_RS_SECRET)


@pytest.fixture
def idp(oidc_peer: str) -> OidcProvider:
    provider = get_provider("oidc", ProviderSettings(issuer=oidc_peer), build_http_client())
    assert isinstance(provider, OidcProvider)
    return provider


def test_capabilities_come_from_the_metadata(idp: OidcProvider, oidc_peer: str) -> None:
    assert idp.issuer == oidc_peer
    assert {
        Capability.REGISTER,
        Capability.CLIENT_CREDENTIALS,
        Capability.INTROSPECTION,
        Capability.REVOCATION,
        Capability.DEVICE_AUTHORIZATION,
    } <= idp.capabilities
    for missing in (Capability.TOKEN_EXCHANGE, Capability.JWT_BEARER, Capability.ID_JAG):
        assert missing not in idp.capabilities


def test_register_with_client_secret_then_client_credentials_then_delete(
    idp: OidcProvider,
) -> None:
    created = idp.register_agent(
        AgentSpec(name="agent-secret", scopes=("api:read",), sponsor="alice@example.com")
    )
    assert created.created
    assert created.client_secret
    assert created.auth_method == "client_secret_basic"
    assert created.metadata["contacts"] == ["alice@example.com"]
    tokens = idp.client_credentials(created.credential(), scope="api:read")
    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    assert claims["sub"] == created.client_id
    assert "act" not in claims
    assert tokens.scopes == ("api:read",)
    idp.delete_agent(created)
    with pytest.raises(OAuthError) as info:
        idp.client_credentials(created.credential(), scope="api:read")
    assert info.value.error == "invalid_client"
    assert info.value.hint


@pytest.mark.parametrize("aud", ["token_endpoint", "issuer"])
def test_register_with_private_key_jwt(oidc_peer: str, aud: str) -> None:
    idp = OidcProvider.discover(build_http_client(), oidc_peer, assertion_audience=aud)
    created = idp.register_agent(
        AgentSpec(name="agent-key", credential="private_key_jwt", scopes=("api:read",))
    )
    assert created.client_secret is None
    assert created.private_key_pem
    assert created.key_id
    assert created.metadata["jwks"]["keys"][0]["kid"] == created.key_id
    assert "d" not in created.metadata["jwks"]["keys"][0]  # only the public key left
    tokens = idp.client_credentials(created.credential(), scope="api:read")
    assert jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"] == (
        created.client_id
    )


def test_token_exchange_is_tried_and_the_servers_refusal_is_a_clear_unsupported_error(
    idp: OidcProvider,
) -> None:
    """Metadata is advice: the unlisted grant is sent, and exit 8 comes from the server's own
    unsupported_grant_type, with both facts in the message."""
    subject = idp.client_credentials(ADMIN, scope="api:read").access_token
    with pytest.raises(UnsupportedError) as info:
        idp.exchange(ExchangeRequest(subject_token=subject), client=ADMIN)
    assert info.value.message == (
        "this IdP does not offer token exchange (grant_types_supported lacks "
        "urn:ietf:params:oauth:grant-type:token-exchange, and it answered "
        "unsupported_grant_type)"
    )
    assert info.value.details["tried"] is True
    assert info.value.exit_code == ExitCode.UNSUPPORTED
    with pytest.raises(UnsupportedError, match="JWT bearer grant"):
        idp.jwt_bearer("x.y.z", client=ADMIN)


def test_a_server_refusal_of_an_unadvertised_grant_is_the_same_error(idp: OidcProvider) -> None:
    quiet = {k: v for k, v in idp.metadata().items() if k != "grant_types_supported"}
    optimistic = OidcProvider(build_http_client(), quiet)
    assert Capability.TOKEN_EXCHANGE in optimistic.capabilities
    with pytest.raises(UnsupportedError, match="answered unsupported_grant_type"):
        optimistic.exchange(ExchangeRequest(subject_token="opaque"), client=ADMIN)


def test_introspection_of_an_opaque_token_and_revocation(idp: OidcProvider) -> None:
    tokens = idp.client_credentials(ADMIN, scope="api:read", resource=(PEER_OPAQUE_RESOURCE,))
    assert tokens.access_token.count(".") == 0  # opaque
    seen = idp.introspect(tokens.access_token, client=RS)
    assert seen.active
    assert seen.claims["client_id"] == PEER_ADMIN_ID
    assert seen.claims["aud"] == PEER_OPAQUE_RESOURCE
    idp.revoke(tokens.access_token, client=ADMIN)
    assert not idp.introspect(tokens.access_token, client=RS).active


def test_device_authorization_starts_and_stays_pending(idp: OidcProvider) -> None:
    device = Credential(PEER_DEVICE_ID, "none")
    started = idp.start_device_authorization(client=device, scope="api:read")
    assert started.user_code
    assert started.verification_uri.startswith(idp.issuer or "")
    ticks = iter([0.0, 0.0, 10_000.0])
    waits: list[str] = []
    with pytest.raises(OAuthError, match="expired"):
        dev.poll_device_token(
            build_http_client(),
            str(idp.metadata()["token_endpoint"]),
            NoClientAuth(PEER_DEVICE_ID),
            started,
            sleep=lambda _: None,
            clock=lambda: next(ticks),
            on_wait=lambda error, _: waits.append(error),
        )
    assert waits == ["authorization_pending"]


def test_wrong_secret_is_invalid_client(idp: OidcProvider) -> None:
    wrong = Credential(PEER_ADMIN_ID, "client_secret_post", secret="wrong")
    with pytest.raises(OAuthError) as info:
        idp.client_credentials(wrong)
    assert info.value.error == "invalid_client"
    assert info.value.exit_code == ExitCode.IDP


def test_trace_of_a_registration_holds_no_secret(oidc_peer: str) -> None:
    tracer = Tracer()
    http = build_http_client(event_hooks=tracer.hooks())
    idp = OidcProvider.discover(http, oidc_peer)
    created = idp.register_agent(AgentSpec(name="traced", scopes=("api:read",)))
    tokens = idp.client_credentials(created.credential(), scope="api:read")
    text = json.dumps([e.to_dict() for e in tracer.events])
    for secret in (created.client_secret, created.registration_access_token, tokens.access_token):
        assert secret
        assert secret not in text
    token_views = [t for e in tracer.events for t in e.tokens if t.field == "access_token"]
    assert token_views[-1].claims is not None
    assert token_views[-1].claims["sub"] == created.client_id


def test_a_profile_drives_the_provider_end_to_end(oidc_peer: str) -> None:
    """The path `register`/`exchange` take: profile → settings → provider + credential."""
    from agentctl.config.resolve import resolve_settings
    from agentctl.providers import credential_for, provider_settings
    from tests.helpers import run

    added = run(
        "profile", "add", "peer", "--issuer", oidc_peer, "--client-id", PEER_ADMIN_ID,
        "--secret-store", "file", "--secret-stdin", "--scope", "api:read", "--use",
        stdin=PEER_ADMIN_SECRET,
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    settings = resolve_settings()
    idp = get_provider(settings.kind.value, provider_settings(settings), build_http_client())
    tokens = idp.client_credentials(credential_for(settings), scope=settings.scope.value)
    assert tokens.scope == "api:read"
