"""Read a token the way a person pastes it, and decode it without verifying anything.

Shapes (RFC 7515 §7.1, RFC 7516 §7.1): a JWS compact serialisation has three base64url parts,
a JWE five; anything else that looks like an RFC 6750 `b64token` is an opaque token that only
its issuer can read (RFC 7662 introspection). The decoder is strict where ambiguity is an
attack surface (RFC 8725 §3.7: UTF-8 only; duplicate member names rejected) and bounded so that
hostile input cannot exhaust memory or the stack (size cap, nesting-depth cap).
"""

from __future__ import annotations

import binascii
import json
import re
from typing import Any, Literal

from agentctl.errors import InputError

MAX_TOKEN_BYTES = 1_000_000
MAX_JSON_DEPTH = 32

TokenForm = Literal["jws", "jwe", "opaque"]

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# RFC 6750 §2.1 b64token: what an opaque bearer token may contain.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SCHEMES = ("bearer", "dpop", "jwt", "token")


class ParsedToken:
    """A token decoded for display. Nothing in it is verified."""

    __slots__ = ("form", "header", "payload", "raw", "segments")

    raw: str
    form: TokenForm
    header: dict[str, Any]
    payload: dict[str, Any] | None
    segments: tuple[str, ...]

    def __init__(
        self,
        raw: str,
        form: TokenForm,
        header: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        segments: tuple[str, ...] = (),
    ) -> None:
        self.raw = raw
        self.form = form
        self.header = header if header is not None else {}
        self.payload = payload
        self.segments = segments

    @property
    def signing_input(self) -> bytes:
        return (
            f"{self.segments[0]}.{self.segments[1]}".encode("ascii") if self.form == "jws" else b""
        )

    @property
    def signature_present(self) -> bool:
        return self.form == "jws" and bool(self.segments[2])

    @property
    def alg(self) -> str | None:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else None


def normalize(text: str) -> str:
    """The token inside what was pasted: an `Authorization:` header line, a `Bearer ` prefix,
    quotes, surrounding whitespace and line breaks a log viewer inserted are all removed."""
    if len(text) > MAX_TOKEN_BYTES:
        raise InputError(
            f"input is {len(text):,} characters; agentctl reads tokens up to {MAX_TOKEN_BYTES:,}",
            hint="pass the token itself, not a whole log file",
        )
    value = text.strip().strip("\ufeff").strip()
    for _ in range(3):  # a quoted header line needs a few passes; bounded so it cannot loop
        before = value
        value = value.strip().strip("'\"`").strip()
        head, sep, rest = value.partition(":")
        if sep and head.strip().lower() in {"authorization", "proxy-authorization", "txn-token"}:
            value = rest.strip()
        scheme, sep, rest = value.partition(" ")
        if sep and scheme.lower() in _SCHEMES:
            value = rest.strip()
        value = value.rstrip(",;")
        if value == before:
            break
    value = "".join(value.split())
    if not value or value.lower() in _SCHEMES:
        raise InputError("no token given (the input is empty)", hint="pass TOKEN, - or @FILE")
    return value


def parse(text: str) -> ParsedToken:
    """Normalise `text` and decode it; raise InputError when it is no kind of token."""
    raw = normalize(text)
    if not raw.isascii() or not raw.isprintable():
        raise InputError(
            "not a token: it contains non-ASCII or control characters",
            hint="JWTs and bearer tokens are plain ASCII; check the copy/paste",
        )
    parts = raw.split(".")
    jose_shaped = len(parts) in (3, 5) and all(_B64URL.fullmatch(p) for p in parts)
    if jose_shaped or _looks_like_jose(parts[0]):
        if len(parts) == 3:
            return _parse_jws(raw, parts)
        if len(parts) == 5:
            return _parse_jwe(raw, parts)
        raise InputError(
            f"not a JWT: it has {len(parts)} dot-separated parts; a signed JWT has 3, "
            "an encrypted one 5",
            hint="the token may be truncated or two tokens may have been pasted together",
        )
    if not _B64TOKEN.fullmatch(raw):
        raise InputError(
            "not a token: it has characters a bearer token cannot contain (RFC 6750 §2.1)",
            hint="pass the token itself, without surrounding text",
        )
    return ParsedToken(raw=raw, form="opaque", segments=(raw,))


