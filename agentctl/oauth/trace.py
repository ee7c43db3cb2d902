"""`--trace`: every HTTP request and response as a structured, redacted event.

Attach a Tracer to the injected client (`tracer.attach(client)`, or pass `tracer.hooks()` as
`event_hooks` to `agentctl.http.build_http_client`). Credentials are replaced by fingerprints
(`agentctl.core.redact`) before an event exists, so no renderer can leak them; each token found
in a form or JSON body is shown beside it as its decoded header and claims (base64 + JSON only,
never verified — a trace explains, it does not vouch).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from agentctl.core.redact import (
    SECRET_FIELDS,
    fingerprint,
    redact_headers,
    redact_mapping,
    redact_text,
    redacted,
)

if TYPE_CHECKING:
    from agentctl.http_types import EventHooks, HttpClient, HttpRequest, HttpResponse

# Fields whose value is a token worth decoding beside the trace line.
TOKEN_FIELDS = frozenset(
    {
        "access_token",
        "id_token",
        "refresh_token",
        "subject_token",
        "actor_token",
        "client_assertion",
        "assertion",
        "token",
        "software_statement",
    }
)
MAX_TEXT = 2000  # non-JSON bodies (an HTML error page, say) are cut to this many characters


@dataclass(frozen=True)
class TokenView:
    """One token seen in a body: where, its fingerprint, and its unverified header and claims."""

    field: str
    fingerprint: str
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None  # None: opaque (or encrypted) token

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "fingerprint": self.fingerprint,
            "header": self.header,
            "claims": self.claims,
        }


@dataclass(frozen=True)
class TraceEvent:
    kind: Literal["request", "response"]
    method: str
    url: str
    headers: dict[str, str]
    body: Any = None  # dict (form/JSON, redacted), str (other text, redacted), or None
    status: int | None = None
    elapsed_ms: float | None = None
    tokens: tuple[TokenView, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "elapsed_ms": self.elapsed_ms,
            "headers": self.headers,
            "body": self.body,
            "tokens": [t.to_dict() for t in self.tokens],
        }

    def lines(self) -> list[str]:
        """A plain-text rendering (renderers may style it; it holds no secret)."""
        if self.kind == "request":
            out = [f"> {self.method} {self.url}"]
        else:
            took = f" ({self.elapsed_ms:.0f} ms)" if self.elapsed_ms is not None else ""
            out = [f"< {self.status} {self.method} {self.url}{took}"]
        out += [f"  {k}: {v}" for k, v in self.headers.items()]
        if isinstance(self.body, Mapping):
            out += [f"  | {line}" for line in json.dumps(self.body, indent=2).splitlines()]
        elif isinstance(self.body, str) and self.body:
            out += [f"  | {line}" for line in self.body.splitlines()]
        for tok in self.tokens:
            if tok.claims is None:
                out.append(f"  {tok.field} {tok.fingerprint}: opaque (not a JWT)")
                continue
            out.append(f"  {tok.field} {tok.fingerprint} decoded (unverified):")
            out.append(f"    header {json.dumps(tok.header, sort_keys=True)}")
            out.append(f"    claims {json.dumps(tok.claims, sort_keys=True)}")
        return out


class Tracer:
    """Collects TraceEvents; `sink` (if given) also receives each one as it happens."""

    def __init__(
        self,
        sink: Callable[[TraceEvent], None] | None = None,
        *,
        secrets: Iterable[str] = (),
    ) -> None:
        self.events: list[TraceEvent] = []
        self._sink = sink
        # Values to scrub wherever they appear, for secrets in a field agentctl does not know.
        self._secrets = {s for s in secrets if s}

    def add_secret(self, value: str | None) -> None:
        if value:
            self._secrets.add(value)

    def hooks(self) -> EventHooks:
        return {"request": [self.on_request], "response": [self.on_response]}

    def attach(self, client: HttpClient) -> None:
        hooks = client.event_hooks
        hooks.setdefault("request", []).append(self.on_request)
        hooks.setdefault("response", []).append(self.on_response)
        client.event_hooks = hooks

    def record(self, event: TraceEvent) -> None:
        self.events.append(event)
        if self._sink is not None:
            self._sink(event)

    def on_request(self, request: HttpRequest) -> None:
        ctype = request.headers.get("content-type", "")
        try:
            raw = request.content
        except Exception:  # a streaming body: not read here, so it cannot be shown
            raw = b""
        body, tokens = self._body(raw, ctype)
        self.record(
            TraceEvent(
                kind="request",
                method=request.method,
                url=self._url(str(request.url)),
                headers=self._headers(request.headers),
                body=body,
                tokens=tokens,
            )
        )

    def on_response(self, response: HttpResponse) -> None:
        response.read()
        try:
            elapsed: float | None = response.elapsed.total_seconds() * 1000
        except RuntimeError:
            elapsed = None
        body, tokens = self._body(response.content, response.headers.get("content-type", ""))
        self.record(
            TraceEvent(
                kind="response",
                method=response.request.method,
                url=self._url(str(response.request.url)),
                headers=self._headers(response.headers),
                body=body,
                status=response.status_code,
                elapsed_ms=elapsed,
                tokens=tokens,
            )
        )

    # -- redaction ---------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, redacted(secret))
        return redact_text(text)

    def _scrub_tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._scrub(value)
        if isinstance(value, Mapping):
            return {k: self._scrub_tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub_tree(v) for v in value]
        return value

    def _headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {k: self._scrub(v) for k, v in redact_headers(dict(headers.items())).items()}

    def _url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query:
            return self._scrub(url)
        pairs = [
            (k, redacted(v) if k in SECRET_FIELDS and v else v) for k, v in parse_qsl(parts.query)
        ]
        return self._scrub(urlunsplit(parts._replace(query=urlencode(pairs, safe="<>: "))))

    def _body(self, raw: bytes, ctype: str) -> tuple[Any, tuple[TokenView, ...]]:
        if not raw:
            return None, ()
        text = raw.decode("utf-8", "replace")
        if "application/x-www-form-urlencoded" in ctype:
            pairs = parse_qsl(text, keep_blank_values=True)
            tokens = tuple(decode_token(k, v) for k, v in pairs if k in TOKEN_FIELDS and v)
            form: dict[str, Any] = {}
            for key, value in pairs:  # repeated keys (resource, audience) become lists
                shown = redacted(value) if key in SECRET_FIELDS and value else value
                if key in form:
                    prev = form[key]
                    form[key] = [*prev, shown] if isinstance(prev, list) else [prev, shown]
                else:
                    form[key] = shown
            return self._scrub_tree(form), tokens
        try:
            data = json.loads(text)
        except ValueError:
            cut = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… ({len(text)} chars)"
            return self._scrub(cut), ()
        if isinstance(data, Mapping):
            tokens = tuple(
                decode_token(k, v)
                for k, v in data.items()
                if k in TOKEN_FIELDS and isinstance(v, str) and v
            )
            return self._scrub_tree(redact_mapping(data)), tokens
        return self._scrub_tree(data), ()


def _b64json(segment: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def decode_token(field_name: str, token: str) -> TokenView:
    """Header and claims of a JWS (header only for a JWE), unverified; opaque otherwise."""
    parts = token.split(".")
    fp = fingerprint(token)
    if len(parts) == 3:
        header, claims = _b64json(parts[0]), _b64json(parts[1])
        if header is not None and claims is not None:
            return TokenView(field_name, fp, header, claims)
    if len(parts) == 5:
        header = _b64json(parts[0])
        if header is not None:
            return TokenView(field_name, fp, header, {"(encrypted)": True})
    return TokenView(field_name, fp)


@dataclass
class TraceLog:
    """A convenience sink that keeps rendered lines (for tests and simple printers)."""

    lines: list[str] = field(default_factory=list)

    def __call__(self, event: TraceEvent) -> None:
        self.lines.extend(event.lines())


__all__ = ["TOKEN_FIELDS", "TokenView", "TraceEvent", "TraceLog", "Tracer", "decode_token"]
