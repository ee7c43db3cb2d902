"""`agentctl idp …`: run and administer the embedded IdP.

agentctl idp serve [--host 127.0.0.1] [--port 8400] [--workers N]
agentctl idp issuers
agentctl idp users add NAME [--email E] [--password-stdin] | users list
agentctl idp agents list
agentctl idp grant USER AGENT [--scope S ...] [--revoke]
agentctl idp keys list | keys rotate [--alg ES256|RS256]
agentctl idp audit [--limit N]
agentctl idp reset --yes
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from agentctl.cli.options import JsonOpt

if TYPE_CHECKING:
    from agentctl.idp.service import IdpService
    from agentctl.output.result import Result

PASSWORD_ENV = "AGENTCTL_IDP_PASSWORD"  # noqa: S105 - a variable name

idp_app = typer.Typer(
    name="idp",
    help="The embedded IdP: serve it, manage its users, agents, keys and audit log.",
    no_args_is_help=True,
)
users_app = typer.Typer(help="Test users of an issuer.", no_args_is_help=True)
agents_app = typer.Typer(help="Registered agents.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys.", no_args_is_help=True)
idp_app.add_typer(users_app, name="users")
idp_app.add_typer(agents_app, name="agents")
idp_app.add_typer(keys_app, name="keys")

IssuerOpt = Annotated[
    str, typer.Option("--issuer", help="Issuer name (path /i/NAME).", show_default=True)
]


def _service() -> IdpService:
    from agentctl.idp.service import IdpService

    return IdpService.open()


def _emit(result: Result, json_out: bool, renderer: str) -> None:
    from agentctl.output import idp as renderers
    from agentctl.output.render import emit

    emit(result, json_out=json_out, human=getattr(renderers, renderer))


def _result(command: tuple[str, ...], data: dict[str, Any]) -> Result:
    from agentctl.output.result import Result

    return Result(command=("idp", *command), data=data)


def _usage_errors() -> Any:
    """Map the service's lookup/validation errors to agentctl's usage error."""
    from contextlib import contextmanager

    from agentctl.errors import UsageError
    from agentctl.idp.records import Conflict
    from agentctl.idp.service import NotFound

    @contextmanager
    def guard() -> Any:
        try:
            yield
        except NotFound as exc:
            raise UsageError(str(exc).strip('"'), hint="see `agentctl idp --help`") from None
        except (Conflict, ValueError) as exc:
            raise UsageError(str(exc)) from None

    return guard()


@idp_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8400,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 2,
    threads: Annotated[int, typer.Option(help="Threads per worker.", min=1)] = 4,
    base_url: Annotated[
        str | None, typer.Option(help="Public base URL (default http://HOST:PORT).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Serve every issuer over HTTP under gunicorn until interrupted."""
    from agentctl.core.transport_rules import is_loopback_host
    from agentctl.idp.serve import base_url_for
    from agentctl.idp.serve import serve as run
    from agentctl.idp.service import IdpService

    _check_port_free(host, port)
    url = base_url or base_url_for(host, port)
    svc = IdpService.open(base_url=url, bind_host=host)
    data = {
        "base_url": url,
        "host": host,
        "port": port,
        "workers": workers,
        "loopback_only": is_loopback_host(host),
        "issuers": svc.issuers(),
        "database": str(svc.store.path),
    }
    svc.store.close()
    result = _result(("serve",), data)
    if not is_loopback_host(host):
        result.warnings.append(
            "listening beyond loopback: the admin user-token route is disabled and plain "
            "http exposes tokens; put TLS in front"
        )
    _emit(result, json_out, "render_serve")
    run(host=host, port=port, workers=workers, threads=threads, base_url=url)


def _check_port_free(host: str, port: int) -> None:
    """Fail with one clear line before gunicorn starts retrying a busy port."""
    import socket

    from agentctl.errors import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port}: {exc.strerror}", hint="pick another --port"
            ) from None


@idp_app.command("issuers")
def issuers(json_out: JsonOpt = False) -> None:
    """List the issuers this IdP serves."""
    _emit(_result(("issuers",), {"issuers": _service().issuers()}), json_out, "render_issuers")


