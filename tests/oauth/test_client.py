from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import parse_qs, parse_qsl

import jwt
import pytest

from agentctl.errors import ConfigError, OAuthError, ProviderError, UsageError
from agentctl.http import build_http_client
from agentctl.oauth import client as oc
from agentctl.oauth.client_auth import (
    ASSERTION_TYPE,
    ClientSecretBasic,
    NoClientAuth,
    make_client_auth,
)
from agentctl.oauth.device import DeviceAuthorization, poll_device_token
from agentctl.oauth.keys import generate_key_pair, thumbprint
from agentctl.oauth.private_key_jwt import PrivateKeyJwt
from agentctl.oauth.registration import register_client
from tests.oauth.servers import Reply, Seen, json_reply, serve


def test_token_exchange_form_repeats_resource_and_audience_in_order() -> None:
    form = oc.token_exchange_form(
        oc.ExchangeRequest(
            subject_token="S",
            actor_token="A",
            actor_token_type=oc.TOKEN_TYPE_JWT,
            resource=("https://r1", "https://r2"),
            audience=("aud1", "aud2"),
            scope="read write",
            requested_token_type=oc.TOKEN_TYPE_ID_JAG,
        )
    )
    assert form == [
        ("grant_type", oc.GRANT_TOKEN_EXCHANGE),
        ("resource", "https://r1"),
        ("resource", "https://r2"),
        ("audience", "aud1"),
        ("audience", "aud2"),
        ("scope", "read write"),
        ("requested_token_type", oc.TOKEN_TYPE_ID_JAG),
        ("subject_token", "S"),
        ("subject_token_type", oc.TOKEN_TYPE_ACCESS),
        ("actor_token", "A"),
        ("actor_token_type", oc.TOKEN_TYPE_JWT),
    ]


@pytest.mark.parametrize(
    ("actor", "actor_type"), [("A", None), (None, "urn:ietf:params:oauth:token-type:jwt")]
)
def test_actor_token_and_type_go_together(actor: str | None, actor_type: str | None) -> None:
    with pytest.raises(UsageError, match="go together"):
        oc.token_exchange_form(
            oc.ExchangeRequest(subject_token="S", actor_token=actor, actor_token_type=actor_type)
        )


def test_repeated_fields_reach_the_server() -> None:
    def token(seen: Seen) -> Reply:
        return json_reply({"access_token": "t", "token_type": "N_A", "issued_token_type": "x"})

    with serve({"/token": token}) as srv:
        ts = oc.token_exchange(
            build_http_client(),
            srv.url + "/token",
            ClientSecretBasic("c", "s"),
            oc.ExchangeRequest(subject_token="S", resource=("https://r1", "https://r2")),
        )
        sent = parse_qs(srv.seen[0].body.decode())
    assert sent["resource"] == ["https://r1", "https://r2"]
    assert ts.issued_token_type == "x"
    assert ts.grant_type == oc.GRANT_TOKEN_EXCHANGE


def test_client_secret_basic_form_encodes_before_base64() -> None:
    headers: dict[str, str] = {}
    ClientSecretBasic("my client", "p@ss:word").apply([], headers, endpoint="x")
    decoded = base64.b64decode(headers["Authorization"].split()[1]).decode()
    assert decoded == "my%20client:p%40ss%3Aword"


