"""`agentctl idp serve`: the IdP's WSGI app under granian (a Rust HTTP server), run
programmatically through `granian.server.Server`.

Why granian: the HTTP parsing, keep-alive and TLS happen in Rust, so a request costs the app's
own Python time and little more (gunicorn's pure-Python HTTP handling cost more than half of a
token request's time).

The master process bootstraps the database (default issuers, keys) before starting workers, so
workers never race to create them. Each worker builds its own app after the fork (or spawn):
`WorkerSettings` travels to it as the argument of a picklable loader, and the worker opens its
own SQLite connections — none is ever shared across a fork.

Per worker, `RequestWatchdog` turns a request stuck for `REQUEST_TIMEOUT` seconds into a logged
stack dump and a worker exit, which granian answers by starting a fresh worker
(`respawn_failed_workers`): a hung worker is never a silent deadlock.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from agentctl.idp.constants import DEFAULT_HOST, DEFAULT_PORT

# Twice SQLite's busy timeout (agentctl.config.sqlitedb.BUSY_TIMEOUT_MS, 30 s): a request that
# waits out a busy database is slow, not stuck.
REQUEST_TIMEOUT = 60
WATCHDOG_TICK = 1.0
# Seconds a worker gets to finish its requests on SIGTERM/SIGINT before it is killed.
GRACEFUL_TIMEOUT = 5
# The request line and headers together (hyper's read buffer; larger heads get 431). Hyper also
# refuses more than 100 header fields (431), as gunicorn's limit_request_fields did.
MAX_HEAD_BYTES = 32 * 1024
# hyper closes a connection whose request head has not arrived in this time (slow loris).
HEADER_READ_TIMEOUT_MS = 30_000
ACCESS_LOG_FORMAT = (
    '%(addr)s - [%(time)s] "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms'
)

# granian starts every request's environ from a copy of os.environ, so a process environment
# variable named like a CGI request variable (HTTP_AUTHORIZATION, HTTP_PROXY, CONTENT_TYPE, ...)
# would look like a request header the client never sent: a worker drops those from its own
# environment before granian copies it.
_CGI_NAMES = frozenset(
    {"CONTENT_TYPE", "CONTENT_LENGTH", "AUTH_TYPE", "REMOTE_USER", "REMOTE_HOST", "HTTPS"}
)


def base_url_for(host: str, port: int, *, tls: bool = False) -> str:
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):  # noqa: S104 - naming the wildcard, not binding to it
        shown = DEFAULT_HOST
    return f"{'https' if tls else 'http'}://{shown}:{port}"


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs to build its app: plain values, picklable for a spawned worker."""

    base_url: str
    bind_host: str
    db_path: Path | None
    open_registration: bool
    admin_signin: bool


def drop_request_like_environment(environ: MutableMapping[str, str]) -> list[str]:
    """Remove (and name) the variables granian would pass off as request variables."""
    names = [k for k in environ if k.startswith("HTTP_") or k in _CGI_NAMES]
    for name in names:
        del environ[name]
    return names


