"""Each Entra refusal reaches the user as one error with the cause and the next step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentctl.errors import OAuthError, ProviderError, UnsupportedError, UsageError
from agentctl.oauth.client import ExchangeRequest
from agentctl.oauth.transport import send
from agentctl.providers.entra import EntraProvider
from agentctl.providers.entra.credentials import ClientCredential
from agentctl.providers.entra.models import EntraRegistration
from agentctl.providers.entra.tokens import entra_error
from tests.emulators.entra.model import GRAPH_APP_ID, ServicePrincipal, new_id
from tests.emulators.entra.world import EntraWorld, make_world

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    w = make_world(device_interval=0, device_auto_approve="alice@contoso.onmicrosoft.com")
    yield w
    w.http.close()


@pytest.fixture
def agent(world: EntraWorld) -> EntraRegistration:
    return world.provider().register("agent-identity", "bot", sponsors=[world.alice.id])


def as_blueprint(world: EntraWorld, reg: EntraRegistration, **more: object) -> EntraProvider:
    assert reg.blueprint is not None
    return world.provider(
        blueprint_app_id=reg.blueprint["app_id"], blueprint_credential=reg.credential, **more
    )


def codes(exc: OAuthError) -> list[int]:
    return list(exc.details.get("aadsts", []))


def test_rfc8693_grant_is_refused_up_front_naming_both_codes(world: EntraWorld) -> None:
    with pytest.raises(UnsupportedError) as refused:
        world.provider().exchange(ExchangeRequest(subject_token="x"), client=None)  # type: ignore[arg-type]
    assert "AADSTS70003" in (refused.value.hint or "")
    assert "AADSTS82001" in (refused.value.hint or "")


def test_70003_rfc8693_sent_by_an_ordinary_app(world: EntraWorld) -> None:
    url = f"https://login.microsoftonline.com/{world.tenant.id}/oauth2/v2.0/token"
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": world.admin.app_id,
        "subject_token": "x",
    }
    response = send(world.http, "POST", url, data=form)
    exc = entra_error(response.json(), status=response.status_code, endpoint=url)
    assert codes(exc) == [70003]
    assert "--mode obo" in (exc.hint or "")


def test_82001_rfc8693_sent_by_an_agentic_app_names_the_agent_id_legs(
    world: EntraWorld, agent: EntraRegistration
) -> None:
    assert agent.blueprint is not None
    url = f"https://login.microsoftonline.com/{world.tenant.id}/oauth2/v2.0/token"
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": agent.blueprint["app_id"],
        "subject_token": "x",
    }
    response = send(world.http, "POST", url, data=form)
    body = response.json()
    assert "Agentic application" in body["error_description"]
    exc = entra_error(
        body, status=response.status_code, endpoint=url, grant_type=form["grant_type"]
    )
    assert codes(exc) == [82001]
    assert "fmi_path" in (exc.hint or "")


def test_82001_blueprint_asking_app_only_for_an_api_is_told_to_act_as_the_agent(
    world: EntraWorld, agent: EntraRegistration
) -> None:
    api, _sp, _ = world.emu.add_api(world.tenant, "orders-api")
    assert agent.blueprint is not None
    assert agent.credential is not None
    with pytest.raises(OAuthError) as err:
        world.provider().exchange_agent(
            scope=f"api://{api.app_id}/.default",
            client_id=agent.blueprint["app_id"],
            credential=agent.credential,
        )
    assert codes(err.value) == [82001]
    assert "--mode agent --agent" in (err.value.hint or "")


def test_82001_resource_that_refuses_agentic_app_only_tokens(
    world: EntraWorld, agent: EntraRegistration
) -> None:
    api, _sp, _ = world.emu.add_api(world.tenant, "bot-framework")
    api.refuses_agentic_app_only = True
    with pytest.raises(OAuthError) as err:
        as_blueprint(world, agent).exchange_agent(
            scope=f"api://{api.app_id}/.default", agent_app_id=agent.client_id
        )
    assert codes(err.value) == [82001]
    assert "--mode obo or an agent user" in (err.value.hint or "")


def test_50013_user_token_for_graph_instead_of_the_blueprint(
    world: EntraWorld, agent: EntraRegistration
) -> None:
    graph_user_token = world.emu.user_token(
        world.tenant,
        world.alice,
        world.public_client.app_id,
        "https://graph.microsoft.com/User.Read",
    )
    with pytest.raises(OAuthError) as err:
        as_blueprint(world, agent).exchange_obo(
            scope="User.Read", user_token=graph_user_token, agent_app_id=agent.client_id
        )
    assert codes(err.value) == [50013]
    assert "access_agent" in (err.value.hint or "")
    assert "audience" in (err.value.description or "")


def test_65001_no_delegated_grant_for_the_agent_identity(
    world: EntraWorld, agent: EntraRegistration
) -> None:
    provider = as_blueprint(world, agent)
    user = provider.exchange_user(scope=provider.blueprint_user_scope(), prompt=lambda flow: None)
    with pytest.raises(OAuthError) as err:
        provider.exchange_obo(
            scope="https://graph.microsoft.com/Mail.Read",
            user_token=user.token.access_token,
            agent_app_id=agent.client_id,
        )
    assert codes(err.value) == [65001]
    assert "oauth2PermissionGrant" in (err.value.hint or "")


def test_700211_exchange_token_from_another_tenant(
    world: EntraWorld, agent: EntraRegistration
) -> None:
    assert agent.blueprint is not None
    other = world.emu.add_tenant("fabrikam.onmicrosoft.com")
    # A multi-tenant blueprint has a principal in the other tenant too, so leg 1 works there.
    principal = ServicePrincipal(
        new_id(), agent.blueprint["app_id"], "bp", other.id, "blueprintPrincipal"
    )
    other.sps[principal.id] = principal
    tokens = as_blueprint(world, agent).tokens
    t1 = tokens.exchange_token(agent.client_id, tenant=other.id)
    form = {
        "grant_type": "client_credentials",
        "client_id": agent.client_id,
        "scope": GRAPH_DEFAULT,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": t1.token.access_token,
    }
    with pytest.raises(OAuthError) as err:
        tokens.post_token("leg 2", form)
    assert codes(err.value) == [700211]
    assert "home tenant" in (err.value.hint or "")


def test_700213_blueprint_is_not_the_agents(world: EntraWorld, agent: EntraRegistration) -> None:
    other = world.provider().register("agent-identity", "other", sponsors=[world.alice.id])
    with pytest.raises(OAuthError) as err:
        as_blueprint(world, other).exchange_agent(scope=GRAPH_DEFAULT, agent_app_id=agent.client_id)
    assert codes(err.value) == [700213]
    assert "fmi_path" in (err.value.hint or "")


def test_700213_missing_fmi_path(world: EntraWorld, agent: EntraRegistration) -> None:
    assert agent.blueprint is not None
    assert agent.credential is not None
    tokens = as_blueprint(world, agent).tokens
    bp = agent.blueprint["app_id"]
    t1 = tokens.post_token(
        "leg 1 without fmi_path",
        {
            "grant_type": "client_credentials",
            "client_id": bp,
            "scope": "api://AzureADTokenExchange/.default",
            "client_secret": str(agent.credential.secret),
        },
    )
    form = {
        "grant_type": "client_credentials",
        "client_id": agent.client_id,
        "scope": GRAPH_DEFAULT,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": t1.token.access_token,
    }
    with pytest.raises(OAuthError) as err:
        tokens.post_token("leg 2", form)
    assert codes(err.value) == [700213]
    assert "without fmi_path" in (err.value.description or "")


def test_7000215_wrong_secret_and_the_secret_is_not_in_the_message(world: EntraWorld) -> None:
    provider = world.provider(admin_credential=ClientCredential(secret="not-the-secret-1234"))
    with pytest.raises(OAuthError) as err:
        provider.register("app", "x")
    assert codes(err.value) == [7000215]
    assert "rotate" in (err.value.hint or "")
    assert "not-the-secret-1234" not in str(err.value.to_item())


def test_500011_unknown_resource(world: EntraWorld) -> None:
    with pytest.raises(OAuthError) as err:
        world.provider().exchange_agent(scope="api://no-such-api/.default")
    assert codes(err.value) == [500011]
    assert "service principal" in (err.value.hint or "")


def test_70011_app_only_scope_must_be_default(world: EntraWorld) -> None:
    with pytest.raises(OAuthError) as err:
        world.provider().exchange_agent(scope="https://graph.microsoft.com/User.Read")
    assert codes(err.value) == [70011]
    assert ".default" in (err.value.hint or "")


def test_90002_unknown_tenant(world: EntraWorld) -> None:
    provider = world.provider(tenant="nope.onmicrosoft.com")
    with pytest.raises(ProviderError) as err:
        provider.exchange_agent(scope=GRAPH_DEFAULT)
    assert "tenant" in (err.value.hint or "")


def test_700016_unknown_client(world: EntraWorld) -> None:
    with pytest.raises(OAuthError) as err:
        world.provider().exchange_agent(
            scope=GRAPH_DEFAULT, client_id=new_id(), credential=ClientCredential(secret="x")
        )
    assert codes(err.value) == [700016]


def test_7000218_device_code_needs_a_public_client(world: EntraWorld) -> None:
    with pytest.raises(OAuthError) as err:
        world.provider().exchange_user(
            scope="User.Read", client_id=world.admin.app_id, prompt=lambda flow: None
        )
    assert codes(err.value) == [7000218]
    assert "public client" in (err.value.hint or "")


def test_device_code_needs_a_configured_public_client(world: EntraWorld) -> None:
    from agentctl.errors import ConfigError

    with pytest.raises(ConfigError, match="public client"):
        world.provider(public_client_id=None).exchange_user(scope="User.Read", prompt=print)


def test_graph_permission_missing_names_the_fix(world: EntraWorld) -> None:
    weak, _sp, secret = world.emu.add_app(world.tenant, "weak-admin")
    assert secret is not None
    provider = world.provider(
        admin_client_id=weak.app_id, admin_credential=ClientCredential(secret=secret)
    )
    with pytest.raises(ProviderError) as err:
        provider.register("app", "x")
    assert "Authorization_RequestDenied" in err.value.message
    assert "permission" in (err.value.hint or "")


def test_agent_identity_cannot_hold_a_secret(world: EntraWorld, agent: EntraRegistration) -> None:
    with pytest.raises(UnsupportedError, match="not an application"):
        world.provider().rotate(agent.object_id)


def test_classic_modes_need_a_client(world: EntraWorld) -> None:
    with pytest.raises(UsageError, match="client id"):
        world.provider(admin_client_id=None, admin_credential=None).exchange_obo(
            scope="User.Read", user_token="x.y.z"
        )


def test_agent_id_needs_a_blueprint(world: EntraWorld) -> None:
    from agentctl.errors import ConfigError

    with pytest.raises(ConfigError, match="blueprint"):
        world.provider().exchange_agent(scope=GRAPH_DEFAULT, agent_app_id=new_id())


def test_delegated_grant_with_all_principals_is_enough(
    world: EntraWorld, agent: EntraRegistration
) -> None:
    world.emu.grant_delegated(world.tenant, agent.client_id, GRAPH_APP_ID, ("Mail.Read",))
    provider = as_blueprint(world, agent)
    user = provider.exchange_user(scope=provider.blueprint_user_scope(), prompt=lambda flow: None)
    result = provider.exchange_obo(
        scope="https://graph.microsoft.com/Mail.Read",
        user_token=user.token.access_token,
        agent_app_id=agent.client_id,
    )
    assert result.token.claims["scp"] == "Mail.Read"
