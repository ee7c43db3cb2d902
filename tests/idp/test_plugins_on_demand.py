"""The IdP's plugins (device, authorize, resource, webapp) load when a request needs them
(issue 16: `agentctl exchange` needs none of them), and the IdP answers exactly as if they had
been loaded at start: the same metadata document, the same grants at the token endpoint, the
same endpoints, served over real HTTP."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agentctl.http import build_http_client
from agentctl.idp.api import IdpApp
from agentctl.idp.metadata import authorization_server_metadata
from agentctl.idp.server import PLUGINS, IdpPlugin, OnDemandPlugin, default_plugins
from agentctl.idp.service import IdpService
from agentctl.idp.wsgi import create_wsgi_app
from tests.idp.conftest import Idp, assert_oauth_error, serving

ISSUERS = ("enterprise", "mcp-as")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _eager() -> list[IdpPlugin]:
    """Every bundled plugin imported and built at once (as before on-demand loading)."""
    return [importlib.import_module(spec.module).plugin() for spec in PLUGINS]


def _loaded(idp: IdpApp) -> dict[str, bool]:
    return {p.spec.module: p.loaded for p in idp.plugins if isinstance(p, OnDemandPlugin)}


@pytest.fixture
def served_on_demand() -> Iterator[Idp]:
    with serving() as running:
        yield running


def test_the_metadata_document_is_the_same_loaded_or_not() -> None:
    svc = IdpService.open()
    lazy = IdpApp(svc.ctx)
    eager = IdpApp(svc.ctx, _eager())
    loaded_now = IdpApp(svc.ctx, default_plugins(load=True))
    for name in ISSUERS:
        doc = authorization_server_metadata(lazy.server(name))
        assert doc == authorization_server_metadata(eager.server(name))
        assert doc == authorization_server_metadata(loaded_now.server(name))
    assert not any(_loaded(lazy).values())  # advertising a plugin never loaded it
    device = authorization_server_metadata(lazy.server("enterprise"))
    assert device["device_authorization_endpoint"].endswith("/i/enterprise/device_authorization")
    assert "authorization_code" in device["grant_types_supported"]
    assert device["protected_resources"] == [f"{svc.ctx.issuer_url('enterprise')}/resource"]


def test_a_token_exchange_in_process_loads_no_plugin(inproc: Idp) -> None:
    app = create_wsgi_app(inproc.svc.ctx)
    http = build_http_client(
        transport=httpx.WSGITransport(app=app, remote_addr="127.0.0.1"),
        base_url=inproc.svc.ctx.base_url,
    )
    client = Idp(inproc.svc, http, inproc.svc.ctx.base_url)
    agent = client.agent()
    client.user()
    assert http.get("/.well-known/oauth-authorization-server/i/enterprise").status_code == 200
    user = client.user_tokens(agent, may_act=agent.client_id)
    actor = client.cc(agent)
    r = client.exchange(agent, user["access_token"], actor=actor)
    assert r.status_code == 200, r.text
    assert not any(_loaded(app.idp).values())
    http.close()


@pytest.mark.parametrize(
    ("grant_type", "extra"),
    [
        (DEVICE_GRANT, {"device_code": "x" * 43}),
        (
            "authorization_code",
            {"code": "y" * 43, "redirect_uri": "http://127.0.0.1/cb", "code_verifier": "z" * 43},
        ),
    ],
)
def test_a_plugin_grant_at_the_token_endpoint_loads_its_plugin_first(
    served_on_demand: Idp, grant_type: str, extra: dict[str, Any]
) -> None:
    # The first request this server sees: a plugin's grant type with an unknown code. The
    # grant answers (invalid_grant), not "unsupported_grant_type" as it would unloaded.
    idp = served_on_demand
    agent = idp.agent()
    r = idp.token({"grant_type": grant_type, "client_id": agent.client_id, **extra}, agent)
    assert r.json()["error"] != "unsupported_grant_type", r.text
    assert r.status_code == 400, r.text


def test_the_device_flow_works_when_its_endpoint_is_the_first_request(
    served_on_demand: Idp,
) -> None:
    idp = served_on_demand
    agent = idp.agent()
    r = idp.http.post(
        idp.url("enterprise", "device_authorization"),
        auth=(agent.client_id, agent.client_secret or ""),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verification_uri"].endswith("/i/enterprise/device")
    poll = idp.token(
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": body["device_code"],
        },
        agent,
    )
    assert_oauth_error(poll, "authorization_pending")


def test_a_plugins_tables_are_made_when_it_loads(served_on_demand: Idp) -> None:
    idp = served_on_demand
    agent = idp.agent()
    idp.token(
        {"grant_type": DEVICE_GRANT, "device_code": "x" * 43},
        agent,
    )
    tables = {
        r["name"] for r in idp.svc.store.rows("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"device_codes", "device_forms"} <= tables