class RequestWatchdog:
    """WSGI middleware with a watchdog thread: a request running longer than `timeout` seconds
    dumps every thread's stack to stderr and ends the worker process (`on_stuck`: os._exit),
    so granian starts a fresh one instead of the worker hanging unnoticed. A second, GIL-free
    timer (faulthandler) does the same if the watchdog thread itself stops running."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        timeout: float = REQUEST_TIMEOUT,
        tick: float = WATCHDOG_TICK,
        on_stuck: Callable[[int], Any] = os._exit,
    ) -> None:
        self.app, self.timeout, self.tick, self.on_stuck = app, timeout, tick, on_stuck
        self.running: dict[int, float] = {}  # thread id -> monotonic start of its request

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        ident = threading.get_ident()
        self.running[ident] = time.monotonic()
        try:
            return self.app(environ, start_response)
        finally:
            self.running.pop(ident, None)

    def start(self) -> RequestWatchdog:
        threading.Thread(target=self._watch, name="agentctl-idp-watchdog", daemon=True).start()
        return self

    def stuck_for(self) -> float:
        """Seconds the longest-running request has run (0 when idle)."""
        oldest = min(self.running.values(), default=None)  # one C call: atomic under the GIL
        return 0.0 if oldest is None else time.monotonic() - oldest

    def _watch(self) -> None:
        while True:
            # Re-armed each tick: fires only if this thread stops running (the GIL held).
            faulthandler.dump_traceback_later(self.timeout + 10 * self.tick, exit=True)
            time.sleep(self.tick)
            stuck = self.stuck_for()
            if stuck > self.timeout:
                sys.stderr.write(
                    f"agentctl idp serve: worker {os.getpid()}: a request has run for "
                    f"{stuck:.0f}s (limit {self.timeout:.0f}s); its stack follows, and the "
                    "worker exits so a fresh one takes over\n"
                )
                sys.stderr.flush()
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
                sys.stderr.flush()
                faulthandler.cancel_dump_traceback_later()
                self.on_stuck(70)  # EX_SOFTWARE
                return


def worker_app(settings: WorkerSettings) -> Callable[..., Any]:
    """Runs in each worker, after the fork: its own database connections, housekeeping
    thread and watchdog."""
    from agentctl.idp.prune import Housekeeper
    from agentctl.idp.service import IdpService
    from agentctl.idp.wsgi import create_wsgi_app

    svc = IdpService.open(
        settings.db_path,
        base_url=settings.base_url,
        bind_host=settings.bind_host,
        bootstrap=False,
        open_registration=settings.open_registration,
        admin_signin=settings.admin_signin,
    )
    # Expired records pruned, the WAL kept small (one worker at a time prunes), and the WAL's
    # checkpoints run from that thread, not inside a writer's COMMIT.
    Housekeeper(svc.store, svc.ctx.clock, checkpoints=True).start()
    # This worker's environment only (the master's is untouched); granian copies it next.
    drop_request_like_environment(os.environ)
    return RequestWatchdog(create_wsgi_app(svc.ctx)).start()


def build_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 2,
    threads: int = 1,
    certfile: str | None = None,
    keyfile: str | None = None,
    access_log: bool = False,
) -> Any:
    """The granian server (not started) with the IdP's settings."""
    from granian.constants import HTTPModes, Interfaces, SSLProtocols
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    workers = max(1, workers)
    threads = max(1, threads)
    return Server(
        # Names the app in granian's logs; the app itself comes from worker_app's loader.
        "agentctl.idp.serve:worker_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # Python threads per worker. The app is CPU-bound and makes many short SQLite calls,
        # each of which lets go of the GIL: a second thread turns every one into a GIL
        # hand-over. 1 (the default) measured 10-20% faster than 2 on the delegation exchange
        # and alike on client credentials; 4 lost a quarter. A thread waiting on a slow
        # client's body is held meanwhile (granian has no body read timeout; the watchdog
        # ends a request stuck for REQUEST_TIMEOUT): see docs/idp.md.
        blocking_threads=threads,
        # HTTP/1.1 only, as before: no h2c upgrade surprises for OAuth clients.
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            header_read_timeout=HEADER_READ_TIMEOUT_MS, max_buffer_size=MAX_HEAD_BYTES
        ),
        websockets=False,
        log_level=LogLevels.warning,
        log_access=access_log,
        log_access_format=ACCESS_LOG_FORMAT,
        ssl_cert=Path(certfile) if certfile else None,
        ssl_key=Path(keyfile) if keyfile else None,
        # TLS 1.2 and 1.3, as Python's ssl defaults allowed under gunicorn.
        ssl_protocol_min=SSLProtocols.tls12,
        respawn_failed_workers=True,
        workers_kill_timeout=GRACEFUL_TIMEOUT,
    )


def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int = 2,
    threads: int = 1,
    base_url: str | None = None,
    db_path: Path | None = None,
    access_log: bool = False,
    certfile: str | None = None,
    keyfile: str | None = None,
    open_registration: bool = True,
    admin_signin: bool = False,
) -> None:
    """Bootstrap the database, then run granian in the foreground until SIGTERM/SIGINT."""
    from agentctl import gcpolicy
    from agentctl.idp.service import IdpService

    gcpolicy.long_running()  # a server's collector as Python sets it; forked workers inherit it

    settings = WorkerSettings(
        base_url=base_url or base_url_for(host, port, tls=bool(certfile)),
        bind_host=host,
        db_path=db_path,
        open_registration=open_registration,
        admin_signin=admin_signin,
    )
    server = build_server(
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        certfile=certfile,
        keyfile=keyfile,
        access_log=access_log,
    )
    IdpService.open(db_path, base_url=settings.base_url, bind_host=host).store.close()
    server.serve(target_loader=partial(worker_app, settings), wrap_loader=False)


__all__ = [
    "REQUEST_TIMEOUT",
    "RequestWatchdog",
    "WorkerSettings",
    "base_url_for",
    "build_server",
    "drop_request_like_environment",
    "serve",
    "worker_app",
]
