"""`agentctl idp …`: run and administer the embedded IdP.

agentctl idp serve [--host 127.0.0.1] [--port 8400] [--workers N] [--certfile F --keyfile F]
                   [--registration open|token] [--admin-signin]
agentctl idp issuers
agentctl idp users add NAME [--email E] [--password-stdin] | users list
agentctl idp agents list | agents set AGENT [--audience A] [--subject-audience A] ...
agentctl idp grant USER AGENT [--scope S ...] [--impersonation] [--revoke]
agentctl idp registration-token [--audience A] [--scope S] [--out FILE | --show-secret]
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
MAX_AUDIT_LIMIT = 1_000_000

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
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8400,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 2,
    threads: Annotated[
        int, typer.Option(help="Python threads per worker (granian's blocking threads).", min=1)
    ] = 1,
    base_url: Annotated[
        str | None, typer.Option(help="Public base URL (default http(s)://HOST:PORT).")
    ] = None,
    certfile: Annotated[
        str | None, typer.Option("--certfile", help="Serve https with this PEM certificate.")
    ] = None,
    keyfile: Annotated[
        str | None, typer.Option("--keyfile", help="The certificate's PEM private key.")
    ] = None,
    registration: Annotated[
        str,
        typer.Option(
            "--registration",
            help="RFC 7591: 'open' (loopback binds only, rate limited) or 'token' (an initial "
            "access token from `agentctl idp registration-token`). Default: open on loopback.",
        ),
    ] = "auto",
    admin_signin: Annotated[
        bool,
        typer.Option(
            "--admin-signin",
            help="Turn on the admin user-token route (loopback only; it also needs the admin "
            "credential from the data dir).",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Serve every issuer over HTTP(S) under granian until interrupted (SIGTERM/SIGINT).

    Example: agentctl idp serve --port 8400 --admin-signin
    """
    from agentctl.core.transport_rules import is_loopback_host
    from agentctl.errors import UsageError
    from agentctl.idp.serve import base_url_for
    from agentctl.idp.serve import serve as run
    from agentctl.idp.service import IdpService

    loopback = is_loopback_host(host)
    if registration not in ("auto", "open", "token"):
        raise UsageError(
            f"--registration must be open or token, not {registration!r}",
            hint="--registration token requires an initial access token to register",
        )
    if registration == "open" and not loopback:
        raise UsageError(
            "open registration is for loopback binds only",
            hint="use --registration token and hand out `agentctl idp registration-token`s",
        )
    if bool(certfile) != bool(keyfile):
        raise UsageError("--certfile and --keyfile go together", hint="pass both PEM files")
    tls = _check_tls_files(certfile, keyfile)
    open_registration = loopback and registration != "token"
    _check_port_free(host, port)
    url = base_url or base_url_for(host, port, tls=tls)
    svc = IdpService.open(base_url=url, bind_host=host)
    if admin_signin:
        svc.admin_token()
    data = {
        "base_url": url,
        "host": host,
        "port": port,
        "workers": workers,
        "loopback_only": loopback,
        "tls": tls,
        "registration": "open" if open_registration else "token",
        "registration_note": (
            "open to loopback callers (rate limited)"
            if open_registration
            else "initial access token required (agentctl idp registration-token)"
        ),
        "admin_signin": admin_signin and loopback,
        "admin_signin_note": (
            "on (loopback; needs the admin credential in the data dir)"
            if admin_signin and loopback
            else "off"
        ),
        "issuers": svc.issuers(),
        "database": str(svc.store.path),
    }
    svc.store.close()
    result = _result(("serve",), data)
    if not loopback and not tls:
        result.warnings.append(
            "listening beyond loopback over plain http: every request that carries a "
            "credential is refused; serve https with --certfile/--keyfile"
        )
    if admin_signin and not loopback:
        result.warnings.append("--admin-signin is ignored beyond loopback")
    _emit(result, json_out, "render_serve")
    run(
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        base_url=url,
        certfile=certfile,
        keyfile=keyfile,
        open_registration=open_registration,
        admin_signin=admin_signin and loopback,
    )


def _check_tls_files(certfile: str | None, keyfile: str | None) -> bool:
    """True when serving https; a missing or unreadable file fails here, in one line."""
    from pathlib import Path

    from agentctl.errors import UsageError

    if not certfile or not keyfile:
        return False
    for option, name in (("--certfile", certfile), ("--keyfile", keyfile)):
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"{option} {name}: no such file", hint="give a PEM file")
        try:
            with path.open("rb") as handle:
                head = handle.read(64 * 1024)
        except OSError as exc:
            raise UsageError(
                f"{option} {name}: {exc.strerror}", hint="check its permissions"
            ) from None
        if b"-----BEGIN" not in head:
            raise UsageError(f"{option} {name}: not a PEM file", hint="give a PEM file")
    _check_tls_pair(certfile, keyfile)
    return True


