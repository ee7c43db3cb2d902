"""Microsoft Graph calls for registration and lifecycle, with the retries new objects need.

A new application, service principal or agent identity takes a while to be visible to the next
call; meanwhile Graph answers `400/404 … does not exist` (docs/protocols.md §6.6 pitfalls;
Microsoft says "Object with id … not found" can last several minutes). Calls that reference a
just-created object retry with exponential backoff for up to `window` seconds
(PROPAGATION_WINDOW, 10 minutes by default; `AGENTCTL_ENTRA_PROPAGATION_WINDOW` or the profile
changes it), printing a progress line per retry; nothing else is retried except 429/503.

Every request is recorded (method, URL, body with secrets redacted) so the caller can show what
was done, and `Plan` renders the same requests without sending them (`--dry-run`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentctl.core.redact import redact_mapping
from agentctl.errors import NetworkError, ProviderError
from agentctl.oauth.transport import send

if TYPE_CHECKING:
    from agentctl.http_types import HttpClient, HttpResponse

_PROPAGATING = re.compile(
    r"does not exist|does not reference a valid application object|not found", re.IGNORECASE
)

GRAPH_HINTS: dict[str, str] = {
    "Authorization_RequestDenied": "the admin client lacks a Graph application permission for "
    "this call (`agentctl doctor --profile P` lists which; docs/entra.md, 'Permissions'); grant "
    "it and give admin consent. Holding Directory.ReadWrite.All also blocks Agent ID writes",
    "AgentBlueprint_LimitExceeded": "the tenant has 250 blueprints (soft-deleted ones count for "
    "30 days): reuse one with `--blueprint NAME`, or purge deleted blueprints",
    "Agent_Directory_QuotaExceeded": "the blueprint holds 250 agent identities: use another "
    "blueprint (`--blueprint NEW-NAME`)",
    "InvalidAuthenticationToken": "the Graph token was refused; check the admin client's tenant "
    "and credential",
    "PropertyNotCompatibleWithAgentIdentity": "agent identities hold no credentials; put "
    "credentials on the blueprint",
    "Request_MultipleObjectsWithSameKeyValue": "an object with that name or appId already exists",
}

Progress = Callable[[str], None]
# "Several minutes" (Agent ID known issues): wait up to 10 minutes before giving up.
PROPAGATION_WINDOW = 600.0


@dataclass(frozen=True)
class GraphCall:
    step: str
    method: str
    url: str
    body: dict[str, Any] | None
    auth: str  # which token authorizes it: "admin" or "blueprint"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step": self.step,
            "method": self.method,
            "url": self.url,
            "auth": self.auth,
        }
        if self.body is not None:
            out["body"] = redact_mapping(self.body)
        return out


@dataclass
class GraphClient:
    """Graph over the injected httpx client. `token` returns a bearer token for `auth`."""

    http: HttpClient
    base: str  # https://graph.microsoft.com
    token: Callable[[str], str]
    sleep: Callable[[float], None] = time.sleep
    progress: Progress | None = None
    attempts: int = 1000  # a cap; the propagation window is what normally ends the retries
    backoff: float = 1.0
    max_backoff: float = 30.0
    window: float = PROPAGATION_WINDOW
    calls: list[GraphCall] = field(default_factory=list)

    def url(self, version: str, path: str) -> str:
        return f"{self.base}/{version}/{path.lstrip('/')}"

    def request(
        self,
        step: str,
        method: str,
        version: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        auth: str = "admin",
        wait_for_propagation: bool = False,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = self.url(version, path)
        call = GraphCall(step, method, url, body, auth)
        self.calls.append(call)
        delay = self.backoff
        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            headers = {
                "Authorization": f"Bearer {self.token(auth)}",
                "OData-Version": "4.0",
                "Accept": "application/json",
            }
            try:
                response = send(self.http, method, url, json=body, headers=headers, params=params)
            except NetworkError as exc:
                if "HTTP 503" in exc.message and attempt < self.attempts:
                    self._wait(step, attempt, delay, "Graph is busy")
                    delay = min(delay * 2, self.max_backoff)
                    continue
                raise
            if response.status_code < 400:
                if response.status_code == 204 or not response.content:
                    return {}
                data = response.json()
                return data if isinstance(data, dict) else {"value": data}
            code, message = _graph_error(response)
            retry_after = response.headers.get("Retry-After")
            if response.status_code == 429 and attempt < self.attempts:
                wait = float(retry_after) if retry_after and retry_after.isdigit() else delay
                self._wait(step, attempt, wait, "throttled")
                delay = min(delay * 2, self.max_backoff)
                continue
            propagating = response.status_code in (400, 404) and bool(_PROPAGATING.search(message))
            in_window = waited + delay <= self.window
            if wait_for_propagation and propagating and attempt < self.attempts and in_window:
                self._wait(
                    step,
                    attempt,
                    delay,
                    f"waiting for new objects to propagate ({waited:g} of {self.window:g}s)",
                )
                waited += delay
                delay = min(delay * 2, self.max_backoff)
                continue
            hint = GRAPH_HINTS.get(code)
            if propagating and wait_for_propagation:
                hint = (
                    f"new Entra objects were still not visible after {waited:g}s; run the same "
                    "command again later, or widen AGENTCTL_ENTRA_PROPAGATION_WINDOW (seconds)"
                )
            raise ProviderError(
                f"Graph {method} {url} answered HTTP {response.status_code} {code}: {message}",
                hint=hint,
                details={"status": response.status_code, "graph_code": code, "step": step},
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, step: str, attempt: int, seconds: float, why: str) -> None:
        if self.progress is not None:
            self.progress(f"{step}: {why}; retry {attempt} in {seconds:g}s")
        self.sleep(seconds)


def _graph_error(response: HttpResponse) -> tuple[str, str]:
    try:
        data = response.json()
    except ValueError:
        return "HTTP", response.text[:200]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("code", "unknown")), str(error.get("message", ""))
    return "unknown", str(data)[:200]


def retry_propagation(
    fn: Callable[[], Any],
    *,
    retriable: Callable[[Exception], bool],
    sleep: Callable[[float], None],
    attempts: int = 1000,
    backoff: float = 1.0,
    max_backoff: float = 30.0,
    progress: Progress | None = None,
    step: str = "",
    window: float = PROPAGATION_WINDOW,
) -> Any:
    """Call `fn` until it stops raising a `retriable` error (new credentials and principals are
    refused by the token endpoint for a while: AADSTS700016, 7000215), for up to `window`
    seconds of waiting."""
    delay = backoff
    waited = 0.0
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt == attempts or not retriable(exc) or waited + delay > window:
                raise
            if progress is not None:
                progress(
                    f"{step}: new credential not usable yet; retry {attempt} in {delay:g}s "
                    f"({waited:g} of {window:g}s)"
                )
            sleep(delay)
            waited += delay
            delay = min(delay * 2, max_backoff)
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = [
    "GRAPH_HINTS",
    "PROPAGATION_WINDOW",
    "GraphCall",
    "GraphClient",
    "Progress",
    "retry_propagation",
]
