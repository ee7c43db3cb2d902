"""An HTTP client for the embedded IdP running in this process, without httpx.

A command on the embedded IdP (`agentctl exchange`, say) talks to it over real HTTP semantics:
each request is a WSGI call into the IdP's app with the method, URL, headers and body a socket
would have carried, and the answer comes back as status, headers and body. httpx's
`WSGITransport` does the same, but importing httpx (and the ssl, http.client, email, cookiejar
and logging modules it pulls in) costs such a command as much as the rest of its work (issue 16).

`InProcessClient` speaks the part of httpx's client agentctl uses (agentctl.http_types): requests
to its origin go to the app; any other URL (an MCP server, a foreign authorization server) goes
to `fallback`, an httpx client built on first use, so the network behaves as everywhere else.
Requests are built as httpx builds them (form and JSON encoding, default headers), and
`tests/test_http_inprocess.py` sends the same requests both ways and compares what the app saw
and what came back.
"""

from __future__ import annotations

import io
import json as jsonlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from agentctl.http_base import LIMITS_KEY, USER_AGENT, FetchLimits
from agentctl.http_types import EventHooks, HttpClient, HttpResponse

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Headers(Mapping[str, str]):
    """Header fields looked up case-insensitively; like httpx's, names are lowercased and
    repeated fields are joined with ", " when read as a mapping."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._fields: dict[str, str] = {}
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        seen = self._fields.get(key)
        self._fields[key] = value if seen is None else f"{seen}, {value}"

    def set(self, name: str, value: str) -> None:
        """Replace `name`'s value; the field moves to the end (as httpx's update does)."""
        key = name.lower()
        self._fields.pop(key, None)
        self._fields[key] = value

    def setdefault(self, name: str, value: str) -> str:
        return self._fields.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Headers({list(self._fields.items())!r})"


class InProcessRequest:
    def __init__(
        self,
        method: str,
        url: str,
        headers: Headers,
        content: bytes,
        extensions: dict[str, Any],
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.content = content
        self.extensions = extensions

    def read(self) -> bytes:
        return self.content

    def __repr__(self) -> str:
        return f"<InProcessRequest [{self.method} {self.url}]>"


class InProcessResponse:
    def __init__(
        self,
        status_code: int,
        headers: Headers,
        content: bytes,
        request: InProcessRequest,
        elapsed: timedelta,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.request = request
        self.elapsed = elapsed

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("content-type", "")), "replace")

    def json(self, **kwargs: Any) -> Any:
        return jsonlib.loads(self.content, **kwargs)

    def read(self) -> bytes:
        return self.content

    def __repr__(self) -> str:
        return f"<InProcessResponse [{self.status_code}]>"


class InProcessClient:
    """Requests to `origin` (scheme://host:port) answered by the WSGI `app` in this process;
    other origins by `fallback(event_hooks)`, built on first use and closed with this client."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        origin: str,
        fallback: Callable[[EventHooks], HttpClient],
        event_hooks: EventHooks | None = None,
        remote_addr: str = "127.0.0.1",
    ) -> None:
        self._app = app
        self._origin = _origin_of(origin)
        self._fallback = fallback
        self._out: HttpClient | None = None
        self._remote_addr = remote_addr
        self._hooks: EventHooks = {}
        self.event_hooks = event_hooks or {}

    @property
    def event_hooks(self) -> EventHooks:
        return self._hooks

    @event_hooks.setter
    def event_hooks(self, event_hooks: EventHooks) -> None:
        self._hooks = {
            "request": list(event_hooks.get("request", [])),
            "response": list(event_hooks.get("response", [])),
        }
        if self._out is not None:
            # Added to the network client's own hooks, not put in their place: those bound
            # its fetches (agentctl.http's deadline and size guards).
            theirs = self._out.event_hooks
            for kind, hooks in self._hooks.items():
                have = theirs.setdefault(kind, [])
                have += [hook for hook in hooks if hook not in have]
            self._out.event_hooks = theirs

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: Any = None,
        data: Any = None,
        json: Any = None,
        extensions: Any = None,
    ) -> HttpResponse:
        if _origin_of(url) != self._origin:
            return self._outside().request(
                method,
                url,
                params=params,
                headers=headers,
                data=data,
                json=json,
                extensions=extensions,
            )
        request = _build(method, url, params, headers, data, json, extensions)
        for hook in self._hooks["request"]:
            hook(request)
        started = time.perf_counter()
        status, fields, body = self._call(request)
        limits = request.extensions.get(LIMITS_KEY)
        if isinstance(limits, FetchLimits) and len(body) > limits.max_bytes:
            raise limits.too_large(request.url)
        response = InProcessResponse(
            status,
            Headers(fields),
            body,
            request,
            timedelta(seconds=time.perf_counter() - started),
        )
        for hook in self._hooks["response"]:
            hook(response)
        return response

    def _call(self, request: InProcessRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(request.url)
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme,
            "wsgi.input": io.BytesIO(request.content),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(parts.path or "/"),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "",
            "SERVER_PORT": str(parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self._remote_addr,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
        seen: list[Any] = []

        def start_response(
            status: str, fields: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            seen[:] = [status, fields, exc_info]
            return lambda _chunk: None

        result = self._app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, fields, exc_info = seen
        if exc_info and exc_info[0]:
            raise exc_info[1]  # as httpx's WSGITransport: an app's failure is the caller's
        return int(str(status).split()[0]), list(fields), body

    def _outside(self) -> HttpClient:
        if self._out is None:
            self._out = self._fallback(self._hooks)
        return self._out

    def close(self) -> None:
        if self._out is not None:
            self._out.close()

    def __enter__(self) -> InProcessClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()


def _build(
    method: str,
    url: str,
    params: Any,
    headers: Any,
    data: Any,
    json: Any,
    extensions: Any,
) -> InProcessRequest:
    """The request httpx would send: Host, the client's default headers, the caller's, then
    the body's length and type."""
    method = method.upper()
    if params is not None:
        # As httpx 0.28+: `params` replaces the URL's query (an empty mapping clears it).
        query = urlencode(_form_pairs(params), doseq=True)
        url = urlunsplit(urlsplit(url)._replace(query=query))
    parts = urlsplit(url)
    if "." in parts.path:
        url = urlunsplit(parts._replace(path=_without_dot_segments(parts.path)))
    fields = Headers([("Host", parts.netloc.rpartition("@")[2])])
    body: tuple[bytes, str] | None = None
    if data:  # as httpx: an empty form is no body at all
        body = (
            urlencode(_form_pairs(data), doseq=True).encode(),
            "application/x-www-form-urlencoded",
        )
    elif json is not None:
        text = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        body = (text.encode(), "application/json")
    elif method in ("POST", "PUT", "PATCH"):
        fields.set("Content-Length", "0")
    for name, value in (
        ("Accept", "*/*"),
        ("Connection", "keep-alive"),
        ("User-Agent", USER_AGENT),
        ("Accept-Encoding", "identity"),
        *dict(headers or {}).items(),
    ):
        fields.set(name, value)
    content = b""
    if body is not None:
        content = body[0]
        fields.setdefault("Content-Length", str(len(content)))
        fields.setdefault("Content-Type", body[1])
    return InProcessRequest(method, url, fields, content, dict(extensions or {}))


def _without_dot_segments(path: str) -> str:
    """The path with "." and ".." segments resolved (RFC 3986 §5.2.4), as httpx resolves them
    before sending: what the IdP routes on is what a socket would have carried."""
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept and kept != [""]:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    return "/".join(kept)  # "" for the root, as httpx writes it (the app still sees "/")


def _form_pairs(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((key, _primitive(item)) for item in values)
    return pairs


def _primitive(value: Any) -> str:
    # httpx's rendering of a form or query value (JSON-style booleans, None as empty).
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port if parts.port is not None else _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
            try:
                "".encode(charset)
            except LookupError:
                break
            return charset
    return "utf-8"


__all__ = ["Headers", "InProcessClient", "InProcessRequest", "InProcessResponse"]
