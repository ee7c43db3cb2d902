"""Changing a secret or password through IdpService takes effect over HTTP at once."""

from __future__ import annotations

import dataclasses

import pytest

from agentctl.idp.service import NotFound
from tests.idp.conftest import PASSWORD, Idp


def test_new_client_secret_replaces_the_old_one_at_every_issuer(idp: Idp) -> None:
    creds = idp.agent("rotating-bot")
    old = dataclasses.replace(creds)
    idp.svc.set_client_secret(creds.client_id, "brand-new-secret", issuers=["enterprise", "mcp-as"])
    refused = idp.token({"grant_type": "client_credentials"}, old)
    assert refused.status_code == 401
    new = dataclasses.replace(creds, client_secret="brand-new-secret")
    assert idp.cc(new)
    assert idp.cc(new, issuer="mcp-as")


def test_new_password_signs_in_and_the_old_one_does_not(idp: Idp) -> None:
    creds = idp.agent()
    idp.user("alice")
    idp.svc.set_password("alice", "another password")
    url = idp.url("enterprise", "admin/user-token")
    form = {"username": "alice", "client_id": creds.client_id}
    headers = idp.admin_headers()
    assert (
        idp.http.post(url, data={**form, "password": PASSWORD}, headers=headers).status_code == 400
    )
    assert (
        idp.http.post(url, data={**form, "password": "another password"}, headers=headers)
    ).status_code == 200
    with pytest.raises(NotFound):
        idp.svc.set_password("nobody", "x")
