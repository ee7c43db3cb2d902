"""The IdP's HTTP request and response, on plain WSGI (no Flask on the token endpoint's path).

`Request.from_environ(environ)` reads one request (the body capped at `limits.MAX_BODY`);
`Response` is a status, headers and a body, and is itself a WSGI application, so a Flask
view may return it unchanged. `serving(request)` makes a request the current one for the
Authlib machinery (`current()`) and gives it a per-request cache (`cached()`): Authlib asks
for the same client and issuer settings several times per request.

Why not Flask here: importing Flask, Werkzeug's routing and Jinja costs a CLI command ~0.1 s
and every served token ~0.2 ms of request plumbing; the JSON endpoints need none of it. The
HTML pages (device sign-in, consent, the demo web app) still run on Flask.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl, quote

from agentctl.idp import limits


class BodyTooLarge(Exception):
    """The body is over `limits.MAX_BODY` or has over `MAX_FORM_PARTS` fields (413), or its
    length is unreadable (400)."""

    def __init__(self, message: str, status: int = 413) -> None:
        super().__init__(message)
        self.status = status


class MissingField(KeyError):
    """A required form field is absent (400, as Werkzeug's BadRequestKeyError)."""


class MultiDict:
    """Ordered (key, value) pairs: `get` gives the first value, `getlist` all of them."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._lists: dict[str, list[str]] = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)

    def get(self, key: str, default: Any = None) -> Any:
        values = self._lists.get(key)
        return values[0] if values else default

    def __getitem__(self, key: str) -> str:
        values = self._lists.get(key)
        if not values:
            raise MissingField(key)
        return values[0]

    def getlist(self, key: str) -> list[str]:
        return list(self._lists.get(key, ()))

    def lists(self) -> dict[str, list[str]]:
        return self._lists

    def __contains__(self, key: object) -> bool:
        return key in self._lists

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def to_dict(self) -> dict[str, str]:
        return {key: values[0] for key, values in self._lists.items()}


class CombinedMultiDict(MultiDict):
    """Query arguments, then form fields (what Werkzeug's `request.values` gives Authlib)."""

    def __init__(self, *parts: MultiDict) -> None:
        super().__init__()
        for part in parts:
            for key, values in part.lists().items():
                self._lists.setdefault(key, []).extend(values)


class Headers:
    """Request headers, looked up case-insensitively."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._items = list(pairs)
        self._lower: dict[str, str] = {}
        for key, value in self._items:
            self._lower.setdefault(key.lower(), value)

    def get(self, key: str, default: Any = None) -> Any:
        return self._lower.get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return self._lower[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lower

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)


def _environ_headers(environ: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            yield key[5:].replace("_", "-").title(), value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            yield key.replace("_", "-").title(), value


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        try:
            length = int(length_text)
        except ValueError:
            raise BodyTooLarge("the Content-Length header is not a number", 400) from None
        if length > limits.MAX_BODY:
            raise BodyTooLarge(f"the body is larger than {limits.MAX_BODY} bytes")
        return bytes(stream.read(length)) if length > 0 else b""
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() != "chunked" and not environ.get(
        "wsgi.input_terminated"
    ):
        return b""
    # Chunked: the server de-chunks; read one byte past the cap to know it was exceeded.
    body = bytes(stream.read(limits.MAX_BODY + 1))
    if len(body) > limits.MAX_BODY:
        raise BodyTooLarge(f"the body is larger than {limits.MAX_BODY} bytes")
    return body


_PATH_SAFE = "/:@!$&'()*+,;="


def _parse_pairs(text: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, max_num_fields=limits.MAX_FORM_PARTS)
    except ValueError:  # only "Max number of fields exceeded"
        raise BodyTooLarge(f"the form has more than {limits.MAX_FORM_PARTS} fields") from None


class Request:
    """One HTTP request, read whole (bodies are small: `limits.MAX_BODY`)."""

    def __init__(self, environ: dict[str, Any], body: bytes) -> None:
        self.environ = environ
        self.method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        self.scheme = str(environ.get("wsgi.url_scheme", "http"))
        # PEP 3333: PATH_INFO holds the raw bytes as latin-1; the path itself is UTF-8.
        self.raw_path = str(environ.get("PATH_INFO", "") or "/")
        self.path = self.raw_path.encode("latin-1", "replace").decode("utf-8", "replace")
        self.query_string = str(environ.get("QUERY_STRING", ""))
        self.remote_addr: str | None = environ.get("REMOTE_ADDR")
        self.headers = Headers(_environ_headers(environ))
        self.body = body
        self._form: MultiDict | None = None
        self._args: MultiDict | None = None

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        return cls(environ, _read_body(environ))

    @property
    def host_url(self) -> str:
        host = self.environ.get("HTTP_HOST")
        if not host:
            host = str(self.environ.get("SERVER_NAME", "localhost"))
            port = str(self.environ.get("SERVER_PORT", ""))
            if port and port != ("443" if self.scheme == "https" else "80"):
                host = f"{host}:{port}"
        return f"{self.scheme}://{host}"

    @property
    def url(self) -> str:
        script = quote(str(self.environ.get("SCRIPT_NAME", "")))
        path = quote(self.raw_path.encode("latin-1", "replace"), safe=_PATH_SAFE)
        url = f"{self.host_url}{script}{path}"
        return f"{url}?{self.query_string}" if self.query_string else url

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", "")).split(";", 1)[0].strip().lower()

    @property
    def content_length(self) -> int:
        return len(self.body)

    @property
    def is_json(self) -> bool:
        mimetype = self.content_type
        return mimetype == "application/json" or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    def get_data(self, cache: bool = True) -> bytes:
        return self.body

    @property
    def args(self) -> MultiDict:
        if self._args is None:
            self._args = MultiDict(_parse_pairs(self.query_string))
        return self._args

    @property
    def form(self) -> MultiDict:
        if self._form is None:
            pairs: list[tuple[str, str]] = []
            if self.content_type == "application/x-www-form-urlencoded" and self.body:
                # As Werkzeug does: bytes that are not UTF-8 become U+FFFD, never an error.
                pairs = _parse_pairs(self.body.decode("utf-8", "replace"))
            self._form = MultiDict(pairs)
        return self._form

    @property
    def values(self) -> MultiDict:
        if self.method in ("GET", "HEAD"):
            return self.args
        return CombinedMultiDict(self.args, self.form)

    def get_json(self, silent: bool = False) -> Any:
        if not self.is_json:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            if silent:
                return None
            raise


class Response:
    """A status, headers and a body; a WSGI application too (Flask views may return it)."""

    def __init__(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status_code = status
        self.headers = _ResponseHeaders(headers)

    def get_json(self) -> Any:
        return json.loads(self.body)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        headers = [(k, v) for k, v in self.headers.items() if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(self.body))))
        start_response(f"{self.status_code} {_reason(self.status_code)}", headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]


class _ResponseHeaders:
    """Response headers: set replaces (case-insensitively), order kept."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._items: list[tuple[str, str]] = []
        for key, value in pairs:
            self[key] = value

    def __setitem__(self, key: str, value: str) -> None:
        self._items = [(k, v) for k, v in self._items if k.lower() != key.lower()]
        self._items.append((key, str(value)))

    def __getitem__(self, key: str) -> str:
        for k, v in self._items:
            if k.lower() == key.lower():
                return v
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and any(k.lower() == key.lower() for k, _ in self._items)

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# json.dumps with non-default separators builds a new encoder per call; this one is reused.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def json_response(
    body: Any, status: int = 200, headers: Iterable[tuple[str, str]] = (), *, private: bool = True
) -> Response:
    """A JSON answer; `private` ones (tokens, errors) carry `Cache-Control: no-store`."""
    data = _COMPACT.encode(body)
    first = [("Content-Type", "application/json")]
    if private:
        first.append(("Cache-Control", "no-store"))
    return Response(data, status, [*first, *headers])


# -- the request being served ------------------------------------------------------------------

_current: ContextVar[Request | None] = ContextVar("agentctl_idp_request", default=None)
_cache: ContextVar[dict[str, Any] | None] = ContextVar("agentctl_idp_cache", default=None)


@contextmanager
def serving(request: Request) -> Iterator[Request]:
    """Make `request` the current one (for Authlib's `create_oauth2_request`) while it is
    answered, with a fresh per-request cache."""
    req_token = _current.set(request)
    cache_token = _cache.set({})
    try:
        yield request
    finally:
        _cache.reset(cache_token)
        _current.reset(req_token)


def enter(request: Request) -> tuple[Any, Any]:
    """`serving` for frameworks with separate before/after hooks: pass the result to `leave`."""
    return _current.set(request), _cache.set({})


def leave(tokens: tuple[Any, Any]) -> None:
    _cache.reset(tokens[1])
    _current.reset(tokens[0])


def current() -> Request:
    request = _current.get()
    if request is None:
        raise RuntimeError("no IdP request is being served")
    return request


def cached(key: str, load: Callable[[], Any]) -> Any:
    """`load()` once per request (outside a request: every time)."""
    cache = _cache.get()
    if cache is None:
        return load()
    if key not in cache:
        cache[key] = load()
    return cache[key]


__all__ = [
    "BodyTooLarge",
    "Headers",
    "MissingField",
    "MultiDict",
    "Request",
    "Response",
    "cached",
    "current",
    "enter",
    "json_response",
    "leave",
    "serving",
]
