from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.core import emit

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"


def test_header_line_is_an_rfc6750_authorization_header() -> None:
    assert emit.render("header", TOKEN) == f"Authorization: Bearer {TOKEN}\n"


def test_dpop_tokens_keep_their_scheme() -> None:
    assert emit.header_line(TOKEN, "DPoP") == f"Authorization: DPoP {TOKEN}"


def test_env_line_round_trips_through_a_real_shell() -> None:
    line = emit.render("env", TOKEN)
    out = subprocess.run(
        ["sh", "-c", f'{line}printf %s "$AGENTCTL_TOKEN"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == TOKEN


@settings(max_examples=100)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00")))
def test_env_line_quotes_anything_safely(value: str) -> None:
    # A hostile "token" must not break out of the quoting: shlex reads back exactly one word.
    line = emit.env_line(value)
    words = shlex.split(line)
    assert words == ["export", f"AGENTCTL_TOKEN={value}"]


def test_env_rejects_a_bad_variable_name() -> None:
    with pytest.raises(ValueError, match="variable"):
        emit.env_line(TOKEN, "1; rm -rf")


def test_curl_command_targets_the_audience_url() -> None:
    line = emit.render("curl", TOKEN, url="https://api.example/v1")
    assert shlex.split(line) == [
        "curl",
        "-sS",
        "-H",
        f"Authorization: Bearer {TOKEN}",
        "https://api.example/v1",
    ]


def test_curl_without_a_url_uses_an_obvious_placeholder() -> None:
    assert shlex.split(emit.render("curl", TOKEN))[-1] == emit.PLACEHOLDER_URL


def test_target_url_picks_the_first_http_url() -> None:
    assert emit.target_url(["api://x", "https://a.example", "https://b.example"]) == (
        "https://a.example"
    )
    assert emit.target_url(["urn:x", "billing"]) is None


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown emit form"):
        emit.render("cookies", TOKEN)


def test_the_leaky_playwright_form_is_refused_naming_its_successors() -> None:
    with pytest.raises(ValueError, match="playwright-python or playwright-node"):
        emit.parse_spec("playwright")


# -- browser forms -----------------------------------------------------------------------------

JWT = (
    "eyJhbGciOiJFUzI1NiJ9."
    + base64.urlsafe_b64encode(
        json.dumps(
            {
                "iss": "https://login.microsoftonline.com/tid-1/v2.0",
                "sub": "alice",
                "oid": "oid-1",
                "tid": "tid-1",
                "azp": "agent-app",
                "scp": "User.Read Files.Read",
                "iat": 1000,
                "exp": 4000,
                "preferred_username": "alice@contoso.example",
            }
        ).encode()
    )
    .decode()
    .rstrip("=")
    + ".c2ln"
)
APP = "http://127.0.0.1:8400/i/enterprise/resource"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8400/i/x", "http://127.0.0.1:8400"),
        ("HTTPS://App.Example:443/path?q#f", "https://app.example"),
        ("http://app.example:80", "http://app.example"),
        ("https://[::1]:8443/", "https://[::1]:8443"),
    ],
)
def test_origin_is_serialised_as_browsers_do(url: str, origin: str) -> None:
    assert emit.origin_of(url) == origin


@pytest.mark.parametrize(
    "url", ["ftp://x", "javascript:alert(1)", "http://", "http://u:p@host/", "http://h:99999/"]
)
def test_origin_refuses_what_is_not_an_http_origin(url: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        emit.origin_of(url)


def test_spec_options_are_read_and_written_back() -> None:
    spec = emit.parse_spec("storage-script:key=tok, shape=json,area=session,field=accessToken")
    assert (spec.key, spec.shape, spec.storage_area, spec.field) == (
        "tok",
        "json",
        "session",
        "accessToken",
    )
    assert spec.text() == "storage-script:key=tok,shape=json,field=accessToken,area=session"
    assert emit.parse_spec("storage-script:shape=msal").storage_area == "session"  # MSAL's default
    assert emit.parse_spec("storage-state:shape=msal").storage_area == "local"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("header:origin=http://x", "takes no options"),
        ("cookie:key=x", "has no option 'key'"),
        ("cookie:name=a b", "cookie name"),
        ("storage-state:area=session", "has no option 'area'"),
        ("storage-script:shape=xml", "shape must be"),
        ("storage-script:key", "name=value"),
        ("storage-script:key=a,key=b", "given twice"),
        ("playwright-node:origin=file:///etc", "http(s) URL"),
    ],
)
def test_bad_specs_are_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        emit.parse_spec(text)


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_spec_parser_answers_any_text_with_a_spec_or_a_value_error(text: str) -> None:
    try:
        spec = emit.parse_spec(text)
    except ValueError:
        return
    assert spec.form in emit.FORMATS
    assert emit.parse_spec(spec.text()) == spec  # what it writes back reads the same


