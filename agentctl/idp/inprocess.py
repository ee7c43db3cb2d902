"""Talk to the embedded IdP in-process: real HTTP semantics through `httpx.WSGITransport`,
no server to start.

    with in_process_client() as http:
        meta = http.get("/.well-known/oauth-authorization-server/i/enterprise").json()

The base URL is fixed at `http://127.0.0.1:8400` (`DEFAULT_BASE_URL`), the same as
`agentctl idp serve`'s default, so issuer URLs and tokens are the same either way.

`prefetch_sign_in(user, password)` lets a command that is about to sign a user in through
the in-process IdP start the password's KDF first (see `agentctl.idp.secrets`): it runs on a
background thread while the IdP stack is imported, and the IdP's own check joins it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from agentctl.idp.constants import DEFAULT_BASE_URL, DEFAULT_IDP_ISSUER

if TYPE_CHECKING:
    import httpx

    from agentctl.idp.service import IdpService
    from agentctl.idp.store import Store
    from agentctl.idp.wsgi import IdpWsgi

# The store a prefetch opened, held until the in-process IdP takes it over (`Store.open` keeps
# one handle per file per process, dropped when nothing refers to it).
_prefetch_store: Store | None = None


def prefetch_sign_in(
    user: str,
    password: str,
    *,
    issuer: str = DEFAULT_IDP_ISSUER,
    db_path: Path | None = None,
) -> bool:
    """Start the KDF that signing `user` in at `issuer` will run, from the user's stored hash;
    False (nothing started) when there is no such user or no database yet. The sign-in still
    decides: `userauth.authenticate` throttles, audits and compares as always, and only
    takes the result when the stored hash and the password are the ones used here. Only for
    the in-process IdP, in this process: nothing is written or kept anywhere else."""
    global _prefetch_store
    import sqlite3

    from agentctl.errors import AgentctlError
    from agentctl.idp.secrets import prefetch_password
    from agentctl.idp.store import Store, default_db_path

    path = db_path if db_path is not None else default_db_path()
    if not path.is_file():
        return False  # the IdP is made on first use; nothing to read ahead of it
    try:
        store = Store.open(path)
        row = store.row(
            "SELECT password_hash FROM users WHERE issuer = ? AND name = ?", (issuer, user)
        )
    except (AgentctlError, sqlite3.Error, OSError):
        return False  # the IdP reports it when it opens the database
    if row is None:
        return False
    _prefetch_store = store
    return prefetch_password(password, str(row["password_hash"]))


def in_process_app(service: IdpService | None = None) -> IdpWsgi:
    global _prefetch_store
    from agentctl.idp.prune import housekeeping
    from agentctl.idp.service import IdpService

    svc = service or IdpService.open()
    _prefetch_store = None  # the service holds the store now
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


__all__ = ["DEFAULT_BASE_URL", "in_process_app", "in_process_client", "prefetch_sign_in"]
