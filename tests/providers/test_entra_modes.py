"""Every Entra mode against the emulator: msal and the raw Agent ID legs through the project's
httpx client, and the resulting tokens checked in Entra's terms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentctl.providers.entra import EntraProvider
from agentctl.providers.entra.credentials import ClientCredential
from agentctl.providers.entra.models import EntraRegistration
from tests.emulators.entra.model import GRAPH_APP_ID
from tests.emulators.entra.world import EntraWorld, make_world

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
USER_READ = "https://graph.microsoft.com/User.Read"


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    w = make_world(device_interval=0, device_auto_approve="alice@contoso.onmicrosoft.com")
    yield w
    w.http.close()


@pytest.fixture
def agent(world: EntraWorld) -> EntraRegistration:
    reg = world.provider().register(
        "agent-identity",
        "triage-bot",
        sponsors=["alice@contoso.onmicrosoft.com"],
        agent_user_upn="triage@contoso.onmicrosoft.com",
        grant_roles=("User.Read.All",),  # app-role assignment made by agentctl through Graph
    )
    assert reg.consent is not None
    assert reg.consent["status"] == "granted"
    return reg


def agent_provider(world: EntraWorld, reg: EntraRegistration) -> EntraProvider:
    assert reg.blueprint is not None
    return world.provider(
        blueprint_app_id=reg.blueprint["app_id"], blueprint_credential=reg.credential
    )


def test_agent_mode_classic_client_credentials(world: EntraWorld) -> None:
    reg = world.provider().register("app", "nightly-report")
    assert reg.credential is not None
    world.emu.assign_role(world.tenant, reg.client_id, GRAPH_APP_ID, "Mail.Read")
    result = world.provider().exchange_agent(
        scope=GRAPH_DEFAULT, client_id=reg.client_id, credential=reg.credential
    )
    claims = result.token.claims
    assert result.flow == "classic-client-credentials"
    assert result.ok, [c for c in result.checks if not c.ok]
    assert claims["idtyp"] == "app"
    assert claims["oid"] == reg.service_principal_id == claims["sub"]
    assert claims["appid"] == reg.client_id  # Graph gets v1 tokens: the client is in appid
    assert claims["roles"] == ["Mail.Read"]
    assert "xms_act_fct" not in claims
    assert [leg.via for leg in [result.token]] == ["msal"]


def test_agent_mode_agent_id_two_legs(world: EntraWorld, agent: EntraRegistration) -> None:
    result = agent_provider(world, agent).exchange_agent(
        scope=GRAPH_DEFAULT, agent_app_id=agent.client_id, agent_object_id=agent.object_id
    )
    t1, final = result.legs
    assert result.flow == "agent-id"
    assert result.ok, [c for c in result.checks if not c.ok]
    assert t1.request["fmi_path"] == agent.client_id
    assert t1.request["scope"] == "api://AzureADTokenExchange/.default"
    # Field: T1's aud is AzureADTokenExchange's GUID and its sub names blueprint and fmi_path.
    assert t1.token.claims["aud"] == "fb60f99c-7a34-4190-8149-302f77469936"
    assert t1.token.claims["sub"].startswith("/eid1/c/pub/t/")
    assert t1.token.claims["sub"].endswith(f"/{agent.client_id}")
    assert t1.token.claims["idtyp"] == "app"
    assert final.request["client_assertion"].startswith("<redacted sha256:")
    claims = result.token.claims
    assert claims["idtyp"] == "app"
    assert claims["oid"] == agent.object_id
    assert "11" in claims["xms_act_fct"].split()
    assert "11" in claims["xms_sub_fct"].split()
    assert "7" in claims["xms_idrel"].split()
    assert agent.blueprint is not None
    assert claims["xms_par_app_azp"] == agent.blueprint["app_id"]
    assert any("audit only" in note for note in result.notes)


def test_obo_mode_classic(world: EntraWorld) -> None:
    api, _sp, secret = world.emu.add_api(world.tenant, "orders-api")
    assert secret is not None
    world.emu.grant_delegated(world.tenant, api.app_id, GRAPH_APP_ID, ("User.Read",))
    user_token = world.emu.user_token(
        world.tenant, world.alice, world.public_client.app_id, f"api://{api.app_id}/access_as_user"
    )
    result = world.provider().exchange_obo(
        scope=USER_READ,
        user_token=user_token,
        client_id=api.app_id,
        credential=ClientCredential(secret=secret),
    )
    assert result.flow == "classic-obo"
    assert result.ok, [c for c in result.checks if not c.ok]
    claims = result.token.claims
    assert claims["oid"] == world.alice.id
    assert claims["appid"] == api.app_id
    assert "act" not in claims
    assert "xms_act_fct" not in claims
    assert any("RFC 7523" in note for note in result.notes)


def test_obo_mode_agent_id(world: EntraWorld, agent: EntraRegistration) -> None:
    provider = agent_provider(world, agent)
    user = provider.exchange_user(scope=provider.blueprint_user_scope(), prompt=lambda flow: None)
    assert agent.blueprint is not None
    assert user.token.claims["aud"] == agent.blueprint["app_id"]
    result = provider.exchange_obo(
        scope=USER_READ, user_token=user.token.access_token, agent_app_id=agent.client_id
    )
    assert result.flow == "agent-id-obo"
    assert result.ok, [c for c in result.checks if not c.ok]
    claims = result.token.claims
    assert claims["idtyp"] == "user"
    assert claims["oid"] == world.alice.id
    assert claims["appid"] == agent.client_id
    assert "11" in claims["xms_act_fct"].split()
    assert claims["scp"] == "User.Read"
    assert "act" not in claims


def test_user_mode_device_code_then_target_scope(world: EntraWorld) -> None:
    shown: list[str] = []
    result = world.provider().exchange_user(
        scope=USER_READ, sign_in_scope="User.Read", prompt=lambda flow: shown.append(flow.user_code)
    )
    assert shown
    assert len(shown[0]) >= 8
    assert result.flow == "device-code"
    assert result.ok, [c for c in result.checks if not c.ok]
    assert result.token.claims["oid"] == world.alice.id
    assert result.token.claims["appid"] == world.public_client.app_id
    # The user was asked to wait at least once: polling went through authorization_pending.
    polls = [
        e for e in world.emu.log if e.get("form", {}).get("grant_type", "").endswith("device_code")
    ]
    assert len(polls) >= 2


def test_user_mode_other_scope_uses_the_refresh_token(world: EntraWorld) -> None:
    api, _sp, _ = world.emu.add_api(world.tenant, "orders-api")
    scope = f"api://{api.app_id}/access_as_user"
    world.emu.grant_delegated(
        world.tenant, world.public_client.app_id, api.app_id, ("access_as_user",)
    )
    result = world.provider().exchange_user(scope=scope, sign_in_scope="User.Read", prompt=print)
    assert [leg.grant_type for leg in result.legs][-1] == "refresh_token"
    assert any(e.get("form", {}).get("grant_type") == "refresh_token" for e in world.emu.log)
    assert result.token.claims["aud"] == api.app_id
    assert result.token.claims["ver"] == "2.0"
    assert result.token.claims["azp"] == world.public_client.app_id
    assert result.ok, [c for c in result.checks if not c.ok]


def test_agent_user_mode_user_fic(world: EntraWorld, agent: EntraRegistration) -> None:
    assert agent.agent_user is not None
    result = agent_provider(world, agent).exchange_agent_user(
        scope=USER_READ, agent_app_id=agent.client_id, user_upn=agent.agent_user["upn"]
    )
    assert [leg.grant_type for leg in result.legs] == [
        "client_credentials",
        "client_credentials",
        "user_fic",
    ]
    assert result.ok, [c for c in result.checks if not c.ok]
    assert result.token.claims["oid"] == agent.agent_user["id"]
    assert "13" in result.token.claims["xms_sub_fct"].split()


def test_run_mode_dispatches_and_rejects_unknown(world: EntraWorld) -> None:
    from agentctl.errors import UsageError

    with pytest.raises(UsageError, match="unknown mode"):
        world.provider().run_mode("impersonate", scope=GRAPH_DEFAULT)


def test_certificate_app_signs_client_assertions(world: EntraWorld) -> None:
    reg = world.provider().register("app", "cert-bot", credential="certificate")
    assert reg.credential is not None
    assert reg.credential.kind == "certificate"
    result = world.provider().exchange_agent(
        scope=GRAPH_DEFAULT, client_id=reg.client_id, credential=reg.credential
    )
    assert result.token.claims["appidacr"] == "2"  # 2 = certificate
    posted = [
        e["form"] for e in world.emu.log if e.get("form", {}).get("client_id") == reg.client_id
    ]
    assert posted
    assert "client_secret" not in posted[-1]
    assert posted[-1]["client_assertion_type"].endswith("jwt-bearer")


def test_factory_from_profile_options(world: EntraWorld) -> None:
    from agentctl.errors import ConfigError
    from agentctl.providers import ProviderSettings
    from agentctl.providers.entra import from_provider_settings

    options = (
        ("tenant", world.tenant.domain),
        ("admin_client_id", world.admin.app_id),
        ("admin_secret", world.admin_secret),
    )
    provider = from_provider_settings(ProviderSettings(issuer=None, options=options), world.http)
    assert provider.issuer == f"https://login.microsoftonline.com/{world.tenant.id}/v2.0"
    assert provider.exchange_agent(scope=GRAPH_DEFAULT).ok
    with pytest.raises(ConfigError, match="tenant"):
        from_provider_settings(ProviderSettings(issuer=None), world.http)


@pytest.mark.parametrize(
    ("tenant", "cloud"), [("common", "public"), ("a/b", "public"), ("contoso.com", "mars")]
)
def test_settings_reject_unusable_tenants_and_clouds(tenant: str, cloud: str) -> None:
    from agentctl.errors import ConfigError
    from agentctl.providers.entra.models import EntraSettings

    with pytest.raises(ConfigError):
        EntraSettings(tenant=tenant, cloud=cloud)


def test_declared_capabilities(world: EntraWorld) -> None:
    from agentctl.errors import UnsupportedError
    from agentctl.providers.base import Capability, Credential

    provider = world.provider()
    provider.require(Capability.CLIENT_CREDENTIALS)
    with pytest.raises(UnsupportedError) as err:
        provider.require(Capability.TOKEN_EXCHANGE_ACTOR)
    assert "--mode obo" in (err.value.hint or "")
    with pytest.raises(UnsupportedError):
        provider.introspect("x", client=Credential("c"))


def test_protocol_device_authorization(world: EntraWorld) -> None:
    from agentctl.providers.base import Credential

    provider = world.provider()
    client = Credential(world.public_client.app_id, "none")
    started = provider.start_device_authorization(client=client, scope="User.Read")
    assert started.verification_uri == "https://microsoft.com/devicelogin"
    token = provider.poll_device_token(started, client=client)
    assert token.grant_type == "urn:ietf:params:oauth:grant-type:device_code"
    assert token.refresh_token  # offline_access is added by msal


def test_conforms_to_the_provider_protocol(world: EntraWorld) -> None:
    from agentctl.providers.base import IdentityProvider

    provider: IdentityProvider = world.provider()  # mypy checks the structural match
    assert provider.kind == "entra"
