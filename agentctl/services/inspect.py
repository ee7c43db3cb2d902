"""`agentctl inspect`: read the token, explain it, optionally verify it, return a Result.

Only the `--verify` path imports pyjwt/cryptography/httpx, so plain inspection starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from agentctl.core import timefmt, tokens
from agentctl.core.explain import explain
from agentctl.core.redact import fingerprint
from agentctl.errors import AgentctlError, InputError, VerificationError
from agentctl.exit_codes import ExitCode
from agentctl.output.result import Result

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient
    from agentctl.oauth.jwks import JwksCache, KeySource, VerifyOutcome

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_JWKS = EXAMPLES_DIR / "jwks.json"
COMMAND = ("inspect",)


class InspectRequest:
    __slots__ = (
        "at",
        "audiences",
        "example",
        "issuer",
        "jwks",
        "key",
        "show_token",
        "token",
        "verify",
    )

    token: str | None
    example: str | None
    at: str | None
    verify: bool
    jwks: str | None
    key: str | None
    issuer: str | None
    audiences: list[str]
    show_token: bool

    def __init__(
        self,
        token: str | None = None,
        example: str | None = None,
        at: str | None = None,
        verify: bool = False,
        jwks: str | None = None,
        key: str | None = None,
        issuer: str | None = None,
        audiences: list[str] | None = None,
        show_token: bool = False,
    ) -> None:
        self.token = token
        self.example = example
        self.at = at
        self.verify = verify
        self.jwks = jwks
        self.key = key
        self.issuer = issuer
        self.audiences = audiences if audiences is not None else []
        self.show_token = show_token


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.jwt"))


def load_example(name: str) -> str:
    names = example_names()
    if name not in names:
        raise InputError(
            f"no example token named {name!r}",
            hint=f"choose one of: {', '.join(names) or '(none shipped)'}",
        )
    return (EXAMPLES_DIR / f"{name}.jwt").read_text("utf-8")


def read_token_text(arg: str, stdin: IO[Any] | None = None) -> str:
    """TOKEN itself, `-` for stdin, or `@FILE`; never more than the size cap."""
    from agentctl import files

    limit = tokens.MAX_TOKEN_BYTES
    if arg == "-":
        stream: Any = stdin if stdin is not None else sys.stdin
        if stream is None:
            raise InputError("standard input is closed; nothing to read the token from")
        data = files.read_stream(stream, what="standard input", limit=limit)
        return _decode(data, "standard input", limit)
    if arg.startswith("@") and len(arg) > 1:
        path = Path(arg[1:]).expanduser()
        data = files.read_bytes(path, what="token file", limit=limit)
        return _decode(data, str(path), limit)
    return arg


def _too_large(where: str, limit: int) -> InputError:
    return InputError(
        f"{where} holds more than {limit:,} bytes; that is not a token",
        hint="pass the token itself, not a whole log file",
    )


def _decode(data: str | bytes, where: str, limit: int) -> str:
    if len(data) > limit:
        raise _too_large(where, limit)
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{where} is binary, not text; a token is ASCII") from None


def evaluation_instant(
    req: InspectRequest, wall: datetime, payload: dict[str, Any] | None
) -> datetime:
    """The instant times are judged at: the clock, except that shipped examples are read as of
    one minute after they were minted (so they look fresh). `--at` overrides either; its
    offsets (`+2h`) count from that default, and `--at now` is the clock."""
    base = wall
    if req.example is not None and payload is not None:
        iat = timefmt.numeric_date(payload.get("iat"))
        if iat is not None:
            base = timefmt.to_datetime(iat) + timedelta(minutes=1)
    if req.at is None:
        return base
    if req.at.strip().lower() == "now":
        return wall
    return timefmt.parse_instant(req.at, base)


def inspect_token(
    req: InspectRequest,
    *,
    wall: datetime,
    stdin: IO[Any] | None = None,
    http_factory: Callable[[], HttpClient] | None = None,
    cache: JwksCache | None = None,
) -> Result:
    """Explain (and with `req.verify`, verify) one token."""
    if req.example is not None:
        text = load_example(req.example)
    elif req.token is not None:
        text = read_token_text(req.token, stdin)
    else:
        raise InputError("no token given", hint="pass TOKEN, - (stdin), @FILE or --example NAME")
    parsed = tokens.parse(text)
    now = evaluation_instant(req, wall, parsed.payload)
    explanation = explain(parsed, now=now)
    data = explanation.to_dict()
    data["token"] = {
        "fingerprint": fingerprint(parsed.raw),
        "length": len(parsed.raw),
        "raw": parsed.raw if req.show_token else None,
    }
    data["example"] = req.example
    outcome = None
    if req.verify:
        try:
            outcome = _verify(
                parsed, req, now=now, wall=wall, http_factory=http_factory, cache=cache
            )
        except AgentctlError as exc:
            data["verification"] = {
                "status": "not_checked",
                "reason": exc.message,
                "key_id": None,
                "jwks_source": None,
                "algorithm": None,
                "checks": {},
            }
            return Result(
                command=COMMAND, data=data, exit_code=exc.exit_code, errors=[exc.to_item()]
            )
    if outcome is None:
        data["verification"] = {
            "status": "not_checked",
            "reason": "pass --verify to check it",
            "key_id": None,
            "jwks_source": None,
            "algorithm": None,
            "checks": {},
        }
        return Result(command=COMMAND, data=data)
    outcome = _with_chain_check(outcome, parsed.payload or {})
    data["verification"] = outcome.to_dict()
    if outcome.status != "verified":
        error = VerificationError(
            f"verification failed: {outcome.reason}", hint=_verify_hint(outcome.reason or "")
        )
        return Result(
            command=COMMAND, data=data, exit_code=ExitCode.VERIFY, errors=[error.to_item()]
        )
    return Result(command=COMMAND, data=data)


def _with_chain_check(outcome: VerifyOutcome, payload: dict[str, Any]) -> VerifyOutcome:
    """A good signature does not make a delegation loop, or a chain deeper than any IdP should
    mint, acceptable: agentctl's IdP refuses to issue either, so verification fails on them."""
    from dataclasses import replace

    from agentctl.core.chain import chain_problem, parse_chain

    if outcome.status != "verified":
        return outcome
    problem = chain_problem(parse_chain(payload))
    checks = {**outcome.checks, "act_chain": problem or "ok"}
    if problem is None:
        return replace(outcome, checks=checks)
    return replace(outcome, status="failed", reason=problem, checks=checks)


