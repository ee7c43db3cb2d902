from __future__ import annotations

import base64
import json

from agentctl.http import build_http_client
from agentctl.oauth import client as oc
from agentctl.oauth.client_auth import ClientSecretBasic, ClientSecretPost
from agentctl.oauth.keys import generate_key_pair
from agentctl.oauth.private_key_jwt import PrivateKeyJwt
from agentctl.oauth.registration import register_client
from agentctl.oauth.trace import TraceLog, Tracer, decode_token
from tests.oauth.servers import Reply, Seen, json_reply, serve


def _jwt(claims: dict[str, object]) -> str:
    def seg(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{seg({'alg': 'RS256', 'typ': 'at+jwt'})}.{seg(claims)}.c2lnbmF0dXJl"


ACCESS = _jwt({"sub": "agent-7", "aud": "https://api.example", "scope": "api:read"})
REFRESH = "opaque-refresh-6f1d2c"
SECRET = "s3cr3t-value-!@#"
REG_TOKEN = "registration-token-9a8b"
SUBJECT = _jwt({"sub": "alice", "may_act": {"sub": "agent-7"}})


def _token(_: Seen) -> Reply:
    return json_reply({"access_token": ACCESS, "refresh_token": REFRESH, "token_type": "Bearer"})


def _register(_: Seen) -> Reply:
    return json_reply(
        {"client_id": "c1", "client_secret": SECRET, "registration_access_token": REG_TOKEN}, 201
    )


def _everything(tracer: Tracer) -> str:
    return json.dumps([e.to_dict() for e in tracer.events]) + "\n".join(
        line for e in tracer.events for line in e.lines()
    )


def test_no_secret_or_token_appears_in_any_trace_event() -> None:
    key = generate_key_pair()
    log = TraceLog()
    tracer = Tracer(log)
    with serve({"/token": _token, "/reg": _register}) as srv:
        http = build_http_client(event_hooks=tracer.hooks())
        oc.client_credentials(http, srv.url + "/token", ClientSecretBasic("c1", SECRET))
        oc.client_credentials(http, srv.url + "/token", ClientSecretPost("c1", SECRET))
        pk = PrivateKeyJwt("c1", key.private_pem, kid=key.kid)
        req = oc.ExchangeRequest(
            subject_token=SUBJECT,
            actor_token=ACCESS,
            actor_token_type=oc.TOKEN_TYPE_ACCESS,
            resource=("https://a.example", "https://b.example"),
        )
        oc.token_exchange(http, srv.url + "/token", pk, req)
        oc.refresh(http, srv.url + "/token", None, refresh_token=REFRESH)
        register_client(http, srv.url + "/reg", {"client_name": "x"}, initial_access_token="iat-1")
        assertion = srv.seen[2].body.decode()
    text = _everything(tracer)
    for secret in (SECRET, ACCESS, REFRESH, SUBJECT, REG_TOKEN, "iat-1", key.private_pem):
        assert secret not in text
    assert base64.b64encode(f"c1:{SECRET}".encode()).decode() not in text
    assert "client_assertion=" in assertion  # it was sent, and yet...
    assert assertion.split("client_assertion=")[1].split("&")[0] not in text
    assert "<redacted sha256:" in text
    assert len(tracer.events) == 10
    assert log.lines[0].startswith("> POST ")


def test_tokens_are_decoded_beside_the_event() -> None:
    tracer = Tracer()
    with serve({"/token": _token}) as srv:
        http = build_http_client(event_hooks=tracer.hooks())
        oc.client_credentials(http, srv.url + "/token", ClientSecretBasic("c1", SECRET))
    response = tracer.events[-1]
    assert response.status == 200
    views = {t.field: t for t in response.tokens}
    assert views["access_token"].claims == {
        "sub": "agent-7",
        "aud": "https://api.example",
        "scope": "api:read",
    }
    assert views["access_token"].header == {"alg": "RS256", "typ": "at+jwt"}
    assert views["refresh_token"].claims is None  # opaque
    assert any("decoded (unverified)" in line for line in response.lines())


def test_repeated_form_fields_stay_visible_as_lists() -> None:
    tracer = Tracer()
    with serve({"/token": _token}) as srv:
        http = build_http_client()
        tracer.attach(http)
        oc.client_credentials(
            http,
            srv.url + "/token",
            ClientSecretBasic("c1", SECRET),
            resource=["https://a.example", "https://b.example"],
        )
    assert tracer.events[0].body["resource"] == ["https://a.example", "https://b.example"]


def test_a_secret_in_an_unknown_field_is_scrubbed_when_declared() -> None:
    tracer = Tracer(secrets=["hunter2-hunter2"])

    def odd(_: Seen) -> Reply:
        return json_reply({"access_token": "x", "token_type": "Bearer", "pw": "hunter2-hunter2"})

    with serve({"/token": odd}) as srv:
        http = build_http_client(event_hooks=tracer.hooks())
        oc.client_credentials(http, srv.url + "/token", ClientSecretBasic("c1", "s"))
    assert "hunter2-hunter2" not in _everything(tracer)


def test_decode_token_shapes() -> None:
    assert decode_token("access_token", "not-a-jwt").claims is None
    assert decode_token("access_token", "eyJ.eyJ.x").claims is None
    jwe = "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"
    assert decode_token("id_token", jwe).header == {"alg": "RSA-OAEP"}