def _check_tls_pair(certfile: str, keyfile: str) -> None:
    """The certificate and key load together (granian would fail in every worker, or prompt
    for a passphrase): PKCS#8, PKCS#1 and SEC1 keys all do, an encrypted key does not."""
    import ssl

    from agentctl.errors import UsageError

    def encrypted() -> bytes:
        raise UsageError(
            f"--keyfile {keyfile}: the key is encrypted",
            hint=f"serve an unencrypted copy (mode 0600): openssl pkey -in {keyfile} -out key.pem",
        )

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile, encrypted)
    except ssl.SSLError as exc:
        raise UsageError(
            f"--certfile {certfile} and --keyfile {keyfile} do not load together: "
            f"{exc.reason or exc}",
            hint="give a PEM certificate and its own unencrypted private key",
        ) from None


def _check_port_free(host: str, port: int) -> None:
    """Fail with one clear line before granian starts: it would print a traceback, or share
    the port unnoticed with another granian server (both bind with SO_REUSEPORT)."""
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
        from agentctl import files

        value = files.read_line(sys.stdin, what="the password on stdin")
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
    limit: Annotated[
        int | None,
        typer.Option(help="Show at most N agents (a page).", min=1, max=MAX_AUDIT_LIMIT),
    ] = None,
    after: Annotated[
        str | None,
        typer.Option(
            help="Start after this agent: the previous page's next_after (ISSUER/CLIENT_ID), "
            "or a client id."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """List registered agents (name, sponsor, credential type, whom they may act for)."""
    from agentctl.errors import UsageError
    from agentctl.idp.listing import UnknownCursor, agent_page
    from agentctl.idp.store import Store

    try:
        page = agent_page(Store.open(), issuer=issuer, limit=limit, after=after)
    except UnknownCursor:
        raise UsageError(
            f"--after {after}: no such agent",
            hint="pass the next_after of the previous page, or a client id from the list",
        ) from None
    data: dict[str, Any] = {"agents": page.agents}
    if limit is not None or after is not None:
        data["next_after"] = page.next_after  # paged: where the next page starts (null: done)
    _emit(_result(("agents", "list"), data), json_out, "render_agents")


@agents_app.command("set")
def agents_set(
    agent: Annotated[str, typer.Argument(help="Agent name or client id.")],
    audience: Annotated[
        list[str] | None,
        typer.Option("--audience", help="An audience it may ask tokens for (repeat; replaces)."),
    ] = None,
    subject_audience: Annotated[
        list[str] | None,
        typer.Option(
            "--subject-audience",
            help="An audience of user tokens it may exchange from, besides its own (repeat).",
        ),
    ] = None,
    may_act_for: Annotated[
        list[str] | None,
        typer.Option("--may-act-for", help="A user it may act for, or * (repeat; replaces)."),
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="A scope it may ask for (repeat).")
    ] = None,
    id_jag_client_id: Annotated[
        list[str] | None,
        typer.Option(
            "--id-jag-client-id",
            help="AS=ID: its client id at a trusted authorization server elsewhere (repeat).",
        ),
    ] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", help="Empty a list: audience, subject-audience (repeat)."),
    ] = None,
    issuer: IssuerOpt = "enterprise",
    json_out: JsonOpt = False,
) -> None:
    """Set an agent's policy: what only the administrator may set (clients cannot, by RFC
    7591/7592). Applies at every issuer the agent is registered at.

    Example: agentctl idp agents set billing-bot --subject-audience https://app.example.com
    """
    from agentctl.errors import UsageError

    cleared = set(clear or [])
    unknown = cleared - {"audience", "subject-audience"}
    if unknown:
        raise UsageError(
            f"--clear takes audience or subject-audience, not {sorted(unknown)[0]!r}",
            hint="e.g. --clear subject-audience",
        )
    audiences = [] if "audience" in cleared else audience
    subjects = [] if "subject-audience" in cleared else subject_audience
    mapping = None
    if id_jag_client_id:
        pairs = [item.partition("=") for item in id_jag_client_id]
        if any(not sep or not k or not v for k, sep, v in pairs):
            raise UsageError(
                "--id-jag-client-id takes AS=ID", hint="e.g. https://as.example.com=client-123"
            )
        mapping = {k: v for k, _, v in pairs}
    if (
        audiences is None
        and subjects is None
        and may_act_for is None
        and scope is None
        and mapping is None
    ):
        raise UsageError(
            "nothing to set",
            hint="pass --audience, --subject-audience, --may-act-for, --scope, "
            "--id-jag-client-id or --clear",
        )
    with _usage_errors():
        client = _service().set_agent_policy(
            agent,
            issuer=issuer,
            audiences=audiences,
            subject_audiences=subjects,
            may_act_for=may_act_for,
            scopes=[s for item in scope for s in item.split()] if scope is not None else None,
            id_jag_client_ids=mapping,
        )
    data = {
        "issuer": issuer,
        "name": client.name,
        "client_id": client.client_id,
        "allowed_audiences": client.allowed_audiences,
        "subject_audiences": client.subject_audiences,
        "may_act_for": client.agent.may_act_for if client.agent else [],
        "scope": " ".join(client.allowed_scopes),
        "id_jag_client_ids": client.id_jag_client_ids,
    }
    _emit(_result(("agents", "set"), data), json_out, "render_agent_policy")