def _verify_hint(reason: str) -> str | None:
    if "expired" in reason or "not valid for another" in reason:
        return "pass --at TIME to evaluate at another instant"
    if "kid" in reason:
        return "the issuer may have rotated keys, or the key set belongs to another issuer"
    return None


def _verify(
    parsed: tokens.ParsedToken,
    req: InspectRequest,
    *,
    now: datetime,
    wall: datetime,
    http_factory: Callable[[], HttpClient] | None,
    cache: JwksCache | None,
) -> VerifyOutcome:
    from agentctl.oauth import jwks

    if parsed.form != "jws":
        what = "an encrypted JWT" if parsed.form == "jwe" else "an opaque token"
        return jwks.VerifyOutcome(
            "failed",
            f"{what} carries no signature agentctl can check (only its recipient or "
            "issuer can: decryption / RFC 7662 introspection)",
        )
    clients: list[HttpClient] = []

    def client() -> HttpClient:
        if not clients:
            clients.append(_client(http_factory))
        return clients[0]

    try:
        source = _key_source(parsed, req, wall=wall, client=client, cache=cache)
        return jwks.verify(parsed, source, now=now, issuer=req.issuer, audiences=req.audiences)
    finally:
        for made in clients:
            made.close()


def _key_source(
    parsed: tokens.ParsedToken,
    req: InspectRequest,
    *,
    wall: datetime,
    client: Callable[[], HttpClient],
    cache: JwksCache | None,
) -> KeySource:
    from agentctl.oauth import jwks

    if req.key is not None:
        return jwks.pem_source(Path(req.key).expanduser())
    jwks_arg = req.jwks
    if jwks_arg is None and req.example is not None:
        jwks_arg = str(EXAMPLE_JWKS)
    if jwks_arg is not None and not jwks_arg.startswith(("https://", "http://")):
        return jwks.file_source(Path(jwks_arg).expanduser())
    if cache is None:
        from agentctl.config.paths import cache_dir

        cache = jwks.JwksCache(cache_dir() / "jwks")
    stamp = wall.timestamp()
    if jwks_arg is not None:
        return jwks.remote_source(client(), jwks_arg, cache=cache, wall=stamp, description=jwks_arg)
    issuer = req.issuer or (parsed.payload or {}).get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InputError(
            "the token names no issuer to discover keys from",
            hint="pass --jwks FILE|URL or --key PEM",
        )
    from agentctl.oauth.discovery import fetch_metadata

    metadata = fetch_metadata(client(), issuer)
    uri = metadata.get("jwks_uri")
    if not isinstance(uri, str):
        raise InputError(
            f"the metadata of {issuer} has no jwks_uri", hint="pass --jwks FILE|URL or --key PEM"
        )
    return jwks.remote_source(
        client(), uri, cache=cache, wall=stamp, description=f"{uri} (jwks_uri of {issuer})"
    )


def _client(http_factory: Callable[[], HttpClient] | None) -> HttpClient:
    if http_factory is not None:
        return http_factory()
    from agentctl.http import build_http_client

    return build_http_client()


__all__ = [
    "EXAMPLES_DIR",
    "EXAMPLE_JWKS",
    "InspectRequest",
    "example_names",
    "inspect_token",
    "load_example",
    "read_token_text",
]