def _looks_like_jose(segment: str) -> bool:
    """A JOSE header is a JSON object: its base64url starts with the encoding of `{`."""
    if len(segment) < 2 or not _B64URL.fullmatch(segment):
        return False
    head = segment[:8]
    try:
        start = _b64url(head)
    except (binascii.Error, ValueError):
        return False
    return start.lstrip(b" \t\r\n").startswith(b"{")


def _parse_jws(raw: str, parts: list[str]) -> ParsedToken:
    header = decode_json_segment(parts[0], "header")
    _check_header(header)
    payload = decode_json_segment(parts[1], "payload")
    _b64decode(parts[2], "signature")
    return ParsedToken(raw=raw, form="jws", header=header, payload=payload, segments=tuple(parts))


def _parse_jwe(raw: str, parts: list[str]) -> ParsedToken:
    header = decode_json_segment(parts[0], "protected header")
    if not isinstance(header.get("enc"), str):
        raise InputError("five parts but the protected header has no `enc`: not a JWE")
    _check_header(header)
    for index, name in enumerate(("encrypted key", "IV", "ciphertext", "tag"), start=1):
        _b64decode(parts[index], name)
    return ParsedToken(raw=raw, form="jwe", header=header, segments=tuple(parts))


def _check_header(header: dict[str, Any]) -> None:
    if not isinstance(header.get("alg"), str):
        raise InputError("the JOSE header has no `alg` string (RFC 7515 §4.1.1 requires one)")


def _b64decode(segment: str, what: str) -> bytes:
    if not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise InputError(f"the {what} is not base64url (RFC 7515 §2)", hint=_TRUNCATED)
    try:
        return _b64url(segment)
    except (binascii.Error, ValueError):
        raise InputError(f"the {what} is not base64url (RFC 7515 §2)", hint=_TRUNCATED) from None


_TO_STANDARD = str.maketrans("-_", "+/")


def _b64url(segment: str) -> bytes:
    # binascii directly: the base64 module would add its imports to every `inspect` start-up
    padded = segment.translate(_TO_STANDARD) + "=" * (-len(segment) % 4)
    return binascii.a2b_base64(padded, strict_mode=True)


_TRUNCATED = "the token may be truncated or altered; copy it again"


def decode_json_segment(segment: str, what: str) -> dict[str, Any]:
    """base64url → UTF-8 → one JSON object, with the depth and duplicate-name limits."""
    data = _b64decode(segment, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the {what} is not UTF-8 text (RFC 8725 §3.7)", hint=_TRUNCATED) from None
    return loads_object(text, what)


def loads_object(text: str, what: str) -> dict[str, Any]:
    """Parse a JSON object safely: bounded depth, no duplicate names, no NaN/Infinity."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InputError(f"the {what} nests JSON deeper than {MAX_JSON_DEPTH} levels")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except _DuplicateName as exc:
        raise InputError(
            f"the {what} repeats the member {exc.args[0]!r}; a parser could read either value"
        ) from None
    except (ValueError, RecursionError):
        raise InputError(f"the {what} is not valid JSON", hint=_TRUNCATED) from None
    if not isinstance(value, dict):
        raise InputError(f"the {what} is JSON but not an object")
    return value


def json_depth(text: str) -> int:
    """Deepest bracket nesting outside strings; a cheap pre-check before json.loads."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


class _DuplicateName(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateName(key)
        out[key] = value
    return out


def _finite_float(text: str) -> float:
    # 1e999 would become inf, which no JSON output (ours included) can carry
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_TOKEN_BYTES",
    "ParsedToken",
    "TokenForm",
    "decode_json_segment",
    "json_depth",
    "loads_object",
    "normalize",
    "parse",
]
