"""`agentctl idp serve`: the IdP app under gunicorn (a production WSGI server), run
programmatically through gunicorn's `BaseApplication`.

The master process bootstraps the database (default issuers, keys) before forking, so workers
never race to create them; each worker opens its own SQLite connections after the fork.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from agentctl.idp.constants import DEFAULT_HOST, DEFAULT_PORT


def base_url_for(host: str, port: int, *, tls: bool = False) -> str:
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding to it
        shown = DEFAULT_HOST
    return f"{'https' if tls else 'http'}://{shown}:{port}"


class IdpGunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        workers: int = 2,
        threads: int = 4,
        base_url: str | None = None,
        db_path: Path | None = None,
        access_log: bool = False,
        certfile: str | None = None,
        keyfile: str | None = None,
        open_registration: bool = True,
        admin_signin: bool = False,
    ) -> None:
        self.host, self.port = host, port
        self.base_url = base_url or base_url_for(host, port, tls=bool(certfile))
        self.db_path = db_path
        self.open_registration = open_registration
        self.admin_signin = admin_signin
        self.options: dict[str, Any] = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": max(1, workers),
            "threads": max(1, threads),
            # gthread at any thread count: it keeps connections alive (the sync worker closes
            # each after one request, and a client then pays a TCP handshake per token).
            "worker_class": "gthread",
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            "preload_app": False,
            "graceful_timeout": 5,
            "timeout": 30,
            "proc_name": "agentctl-idp",
            "certfile": certfile,
            "keyfile": keyfile,
            # The IdP's own limits apply to bodies; these bound what gunicorn reads first.
            "limit_request_line": 8190,
            "limit_request_fields": 100,
            "limit_request_field_size": 8190,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from agentctl.idp.app import create_app
        from agentctl.idp.service import IdpService

        svc = IdpService.open(
            self.db_path,
            base_url=self.base_url,
            bind_host=self.host,
            bootstrap=False,
            open_registration=self.open_registration,
            admin_signin=self.admin_signin,
        )
        from agentctl.idp.prune import Housekeeper

        # In each worker (after the fork): expired records pruned, the WAL kept small.
        Housekeeper(svc.store, svc.ctx.clock).start()
        return create_app(svc.ctx)


def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 2,
    threads: int = 4,
    base_url: str | None = None,
    db_path: Path | None = None,
    access_log: bool = False,
    certfile: str | None = None,
    keyfile: str | None = None,
    open_registration: bool = True,
    admin_signin: bool = False,
) -> None:
    """Bootstrap the database, then run gunicorn in the foreground until it is stopped."""
    from agentctl.idp.service import IdpService

    runner = IdpGunicorn(
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        base_url=base_url,
        db_path=db_path,
        access_log=access_log,
        certfile=certfile,
        keyfile=keyfile,
        open_registration=open_registration,
        admin_signin=admin_signin,
    )
    IdpService.open(db_path, base_url=runner.base_url, bind_host=host).store.close()
    runner.run()


__all__ = ["IdpGunicorn", "base_url_for", "serve"]