def _read_password(password_stdin: bool) -> str:
    import os
    import sys

    from agentctl.errors import UsageError

    if password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        value = os.environ[PASSWORD_ENV]
    elif sys.stdin.isatty():
        value = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise UsageError(
            "no password given",
            hint=f"pipe it with --password-stdin, or set {PASSWORD_ENV}",
        )
    if not value:
        raise UsageError("the password is empty")
    return value


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (becomes the token `sub`).")],
    email: Annotated[str | None, typer.Option(help="E-mail (default NAME@example.com).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    issuer: IssuerOpt = "enterprise",
    json_out: JsonOpt = False,
) -> None:
    """Add a test user (password from --password-stdin, $AGENTCTL_IDP_PASSWORD or a prompt)."""
    password = _read_password(password_stdin)
    with _usage_errors():
        user = _service().add_user(name, email or f"{name}@example.com", password, issuer=issuer)
    data = {"issuer": issuer, "user": _user(user)}
    _emit(_result(("users", "add"), data), json_out, "render_user_added")


def _user(user: Any) -> dict[str, Any]:
    return {"name": user.name, "sub": user.sub, "email": user.email, "created_at": user.created_at}


@users_app.command("list")
def users_list(issuer: IssuerOpt = "enterprise", json_out: JsonOpt = False) -> None:
    """List the test users of an issuer."""
    with _usage_errors():
        svc = _service()
        svc.issuer(issuer)
        users = [_user(u) for u in svc.list_users(issuer)]
    _emit(_result(("users", "list"), {"issuer": issuer, "users": users}), json_out, "render_users")


@agents_app.command("list")
def agents_list(
    issuer: Annotated[str | None, typer.Option(help="Only this issuer.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """List registered agents (name, sponsor, credential type, whom they may act for)."""
    from dataclasses import asdict

    agents = [asdict(a) for a in _service().list_agents(issuer)]
    _emit(_result(("agents", "list"), {"agents": agents}), json_out, "render_agents")


@idp_app.command("grant")
def grant(
    user: Annotated[str, typer.Argument(help="The user who delegates.")],
    agent: Annotated[str, typer.Argument(help="Agent name or client id.")],
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Limit the grant to these scopes.")
    ] = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw the grant.")] = False,
    issuer: IssuerOpt = "enterprise",
    json_out: JsonOpt = False,
) -> None:
    """Let USER's tokens be exchanged by AGENT on USER's behalf (delegation grant)."""
    with _usage_errors():
        svc = _service()
        if revoke:
            removed = svc.revoke_grant(user, agent, issuer=issuer)
            data: dict[str, Any] = {
                "issuer": issuer,
                "user": user,
                "agent": agent,
                "revoked": removed,
            }
        else:
            scopes = [s for item in scope or [] for s in item.split()]
            data = svc.grant(user, agent, scopes=scopes, issuer=issuer)
    _emit(_result(("grant",), data), json_out, "render_grant")


@keys_app.command("list")
def keys_list(issuer: IssuerOpt = "enterprise", json_out: JsonOpt = False) -> None:
    """List the issuer's published signing keys (active first)."""
    with _usage_errors():
        infos = [k.as_dict() for k in _service().keys(issuer)]
    _emit(_result(("keys", "list"), {"issuer": issuer, "keys": infos}), json_out, "render_keys")


@keys_app.command("rotate")
def keys_rotate(
    issuer: IssuerOpt = "enterprise",
    alg: Annotated[str | None, typer.Option(help="ES256 or RS256 (default: issuer's).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Make a new signing key; the old one stays in the JWKS until its tokens expire."""
    with _usage_errors():
        svc = _service()
        kid = svc.rotate_keys(issuer, alg.upper() if alg else None)
        infos = [k.as_dict() for k in svc.keys(issuer)]
    data = {"issuer": issuer, "new_kid": kid, "keys": infos}
    _emit(_result(("keys", "rotate"), data), json_out, "render_keys")


@idp_app.command("audit")
def audit(
    limit: Annotated[int, typer.Option(help="Show the last N entries.", min=1)] = 50,
    issuer: Annotated[str | None, typer.Option(help="Only this issuer.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the audit log: every token issued and revoked, who acted for whom."""
    entries = _service().audit(issuer=issuer, limit=limit)
    _emit(_result(("audit",), {"entries": entries}), json_out, "render_audit")


@idp_app.command("reset")
def reset(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Delete the IdP database: users, agents, keys, tokens and audit log."""
    import sys

    from agentctl.errors import UsageError
    from agentctl.idp.service import reset as do_reset
    from agentctl.idp.store import default_db_path

    path = default_db_path()
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to reset without confirmation", hint="add --yes")
        typer.confirm(f"Delete {path} and everything in it?", abort=True)
    removed = do_reset(path)
    _emit(
        _result(("reset",), {"database": str(path), "removed": removed}), json_out, "render_reset"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(idp_app, name="idp")


__all__ = ["idp_app", "register"]