def test_playwright_python_is_snake_case_and_scoped_to_the_origin() -> None:
    text = emit.render("playwright-python", TOKEN, url=APP)
    assert "extra_http_headers" not in text
    assert "extraHTTPHeaders" not in text
    namespace: dict[str, object] = {}
    exec(compile(text, "agent_auth.py", "exec"), namespace)  # noqa: S102 - our own output
    assert namespace["CONTEXT_OPTIONS"] == {"base_url": APP}
    assert namespace["AUTHORIZATION"] == f"Bearer {TOKEN}"
    same = namespace["_same_origin"]
    assert callable(same)
    assert same("http://127.0.0.1:8400/anything?x=1")
    for other in (
        "http://localhost:8400/",
        "http://127.0.0.1:8401/",
        "https://127.0.0.1:8400/",
        "http://127.0.0.1:8400.evil.example/",
        "http://evil.example/?http://127.0.0.1:8400/",
        "http://127.0.0.1:bad/",
    ):
        assert not same(other), other


def test_playwright_node_is_camel_case_and_parses_as_javascript() -> None:
    text = emit.render("playwright-node", TOKEN, url=APP)
    assert '"baseURL": "' + APP + '"' in text
    assert "extraHTTPHeaders" not in text
    assert "url.origin === ORIGIN" in text
    out = subprocess.run(["node", "--check", "-"], input=text, capture_output=True, text=True)
    if out.returncode == 127:
        pytest.skip("node is not installed")
    assert out.returncode == 0, out.stderr


def test_storage_state_puts_the_token_in_the_origins_local_storage() -> None:
    doc = json.loads(emit.render("storage-state:key=tok,shape=json", JWT, url=APP))
    [origin] = doc["origins"]
    assert origin["origin"] == "http://127.0.0.1:8400"
    [entry] = origin["localStorage"]
    assert entry["name"] == "tok"
    assert json.loads(entry["value"]) == {
        "access_token": JWT,
        "token_type": "Bearer",
        "expires_at": 4000,
    }
    assert doc["cookies"] == []


def test_msal_preset_writes_an_account_a_token_and_their_indexes() -> None:
    entries = dict(emit.storage_entries(emit.parse_spec("storage-state:shape=msal"), JWT))
    home = "oid-1.tid-1"
    account_key = f"{home}-login.microsoftonline.com-tid-1"
    token_key = f"{home}-login.microsoftonline.com-accesstoken-agent-app-tid-1-user.read files.read"
    assert json.loads(entries["msal.account.keys"]) == [account_key]
    account = json.loads(entries[account_key])
    assert account["username"] == "alice@contoso.example"
    assert account["homeAccountId"] == home
    cached = json.loads(entries[token_key])
    assert cached["credentialType"] == "AccessToken"
    assert cached["secret"] == JWT
    assert cached["expiresOn"] == "4000"
    assert json.loads(entries["msal.token.keys.agent-app"])["accessToken"] == [token_key]
    spa = dict(emit.storage_entries(emit.parse_spec("storage-state:shape=msal,client_id=spa"), JWT))
    assert "msal.token.keys.spa" in spa


def test_storage_script_writes_only_in_a_document_of_the_origin() -> None:
    text = emit.render("storage-script:area=session", TOKEN, url=APP)
    assert "if (window.location.origin !== origin) return;" in text
    assert "window.sessionStorage.setItem" in text
    assert 'const origin = "http://127.0.0.1:8400";' in text


def test_cookie_is_host_only_http_only_strict_and_expires_with_the_token() -> None:
    doc = json.loads(emit.render("cookie:name=session", JWT, url="https://app.example/x"))
    [cookie] = doc["cookies"]
    assert cookie == {
        "name": "session",
        "value": JWT,
        "domain": "app.example",
        "path": "/",
        "expires": 4000,
        "httpOnly": True,
        "secure": True,
        "sameSite": "Strict",
    }


def test_origin_option_overrides_the_target_url() -> None:
    text = emit.render("cookie:origin=http://localhost:3000", TOKEN, url=APP)
    assert json.loads(text)["cookies"][0]["domain"] == "localhost"


@settings(max_examples=100)
@given(
    st.text(
        alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60
    )
)
def test_a_hostile_token_or_key_stays_inside_its_string_literal(value: str) -> None:
    # Python: the module still defines exactly the token it was given.
    namespace: dict[str, object] = {}
    exec(emit.playwright_python(value, "http://a.example", None), namespace)  # noqa: S102
    assert namespace["AUTHORIZATION"] == f"Bearer {value}"
    # JSON forms read back exactly.
    spec = emit.Spec("storage-state", key=value or "k")
    doc = emit.storage_state(spec, value, "http://a.example")
    assert json.loads(json.dumps(doc))["origins"][0]["localStorage"][0] == {
        "name": value or "k",
        "value": value,
    }