@idp_app.command("trust")
def trust(
    authorization_server: Annotated[
        str, typer.Argument(help="The issuer URL of an authorization server elsewhere.")
    ],
    remove: Annotated[bool, typer.Option("--remove", help="Stop trusting it.")] = False,
    issuer: IssuerOpt = "enterprise",
    json_out: JsonOpt = False,
) -> None:
    """Issue ID-JAGs (for the MCP path) to an authorization server agentctl does not run.
    Record each agent's client id there with `idp agents set AGENT --id-jag-client-id AS=ID`.

    Example: agentctl idp trust https://mcp-auth.example.com
    """
    with _usage_errors():
        listed = _service().trust_authorization_server(
            authorization_server, issuer=issuer, remove=remove
        )
    data = {"issuer": issuer, "external_id_jag_audiences": listed}
    _emit(_result(("trust",), data), json_out, "render_trust")


@idp_app.command("resources")
def resources(
    add: Annotated[
        list[str] | None,
        typer.Option("--add", help="Register a protected resource URL this issuer serves."),
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Drop a registered resource URL.")
    ] = None,
    issuer: IssuerOpt = "enterprise",
    json_out: JsonOpt = False,
) -> None:
    """List (or change) the protected resources an issuer serves: any of its clients may ask
    for tokens for them (RFC 8707 `resource`), as for its demo resource. An MCP server whose
    authorization server is this issuer belongs here.

    Example: agentctl idp resources --issuer mcp-as --add https://mcp.example.com/mcp
    """
    with _usage_errors():
        svc = _service()
        listed = (
            svc.set_resources(issuer, add=add or [], remove=remove or [])
            if add or remove
            else list(svc.issuer(issuer).resources)
        )
    data = {"issuer": issuer, "resources": listed}
    _emit(_result(("resources",), data), json_out, "render_resources")


@idp_app.command("grant")
def grant(
    user: Annotated[str, typer.Argument(help="The user who consents.")],
    agent: Annotated[str, typer.Argument(help="Agent name or client id.")],
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Limit the grant to these scopes.")
    ] = None,
    impersonation: Annotated[
        bool,
        typer.Option(
            "--impersonation",
            help="Grant impersonation (user-scoped mode: tokens carry USER alone, no act) "
            "instead of delegation.",
        ),
    ] = False,
    revoke: Annotated[
        bool,
        typer.Option("--revoke", help="Withdraw the grant and revoke the tokens it authorised."),
    ] = False,
    issuer: IssuerOpt = "enterprise",
    json_out: JsonOpt = False,
) -> None:
    """Let AGENT exchange USER's tokens: delegation (default; the token names the agent in
    `act`) or, with --impersonation, user-scoped impersonation. Separate permissions.

    Example: agentctl idp grant alice billing-bot --scope read
    """
    from agentctl.idp.policy import GRANT_DELEGATION, GRANT_IMPERSONATION

    kind = GRANT_IMPERSONATION if impersonation else GRANT_DELEGATION
    with _usage_errors():
        svc = _service()
        if revoke:
            data = svc.revoke_grant(user, agent, issuer=issuer, kind=kind)
        else:
            scopes = [s for item in scope or [] for s in item.split()]
            data = svc.grant(user, agent, scopes=scopes, issuer=issuer, kind=kind)
    _emit(_result(("grant",), data), json_out, "render_grant")