def test_private_key_jwt_assertion_claims() -> None:
    key = generate_key_pair("ES256")
    auth = PrivateKeyJwt("agent-1", key.private_pem, kid=key.kid, alg="ES256", now=lambda: 1000)
    form: list[tuple[str, str]] = []
    auth.apply(form, {}, endpoint="https://idp.example/token")
    fields = dict(form)
    assert fields["client_assertion_type"] == ASSERTION_TYPE
    token = fields["client_assertion"]
    assert jwt.get_unverified_header(token)["kid"] == key.kid == thumbprint(key.public_jwk)
    claims = jwt.decode(
        token,
        jwt.PyJWK(key.public_jwk).key,
        algorithms=["ES256"],
        audience="https://idp.example/token",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == claims["sub"] == "agent-1"
    assert claims["exp"] - claims["iat"] == 60
    second: list[tuple[str, str]] = []
    auth.apply(second, {}, endpoint="https://idp.example/token")
    assert (
        jwt.decode(dict(second)["client_assertion"], options={"verify_signature": False})["jti"]
        != claims["jti"]
    )


def test_assertion_audience_can_be_the_issuer() -> None:
    key = generate_key_pair()
    auth = make_client_auth(
        "private_key_jwt",
        "c",
        private_key_pem=key.private_pem,
        assertion_audience="issuer",
        issuer="https://idp.example",
        token_endpoint="https://idp.example/oauth2/token",
    )
    form: list[tuple[str, str]] = []
    auth.apply(form, {}, endpoint="https://idp.example/oauth2/token")
    claims = jwt.decode(dict(form)["client_assertion"], options={"verify_signature": False})
    assert claims["aud"] == "https://idp.example"


def test_missing_secret_says_how_to_provide_it() -> None:
    with pytest.raises(ConfigError) as info:
        make_client_auth("client_secret_basic", "c")
    assert "AGENTCTL_SECRET_" in (info.value.hint or "")


def test_oauth_error_gets_a_hint() -> None:
    body = {"error": "invalid_client", "error_description": "bad secret"}
    with (
        serve({"/token": lambda _: json_reply(body, 401)}) as srv,
        pytest.raises(OAuthError) as info,
    ):
        oc.client_credentials(build_http_client(), srv.url + "/token", ClientSecretBasic("c", "s"))
    assert info.value.error == "invalid_client"
    assert "expired secret" in (info.value.hint or "")


def test_200_without_access_token_is_an_idp_error() -> None:
    with (
        serve({"/token": lambda _: json_reply({"token_type": "Bearer"})}) as srv,
        pytest.raises(ProviderError, match="no access_token"),
    ):
        oc.client_credentials(build_http_client(), srv.url + "/token", ClientSecretBasic("c", "s"))


def _scripted(
    answers: list[tuple[int, dict[str, object]]],
) -> tuple[dict[str, Callable[[Seen], Reply]], list[str]]:
    calls: list[str] = []

    def token(seen: Seen) -> Reply:
        calls.append(dict(parse_qsl(seen.body.decode()))["grant_type"])
        status, body = answers[min(len(calls) - 1, len(answers) - 1)]
        return json_reply(body, status)

    return {"/token": token}, calls


def _device(expires_in: int = 600, interval: int = 2) -> DeviceAuthorization:
    return DeviceAuthorization("dc", "ABCD-EFGH", "https://v", None, expires_in, interval)


def test_device_poll_waits_slows_down_and_gets_the_token() -> None:
    routes, calls = _scripted(
        [
            (400, {"error": "authorization_pending"}),
            (400, {"error": "slow_down"}),
            (400, {"error": "authorization_pending"}),
            (200, {"access_token": "at", "token_type": "Bearer"}),
        ]
    )
    slept: list[float] = []
    waits: list[tuple[str, int]] = []
    with serve(routes) as srv:
        ts = poll_device_token(
            build_http_client(),
            srv.url + "/token",
            NoClientAuth("cli"),
            _device(),
            sleep=slept.append,
            clock=lambda: 0.0,
            on_wait=lambda e, i: waits.append((e, i)),
        )
    assert ts.access_token == "at"
    assert slept == [2, 2, 7, 7]  # RFC 8628 §3.5: slow_down adds 5 seconds for good
    assert waits == [("authorization_pending", 2), ("slow_down", 7), ("authorization_pending", 7)]
    assert calls == [oc.GRANT_DEVICE_CODE] * 4


def test_device_poll_stops_on_expired_token() -> None:
    routes, _ = _scripted([(400, {"error": "expired_token"})])
    with serve(routes) as srv, pytest.raises(OAuthError, match="expired") as info:
        poll_device_token(
            build_http_client(),
            srv.url + "/token",
            NoClientAuth("c"),
            _device(),
            sleep=lambda _: None,
            clock=lambda: 0.0,
        )
    assert "start again" in (info.value.hint or "")


def test_device_poll_gives_up_at_the_codes_lifetime() -> None:
    routes, calls = _scripted([(400, {"error": "authorization_pending"})])
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with serve(routes) as srv, pytest.raises(OAuthError, match="expired"):
        poll_device_token(
            build_http_client(),
            srv.url + "/token",
            NoClientAuth("c"),
            _device(expires_in=10, interval=3),
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert len(calls) == 4  # at t=3, 6, 9, 12; then the 10 s lifetime is over


def test_registration_sends_the_initial_access_token_and_explains_a_401() -> None:
    def reg(seen: Seen) -> Reply:
        if seen.headers.get("Authorization") != "Bearer iat-123":
            return (401, {}, b"")
        return json_reply(
            {"client_id": "new", "client_secret": "s", "client_secret_expires_at": 0}, 201
        )

    with serve({"/reg": reg}) as srv:
        http = build_http_client()
        with pytest.raises(ProviderError, match="requires an initial access token") as info:
            register_client(http, srv.url + "/reg", {"client_name": "a"})
        assert "--initial-access-token" in (info.value.hint or "")
        created = register_client(
            http, srv.url + "/reg", {"client_name": "a"}, initial_access_token="iat-123"
        )
    assert created.client_id == "new"
    assert created.client_secret_expires_at == 0
    assert "client_secret=" not in repr(created)  # secrets stay out of logs and tracebacks
