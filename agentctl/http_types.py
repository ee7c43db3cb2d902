"""The HTTP client agentctl's protocol code is written against: the part of `httpx.Client` it
uses, as protocols. An httpx client (agentctl.http, every origin on the network) satisfies them,
and so does agentctl.http_inprocess's client for the embedded IdP in this process, which needs
no httpx: importing httpx and the standard library it pulls in (ssl, http.client, email,
cookiejar, logging) costs a command about as much as the rest of an in-process exchange.

Only for annotations; nothing here runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol

EventHooks = dict[str, list[Callable[..., Any]]]


class HttpRequest(Protocol):
    @property
    def method(self) -> str: ...

    @property
    def url(self) -> object: ...  # str() gives the absolute URL

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def extensions(self) -> Mapping[str, Any]: ...

    @property
    def content(self) -> bytes: ...

    def read(self) -> bytes: ...


class HttpResponse(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def request(self) -> HttpRequest: ...

    @property
    def content(self) -> bytes: ...

    @property
    def text(self) -> str: ...

    @property
    def elapsed(self) -> timedelta: ...

    def json(self, **kwargs: Any) -> Any: ...

    def read(self) -> bytes: ...


class HttpClient(Protocol):
    @property
    def event_hooks(self) -> EventHooks: ...

    @event_hooks.setter
    def event_hooks(self, event_hooks: EventHooks) -> None: ...

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
    ) -> HttpResponse: ...

    def close(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None: ...


__all__ = ["EventHooks", "HttpClient", "HttpRequest", "HttpResponse"]
