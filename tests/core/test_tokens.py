from __future__ import annotations

import pytest

from agentctl.core.tokens import MAX_JSON_DEPTH, json_depth, normalize, parse
from agentctl.errors import InputError
from tests.core.inspect_fixtures import b64, example, make_token

TOKEN = example("obo")


def _jws(header: bytes, payload: bytes, signature: str = "") -> str:
    return f"{b64(header)}.{b64(payload)}.{signature}"


@pytest.mark.parametrize(
    "pasted",
    [
        TOKEN,
        f"  {TOKEN}\n",
        f"Bearer {TOKEN}",
        f"bearer   {TOKEN}",
        f"Authorization: Bearer {TOKEN}",
        f"authorization:Bearer {TOKEN}",
        f'"{TOKEN}"',
        f"'Bearer {TOKEN}'",
        f'"Authorization: Bearer {TOKEN}",',
        f"DPoP {TOKEN}",
        TOKEN[:40] + "\n" + TOKEN[40:],  # a log viewer wrapped it
    ],
)
def test_normalize_finds_the_token_in_what_was_pasted(pasted: str) -> None:
    assert normalize(pasted) == TOKEN


def test_signed_jwt_is_decoded_with_its_segments() -> None:
    parsed = parse(TOKEN)
    assert parsed.form == "jws"
    assert parsed.header["typ"] == "at+jwt"
    assert parsed.payload is not None
    assert parsed.payload["sub"] == "alice"
    assert parsed.signature_present
    assert parsed.alg == "RS256"
    assert parsed.signing_input == ".".join(TOKEN.split(".")[:2]).encode()


def test_encrypted_jwt_shows_only_its_protected_header() -> None:
    header = b64(b'{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"k1"}')
    parsed = parse(".".join([header, b64(b"k" * 32), b64(b"iv"), b64(b"cipher"), b64(b"tag")]))
    assert parsed.form == "jwe"
    assert parsed.header["enc"] == "A256GCM"
    assert parsed.payload is None


@pytest.mark.parametrize(
    "token", ["2YotnFZFEjr1zCsicMWpAA", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "ya29.a0Af"]
)
def test_opaque_tokens_are_recognised(token: str) -> None:
    parsed = parse(token)
    assert parsed.form == "opaque"
    assert parsed.payload is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("Bearer ", "empty"),
        ("eyJhIjoxfQ.b", "2 dot-separated parts"),
        ("eyJhIjoxfQ.b.c.d", "4 dot-separated parts"),
        ("héllo", "non-ASCII"),
        ("abc\x00def", "non-ASCII or control"),
        ("not a token at all?", "cannot contain"),
        (_jws(b"{}", b"{}"), "no `alg`"),
        (_jws(b"[1]", b"{}"), "not an object"),
        (_jws(b"not json", b"{}"), "not valid JSON"),
        (_jws(b'{"alg":"none"}', b'"str"'), "not an object"),
        (_jws(b'{"alg":"none"}', b"\xff\xfe"), "not UTF-8"),
        (_jws(b'{"alg":"a","alg":"b"}', b"{}"), "repeats the member 'alg'"),
        (_jws(b'{"alg":"a"}', b'{"exp":NaN}'), "not valid JSON"),
        (_jws(b'{"alg":"a"}', b'{"exp":1e999}'), "not valid JSON"),
        (b64(b'{"alg":"a"}') + ".e30=.", "not base64url"),
        (b64(b'{"alg":"a"}') + ".e30+.", "not base64url"),
        (b64(b'{"alg":"a"}') + ".e.", "not base64url"),
        (b64(b'{"alg":"a"}') + ".e30.sig!", "signature is not base64url"),
        (".".join([b64(b'{"alg":"dir"}')] * 5), "no `enc`"),
        ("x" * 1_000_001, "1,000,000"),
    ],
)
def test_malformed_input_is_one_clear_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse(text)
    assert message in info.value.message


def test_deep_nesting_is_refused_before_json_parsing() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    token = make_token({"a": 1}).split(".")
    token[1] = b64(('{"x":' + deep + "}").encode())
    with pytest.raises(InputError, match="deeper than"):
        parse(".".join(token))


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth('{"a": "[[[[{{{{", "b": [1, {"c": "]]]"}]}') == 3
    assert json_depth("[" * (MAX_JSON_DEPTH + 5)) > MAX_JSON_DEPTH


def test_huge_integer_is_refused_not_crashing() -> None:
    token = make_token({"exp": 1}).split(".")
    token[1] = b64(('{"exp": ' + "9" * 5000 + "}").encode())
    with pytest.raises(InputError, match="not valid JSON"):
        parse(".".join(token))
