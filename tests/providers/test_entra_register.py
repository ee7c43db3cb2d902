"""Registration and lifecycle through Microsoft Graph, against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agentctl.errors import OAuthError, ProviderError, UsageError
from agentctl.providers.base import AgentSpec, Credential
from agentctl.providers.entra import credential_from, pem_bundle
from tests.emulators.entra.model import GRAPH_APP_ID
from tests.emulators.entra.world import EntraWorld, make_world

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


@pytest.fixture
def world() -> Iterator[EntraWorld]:
    w = make_world()
    yield w
    w.http.close()


def steps(requests: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["method"], str(r["url"]).split(".com/", 1)[1]) for r in requests]


def test_register_app_with_secret(world: EntraWorld) -> None:
    reg = world.provider().register("app", "nightly-report")
    assert [m for m, _ in steps(reg.requests)] == ["POST", "POST", "POST"]
    assert steps(reg.requests)[1] == ("POST", "v1.0/servicePrincipals")
    assert steps(reg.requests)[2] == ("POST", f"v1.0/applications/{reg.object_id}/addPassword")
    assert reg.credential is not None
    assert reg.credential.secret
    shown = reg.to_dict()
    assert reg.credential.secret not in json.dumps(shown)
    assert shown["credential"]["kind"] == "secret"
    assert reg.to_dict(show_secret=True)["credential"]["secret"] == reg.credential.secret
    # The new secret works at once for this app.
    token = (
        world.provider()
        .exchange_agent(scope=GRAPH_DEFAULT, client_id=reg.client_id, credential=reg.credential)
        .token
    )
    assert token.claims["oid"] == reg.service_principal_id


def test_register_app_with_certificate_uploads_only_the_public_part(world: EntraWorld) -> None:
    reg = world.provider().register("app", "cert-bot", credential="certificate", days=30)
    patch = [r for r in reg.requests if r["method"] == "PATCH"]
    assert len(patch) == 1
    assert "PRIVATE KEY" not in json.dumps(reg.requests)
    assert reg.credential is not None
    assert reg.credential.private_key_pem
    assert "PRIVATE KEY" not in json.dumps(reg.to_dict())
    bundle = pem_bundle(reg.credential)
    assert bundle is not None
    again = credential_from(Credential(reg.client_id, "private_key_jwt", private_key_pem=bundle))
    assert again.thumbprints() == reg.credential.thumbprints()


def test_register_agent_identity_full_chain(world: EntraWorld) -> None:
    reg = world.provider().register(
        "agent-identity",
        "triage-bot",
        sponsors=["alice@contoso.onmicrosoft.com"],
        agent_user_upn="triage@contoso.onmicrosoft.com",
    )
    bp = reg.blueprint and reg.blueprint["object_id"]
    assert steps(reg.requests)[:7] == [
        ("GET", "v1.0/users/alice%40contoso.onmicrosoft.com"),
        ("POST", "v1.0/applications/microsoft.graph.agentIdentityBlueprint"),
        ("POST", "v1.0/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal"),
        ("POST", f"v1.0/applications/{bp}/addPassword"),
        ("PATCH", f"v1.0/applications/{bp}"),
        ("GET", "v1.0/servicePrincipals"),  # Graph's app roles, to give the blueprint one
        (
            "POST",
            f"v1.0/servicePrincipals/{reg.blueprint and reg.blueprint['principal_id']}"
            "/appRoleAssignments",
        ),
    ]
    # The agent identity and its user are created by the blueprint itself, the user only after
    # an admin gave the blueprint AgentIdUser.ReadWrite.IdentityParentedBy (not in a fresh
    # blueprint's token); then consent is granted through Graph, never seeded.
    created = [(r["method"], r["auth"], r["step"]) for r in reg.requests if r["method"] == "POST"]
    assert ("POST", "blueprint", "create the agent identity") in created
    assert ("POST", "blueprint", "create the agent user") in created
    grants = [
        r["body"]
        for r in reg.requests
        if str(r["url"]).endswith("oauth2PermissionGrants") and r["method"] == "POST"
    ]
    assert {g["consentType"] for g in grants} == {"AllPrincipals", "Principal"}
    assert reg.consent is not None
    assert reg.consent["status"] == "granted"
    body = reg.requests[1]["body"]
    assert isinstance(body, dict)
    assert body["@odata.type"] == "Microsoft.Graph.AgentIdentityBlueprint"
    assert body["sponsors@odata.bind"] == [
        f"https://graph.microsoft.com/v1.0/users/{world.alice.id}"
    ]
    assert reg.blueprint is not None
    assert reg.credential_owner == reg.blueprint["app_id"]
    assert reg.agent_user is not None
    stored = world.tenant.sps[reg.object_id]
    assert stored.kind == "agentIdentity"
    assert stored.blueprint_app_id == reg.blueprint["app_id"]
    assert world.tenant.users[reg.agent_user["id"]].identity_parent_id == reg.object_id


def test_registration_retries_while_new_objects_propagate(world: EntraWorld) -> None:
    world.emu.propagation_delay = 2
    reg = world.provider().register("agent-identity", "slow-bot", sponsors=[world.alice.id])
    assert reg.client_id
    retries = [p for p in world.progress if "retry" in p]
    assert any("propagate" in p for p in retries)
    assert any("sign in as the blueprint" in p for p in retries)  # 700016 at the token endpoint
    assert world.sleeps
    assert world.sleeps[:2] == [0.5, 1.0]
    assert any("of 600s" in p for p in retries)  # the progress line shows the window


def test_registration_gives_up_after_the_window_with_a_clear_error(world: EntraWorld) -> None:
    world.emu.propagation_delay = 500
    provider = world.provider(propagation_window=10.0)
    with pytest.raises(ProviderError) as err:
        provider.register("app", "never-visible")
    assert "does not exist" in err.value.message
    assert "AGENTCTL_ENTRA_PROPAGATION_WINDOW" in (err.value.hint or "")
    assert sum(world.sleeps) <= 10.0
    assert len(world.sleeps) == 4  # 0.5 + 1 + 2 + 4; the next 8 s would pass the window


def test_dry_run_sends_nothing_and_shows_no_secret(world: EntraWorld) -> None:
    before = dict(world.emu.apps)
    reg = world.provider().register(
        "agent-identity",
        "planned-bot",
        sponsors=["alice@contoso.onmicrosoft.com"],
        agent_user_upn="planned@contoso.onmicrosoft.com",
        dry_run=True,
    )
    assert world.emu.apps == before
    assert world.emu.log == []  # not even a token request
    assert reg.dry_run
    assert reg.credential is None
    assert [r["step"] for r in reg.requests][:6] == [
        "look up sponsor alice@contoso.onmicrosoft.com",
        "create the agent identity blueprint",
        "create the blueprint principal",
        "add a client secret",
        "expose api://<blueprint>/access_agent for OBO",
        f"find the service principal of {GRAPH_APP_ID}",
    ]
    steps_ = [r["step"] for r in reg.requests]
    assert "create the agent identity" in steps_
    assert "create the agent user" in steps_
    dumped = json.dumps(reg.to_dict(show_secret=True))
    assert world.admin_secret not in dumped
    assert "secretText" not in dumped
    assert "eyJ" not in dumped
    assert "<create the agent identity blueprint: appId>" in dumped


def test_dry_run_certificate_has_no_key_material(world: EntraWorld) -> None:
    reg = world.provider().register("app", "x", credential="certificate", dry_run=True)
    dumped = json.dumps(reg.to_dict(show_secret=True))
    assert "generated locally" in dumped
    assert "PRIVATE KEY" not in dumped
    assert "BEGIN CERTIFICATE" not in dumped


def test_sponsor_is_required(world: EntraWorld) -> None:
    with pytest.raises(UsageError, match="sponsor"):
        world.provider().register("agent-identity", "orphan", sponsors=[])


def test_unknown_sponsor_is_reported(world: EntraWorld) -> None:
    with pytest.raises(ProviderError, match="does not exist"):
        world.provider().register(
            "agent-identity", "x", sponsors=["nobody@contoso.onmicrosoft.com"]
        )


def test_second_agent_reuses_the_profile_blueprint(world: EntraWorld) -> None:
    first = world.provider().register("agent-identity", "one", sponsors=[world.alice.id])
    assert first.blueprint is not None
    provider = world.provider(
        blueprint_app_id=first.blueprint["app_id"], blueprint_credential=first.credential
    )
    second = provider.register(
        "agent-identity", "two", sponsors=[world.alice.id], reuse_blueprint=True
    )
    assert "create the agent identity blueprint" not in [r["step"] for r in second.requests]
    assert "create the agent identity" in [r["step"] for r in second.requests]
    assert second.credential is None
    listed = provider.list_agents(blueprint_app_id=first.blueprint["app_id"])
    assert {a["display_name"] for a in listed["agent_identities"]} == {"one", "two"}
    assert [b["client_id"] for b in listed["blueprints"]] == [first.blueprint["app_id"]]


def test_rotate_secret_revokes_the_old_one(world: EntraWorld) -> None:
    provider = world.provider()
    reg = provider.register("app", "rotating")
    old = reg.credential
    assert old is not None
    rotated = provider.rotate(reg.object_id)
    assert rotated.credential is not None
    assert rotated.credential.secret != old.secret
    assert len(rotated.removed_credentials) == 1
    token = provider.exchange_agent(
        scope=GRAPH_DEFAULT, client_id=reg.client_id, credential=rotated.credential
    ).token
    assert token.claims["appid"] == reg.client_id
    with pytest.raises(OAuthError) as err:
        world.provider().exchange_agent(
            scope=GRAPH_DEFAULT, client_id=reg.client_id, credential=old
        )
    assert err.value.details["aadsts"] == [7000215]


def test_list_and_delete(world: EntraWorld) -> None:
    provider = world.provider()
    app = provider.register("app", "short-lived")
    assert [a["client_id"] for a in provider.list_apps(display_name="short-lived")] == [
        app.client_id
    ]
    agent = provider.register("agent-identity", "temp", sponsors=[world.alice.id])
    calls = provider.delete(agent.object_id, kind="agent-identity")
    assert calls[0]["method"] == "DELETE"
    assert agent.object_id not in {
        a["object_id"] for a in provider.list_agents()["agent_identities"]
    }
    provider.delete(app.object_id, kind="app")
    assert provider.list_apps(display_name="short-lived") == []
    with pytest.raises(OAuthError) as err:
        provider.exchange_agent(
            scope=GRAPH_DEFAULT, client_id=app.client_id, credential=app.credential
        )
    assert err.value.details["aadsts"] == [700016]


def test_protocol_register_agent_returns_a_storable_registration(world: EntraWorld) -> None:
    provider = world.provider()
    reg = provider.register_agent(AgentSpec(name="proto-bot", credential="private_key_jwt"))
    assert reg.created
    assert reg.auth_method == "private_key_jwt"
    assert reg.private_key_pem
    assert "BEGIN CERTIFICATE" in reg.private_key_pem
    token = provider.client_credentials(reg.credential(), scope=GRAPH_DEFAULT)
    assert token.access_token
    assert token.grant_type == "client_credentials"
    assert "client_secret" not in json.dumps(reg.to_dict()) or reg.client_secret is None


# -- documented refusals ------------------------------------------------------------------------


def _admin_without(world: EntraWorld, *drop: str, add: tuple[str, ...] = ()) -> None:
    from tests.emulators.entra.model import DOCUMENTED_ADMIN_ROLES

    graph = world.tenant.sp_by_app_id(GRAPH_APP_ID)
    admin = world.tenant.sp_by_app_id(world.admin.app_id)
    assert graph is not None
    assert admin is not None
    world.tenant.roles = {r for r in world.tenant.roles if r[0] != admin.id}
    for role in (*[r for r in DOCUMENTED_ADMIN_ROLES if r not in drop], *add):
        world.tenant.roles.add((admin.id, graph.id, role))


def test_agent_user_without_the_right_fails_before_anything_is_created(world: EntraWorld) -> None:
    _admin_without(world, "AppRoleAssignment.ReadWrite.All")
    before = dict(world.emu.apps)
    with pytest.raises(ProviderError) as err:
        world.provider().register(
            "agent-identity",
            "x",
            sponsors=[world.alice.id],
            agent_user_upn="x@contoso.onmicrosoft.com",
        )
    assert "AppRoleAssignment.ReadWrite.All" in err.value.message
    assert "nothing was created" in err.value.message
    assert "adminconsent" in (err.value.hint or "")
    assert world.emu.apps == before


def test_directory_readwrite_all_on_the_admin_is_named_as_the_trap(world: EntraWorld) -> None:
    _admin_without(world, add=("Directory.ReadWrite.All",))
    with pytest.raises(ProviderError, match=r"Directory\.ReadWrite\.All"):
        world.provider().register("agent-identity", "x", sponsors=[world.alice.id])
    assert not [a for a in world.emu.apps.values() if a.kind == "blueprint"]


def test_a_failure_midway_rolls_back_what_was_created(world: EntraWorld) -> None:
    taken = world.emu.add_user(world.tenant, "taken")
    with pytest.raises(ProviderError) as err:
        world.provider().register(
            "agent-identity", "x", sponsors=[world.alice.id], agent_user_upn=taken.upn
        )
    assert "rolled back" in err.value.message
    blueprints = [a for a in world.emu.apps.values() if a.kind == "blueprint"]
    assert blueprints
    assert all(a.deleted_at is not None for a in blueprints)
    agents = [s for s in world.tenant.sps.values() if s.kind == "agentIdentity"]
    assert agents
    assert all(s.deleted_at is not None for s in agents)


def test_without_grant_permission_consent_is_pending_with_the_admin_consent_url(
    world: EntraWorld,
) -> None:
    _admin_without(world, "DelegatedPermissionGrant.ReadWrite.All")
    reg = world.provider().register("agent-identity", "x", sponsors=[world.alice.id])
    assert reg.consent is not None
    assert reg.consent["status"] == "pending"
    assert reg.consent["missing"] == ["DelegatedPermissionGrant.ReadWrite.All"]
    url = reg.consent["admin_consent_url"]
    assert f"/{world.tenant.id}/v2.0/adminconsent?client_id={reg.client_id}" in url
    assert "redirect_uri=https%3A%2F%2Fentra.microsoft.com%2FTokenAuthorize" in url
    assert world.tenant.grants == []


def test_agent_identity_is_deleted_as_its_blueprint_without_deleterestore(
    world: EntraWorld,
) -> None:
    reg = world.provider().register("agent-identity", "x", sponsors=[world.alice.id])
    assert reg.blueprint is not None
    assert reg.credential is not None
    _admin_without(world, "AgentIdentity.DeleteRestore.All")
    with pytest.raises(ProviderError) as err:  # the admin app alone may not
        world.provider().delete(reg.object_id, kind="agent-identity")
    assert err.value.details["status"] == 403
    world.provider().delete(
        reg.object_id, kind="agent-identity", blueprint=(reg.blueprint["app_id"], reg.credential)
    )
    assert world.tenant.sps[reg.object_id].deleted_at is not None  # soft: 30-day recycle bin


def test_blueprint_delete_cascades_to_agent_identities_only_after_a_day(world: EntraWorld) -> None:
    now = [1_800_000_000.0]
    world.emu.clock = lambda: now[0]
    reg = world.provider().register("agent-identity", "x", sponsors=[world.alice.id])
    assert reg.blueprint is not None
    world.provider().delete(reg.blueprint["object_id"], kind="blueprint")
    agent = world.tenant.sps[reg.object_id]
    assert not world.emu.deleted(agent)
    now[0] += 24 * 3600
    assert world.emu.deleted(agent)


def test_blueprint_quota_counts_soft_deleted_blueprints(world: EntraWorld) -> None:
    world.emu.blueprint_quota = 1
    first = world.provider().register("agent-identity", "one", sponsors=[world.alice.id])
    assert first.blueprint is not None
    world.provider().delete(first.blueprint["object_id"], kind="blueprint")
    with pytest.raises(ProviderError) as err:
        world.provider().register("agent-identity", "two", sponsors=[world.alice.id])
    assert err.value.details["graph_code"] == "AgentBlueprint_LimitExceeded"
    assert "--blueprint" in (err.value.hint or "")


def test_agent_list_shows_the_client_id_of_agent_identities(world: EntraWorld) -> None:
    reg = world.provider().register("agent-identity", "x", sponsors=[world.alice.id])
    listed = world.provider().list_agents()["agent_identities"]
    assert [a["client_id"] for a in listed] == [reg.client_id] == [reg.object_id]