@idp_app.command("registration-token")
def registration_token(
    audience: Annotated[
        list[str] | None,
        typer.Option("--audience", help="An audience the client may ask tokens for (repeat)."),
    ] = None,
    subject_audience: Annotated[
        list[str] | None,
        typer.Option(
            "--subject-audience", help="An audience of user tokens it may exchange from (repeat)."
        ),
    ] = None,
    may_act_for: Annotated[
        list[str] | None,
        typer.Option("--may-act-for", help="A user it may act for (repeat; default any)."),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A scope it may have (repeat; default the issuer's)."),
    ] = None,
    expires_in: Annotated[
        int, typer.Option("--expires-in", help="Seconds it stays valid.", min=60, max=2_592_000)
    ] = 3600,
    uses: Annotated[
        int, typer.Option("--uses", help="How many registrations it allows.", min=1, max=1000)
    ] = 1,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Write the token to this new file (0600) instead of stdout."),
    ] = None,
    show_secret: Annotated[
        bool, typer.Option("--show-secret", help="Print the token (once).")
    ] = False,
    issuer: IssuerOpt = "enterprise",
    json_out: JsonOpt = False,
) -> None:
    """Make an RFC 7591 initial access token: what a client needs to register when the IdP
    is not open (served beyond loopback, or with --registration token). It carries the policy
    the client gets. Shown once; only its hash is kept.

    Example: agentctl idp registration-token --audience https://api.example.com --out iat.txt
    """
    from agentctl.errors import UsageError
    from agentctl.idp.policy import RegistrationPolicy

    if not out and not show_secret:
        raise UsageError(
            "say where the token goes",
            hint="--out FILE (0600) or --show-secret to print it",
        )
    policy = RegistrationPolicy(
        audiences=tuple(audience or ()),
        subject_audiences=tuple(subject_audience or ()),
        may_act_for=tuple(may_act_for or ("*",)),
        scopes=tuple(s for item in scope for s in item.split()) if scope else None,
    )
    if out:
        _check_new_file(out)
    with _usage_errors():
        token = _service().registration_token(
            issuer=issuer, policy=policy, expires_in=expires_in, uses=uses
        )
    if out:
        _write_new_private(out, token)
    data = {
        "issuer": issuer,
        "token": token if show_secret else None,
        "written_to": out,
        "expires_in": expires_in,
        "uses": uses,
        "policy": policy.as_dict(),
    }
    _emit(_result(("registration-token",), data), json_out, "render_registration_token")


def _check_new_file(path: str) -> None:
    from pathlib import Path

    from agentctl.errors import UsageError

    target = Path(path)
    try:
        if target.exists() or target.is_symlink():
            raise UsageError(f"--out {path} exists", hint="name a new file")
        if not target.parent.is_dir():
            raise UsageError(f"--out {path}: no such directory", hint="create it first")
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte in it
        raise UsageError(
            f"--out {path!r}: {getattr(exc, 'strerror', None) or exc}", hint="name a new file"
        ) from None


def _write_new_private(path: str, text: str) -> None:
    import os

    from agentctl.errors import UsageError

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise UsageError(f"--out {path}: {exc.strerror}", hint="name a new file") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


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
    # The cap keeps N an SQLite integer (an --limit of 2**63 overflowed it) and is far
    # beyond any log anyone reads in a terminal.
    limit: Annotated[
        int, typer.Option(help="Show the last N entries.", min=1, max=MAX_AUDIT_LIMIT)
    ] = 50,
    issuer: Annotated[str | None, typer.Option(help="Only this issuer.")] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Keep printing new entries as they are written, until Ctrl-C (exit 0); with "
            "--json, one JSON object per line.",
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(help="With --follow: seconds between polls.", min=0.1, max=60.0),
    ] = 1.0,
    json_out: JsonOpt = False,
) -> None:
    """Show the audit log: every token issued and revoked, who acted for whom."""
    if follow:
        _follow_audit(issuer, limit, interval, json_out)
        return
    entries = _service().audit(issuer=issuer, limit=limit)
    _emit(_result(("audit",), {"entries": entries}), json_out, "render_audit")


def _follow_audit(issuer: str | None, backlog: int, interval: float, json_out: bool) -> None:
    import json
    import sys
    import time

    from agentctl.services.audit_follow import follow

    svc = _service()

    def show_json(entries: list[dict[str, Any]], _full: bool) -> None:
        for entry in entries:
            sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def show_human(entries: list[dict[str, Any]], full: bool) -> None:
        from agentctl.output.console import make_console
        from agentctl.output.idp import render_audit_follow

        render_audit_follow(make_console(), entries, full)

    follow(
        lambda n: svc.audit(issuer=issuer, limit=n),
        show_json if json_out else show_human,
        backlog=backlog,
        interval=interval,
        sleep=time.sleep,
    )


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
    data: dict[str, Any] = {"database": str(path), "removed": removed}
    if removed:
        from agentctl.services.agents import forget_local_idp_agents

        # Their clients were in the deleted database: no record may name a client that is gone.
        data["agents_forgotten"] = forget_local_idp_agents()
    _emit(_result(("reset",), data), json_out, "render_reset")


def register(app: typer.Typer) -> None:
    app.add_typer(idp_app, name="idp")


__all__ = ["idp_app", "register"]
