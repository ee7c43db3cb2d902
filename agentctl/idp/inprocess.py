"""Talk to the embedded IdP in-process: real HTTP semantics through `httpx.WSGITransport`,
no server to start.

    with in_process_client() as http:
        meta = http.get("/.well-known/oauth-authorization-server/i/enterprise").json()

The base URL is fixed at `http://127.0.0.1:8400` (`DEFAULT_BASE_URL`), the same as
`agentctl idp serve`'s default, so issuer URLs and tokens are the same either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from agentctl.idp.constants import DEFAULT_BASE_URL

if TYPE_CHECKING:
    import httpx

    from agentctl.idp.service import IdpService
    from agentctl.idp.wsgi import IdpWsgi


def in_process_app(service: IdpService | None = None) -> IdpWsgi:
    from agentctl.idp.prune import housekeeping
    from agentctl.idp.service import IdpService

    svc = service or IdpService.open()
    # A command that issues tokens keeps the store bounded too (a read when nothing is due).
    housekeeping(svc.store, svc.ctx.now())
    from agentctl.idp.wsgi import create_wsgi_app

    return create_wsgi_app(svc.ctx)


def in_process_client(
    service: IdpService | None = None,
    *,
    db_path: Path | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> httpx.Client:
    """An agentctl HTTP client whose requests go to the embedded IdP app (bootstrapped on
    first use). Requests to absolute `base_url` URLs and relative paths both work."""
    import httpx

    from agentctl.http import build_http_client
    from agentctl.idp.service import IdpService

    svc = service or IdpService.open(db_path, base_url=base_url)
    app = in_process_app(svc)
    transport = httpx.WSGITransport(app=app, remote_addr="127.0.0.1")
    return build_http_client(transport=transport, base_url=svc.ctx.base_url)


__all__ = ["DEFAULT_BASE_URL", "in_process_app", "in_process_client"]
