"""`agentctl exchange --mode user|obo|agent|all [--via id-jag --resource URL]`.

No `from __future__ import annotations` here, unlike the rest of agentctl: Typer builds the
command from the annotations, and evaluating them once when the function is defined costs less
than Typer compiling and evaluating each string twice on every run (issue 16). Names only
imported for type checking are written as strings.
"""

from typing import TYPE_CHECKING, Annotated, Any, TextIO

import click
import typer

from agentctl.cli.options import JsonOpt, ProfileOpt, ShowTokenOpt, TraceOpt
from agentctl.core.emit_forms import EMIT_HELP, FORMATS

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentctl.oauth.trace import Tracer
    from agentctl.output.result import Result
    from agentctl.services.exchange import ExchangeOptions

PASSWORD_ENV = "AGENTCTL_USER_PASSWORD"  # noqa: S105 - a variable name


def _emit_forms(incomplete: str) -> list[str]:
    return [f for f in FORMATS if f.startswith(incomplete)]


def exchange_command(
    ctx: typer.Context,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            click_type=click.Choice(("agent", "user", "obo", "all", "agent-user")),
            help="agent: the agent as itself (client credentials). user: the user's token, no "
            "actor (RFC 8693 impersonation when a target is given). obo: the user's token with "
            "the agent as actor (RFC 8693 delegation). all: the three side by side. "
            "agent-user (Entra): the agent as its own agent user.",
            show_default=False,
        ),
    ] = None,
    via: Annotated[
        str | None,
        typer.Option(
            "--via",
            click_type=click.Choice(("id-jag",)),
            help="id-jag: the MCP path. An ID-JAG from the IdP for the user, then an access "
            "token from the resource's authorization server (found via RFC 9728 metadata of "
            "--resource).",
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent",
            help="The agent (name or client id; `agentctl agent list`). Default: the "
            "profile's (`agentctl agent use`).",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Embedded IdP only: sign this user in through its loopback shortcut (password "
            f"from ${PASSWORD_ENV}, --password-stdin or a hidden prompt). Default: the "
            "profile's (`agentctl agent use --user`). Other IdPs: omit it and sign in by "
            "device code.",
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the --user password from stdin.")
    ] = False,
    subject_token: Annotated[
        str | None,
        typer.Option(
            "--subject-token",
            metavar="TOKEN|@FILE|-",
            help="Use this user token (ID token for --via id-jag) instead of signing in.",
        ),
    ] = None,
    actor_token: Annotated[
        str | None,
        typer.Option(
            "--actor-token",
            metavar="TOKEN|@FILE|-",
            help="obo: use this agent token as actor instead of client credentials.",
        ),
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option("--audience", help="Target audience (RFC 8693; repeatable)."),
    ] = None,
    resource: Annotated[
        list[str] | None,
        typer.Option("--resource", help="Target resource URL (RFC 8707; repeatable)."),
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="Space-separated scopes to ask for.")
    ] = None,
    emit: Annotated[
        str | None,
        typer.Option(
            "--emit",
            metavar="FORM[:OPTS]",
            autocompletion=_emit_forms,
            help=EMIT_HELP,
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="With --emit: write to FILE (mode 0600) instead of stdout.",
        ),
    ] = None,
    emit_token: Annotated[
        str | None,
        typer.Option(
            "--emit-token",
            metavar="TOKEN",
            help="With --emit: which token of the run to write — final (default), or one it "
            "obtained on the way: id-token, id-jag, user-token, actor-token. id-jag (with --via "
            "id-jag) stops after leg 1 and hands the ID-JAG to another client.",
        ),
    ] = None,
    as_client_id: Annotated[
        str | None,
        typer.Option(
            "--as-client-id",
            help="With --via id-jag: the agent's client id at the resource's authorization "
            "server when agentctl does not run it (secret from AGENTCTL_AS_CLIENT_SECRET).",
        ),
    ] = None,
    open_browser: Annotated[
        bool,
        typer.Option(
            "--open",
            help="Device sign-in: also open the verification URL in a browser (a note, not an "
            "error, when there is no browser or display).",
        ),
    ] = False,
    trace: TraceOpt = False,
    show_token: ShowTokenOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Get a real token in a mode, explain it, and check it has the shape the mode promises.

    Shows each step (endpoint, grant, outcome), the resulting token explained as `agentctl
    inspect` would, and the check table. Tokens appear as fingerprints unless --show-token.

    Exit codes: 0 every check holds; 5 the IdP answered but the token has the wrong shape;
    6 the IdP refused (its error and error_description are shown); 7 network; 8 the IdP does
    not offer what the mode needs.
    """
    from agentctl.cli.context import in_process
    from agentctl.config.resolve import flag_from_context, resolve_settings
    from agentctl.services.exchange import (
        ExchangeOptions,
        demo_password,
        prefetch_sign_in,
        validate,
        with_profile_defaults,
    )
    from agentctl.services.resource_client import secret_for

    stdin_users = [
        n
        for n, v in (("--subject-token", subject_token), ("--actor-token", actor_token))
        if v == "-"
    ] + (["--password-stdin"] if password_stdin else [])
    if len(stdin_users) > 1:
        from agentctl.errors import UsageError

        raise UsageError(f"only one of {', '.join(stdin_users)} can read stdin")
    options = validate(
        ExchangeOptions(
            mode=mode,
            via=via,
            agent=agent,
            user=user,
            subject_token=_token_arg(subject_token),
            actor_token=_token_arg(actor_token),
            audience=tuple(audience or ()),
            resource=tuple(resource or ()),
            scope=scope,
            emit=emit,
            emit_token=emit_token,
            as_client_id=as_client_id,
            as_client_secret=secret_for(as_client_id),
            out=out,
            show_token=show_token,
            trace=trace,
        )
    )
    settings = resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))
    options = with_profile_defaults(options, settings)

    def stored(name: str) -> str | None:
        return demo_password(settings, name)

    if in_process(ctx, embedded=settings.profile.embedded):
        # The sign-in's password check (a deliberately slow KDF) starts now, beside the
        # imports below; the IdP's check joins it (agentctl.idp.secrets).
        prefetch_sign_in(options, settings, _quiet_password(options.user, password_stdin, stored))

    from datetime import UTC, datetime

    from agentctl.cli.context import http_for
    from agentctl.output.render import emit as render
    from agentctl.services.exchange import Hooks, run_exchange

    tracer = _tracer(options, json_out=json_out) if trace else None
    http = http_for(
        ctx,
        embedded=settings.profile.embedded,
        ca_bundle=settings.ca_bundle.value,
        event_hooks=tracer.hooks() if tracer is not None else None,
    )
    hooks = Hooks(
        password=_password_source(options.user, password_stdin, stored=stored),
        prompt=_device_prompt(open_browser),
    )
    with http:
        result = run_exchange(
            options,
            settings=settings,
            http=http,
            now=lambda: datetime.now(tz=UTC),
            hooks=hooks,
            tracer=tracer,
        )
    emitted = result.data.get("emit") or {}
    to_stdout = bool(emitted.get("text")) and not json_out
    if to_stdout:
        # stdout carries only the emitted text (for eval/redirects); the report goes to stderr.
        from agentctl.output.console import make_console
        from agentctl.output.exchange import render_exchange

        def human(_console: object, res: object) -> None:
            render_exchange(make_console(stderr=True), result)

        render(result, json_out=False, human=human)
        typer.echo(emitted["text"], nl=False)
    else:
        render(result, json_out=json_out, human=_rich_report, plain=_plain_report)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def _tracer(options: "ExchangeOptions", *, json_out: bool) -> "Tracer":
    """--trace: every request and response, recorded (and printed as it happens, unless
    --json) with the run's secrets scrubbed. Without --trace nothing is recorded."""
    from agentctl.oauth.trace import Tracer

    sink = None
    if not json_out:
        from agentctl.output.exchange import trace_printer

        sink = trace_printer()
    tracer = Tracer(sink)
    for value in (options.subject_token, options.actor_token, options.as_client_secret):
        tracer.add_secret(value)
    return tracer


def _rich_report(console: Any, result: "Result") -> None:
    from agentctl.output.exchange import render_exchange

    render_exchange(console, result)


def _plain_report(stream: TextIO, result: "Result") -> None:
    # stdout is no terminal (a pipe, a file, a test): the same text without importing rich
    from agentctl.output.exchange_plain import render_exchange_plain

    render_exchange_plain(stream, result)


def _device_prompt(open_browser: bool) -> "Callable[[Any], None]":
    """The device-code prompt, built (with its console) only when a sign-in shows one."""

    def show(authorization: Any) -> None:
        from agentctl.output.exchange import device_prompt

        device_prompt(open_url=_browser_opener() if open_browser else None)(authorization)

    return show


def _browser_opener() -> "Callable[[str], str]":
    from agentctl.services.browser_open import open_verification

    return open_verification


def _token_arg(value: str | None) -> str | None:
    if value is None:
        return None
    from agentctl.core.tokens import normalize
    from agentctl.services.inspect import read_token_text

    return normalize(read_token_text(value))


def _password_source(
    user: str | None,
    password_stdin: bool,
    *,
    stored: "Callable[[str], str | None] | None" = None,
) -> "Callable[[], str] | None":
    """The --user password, read only when the sign-in needs it: --password-stdin, then
    $AGENTCTL_USER_PASSWORD, then the password `agentctl demo` kept for its user, then a
    hidden prompt when there is a terminal. Never a command-line value."""
    if user is None:
        return None

    def read() -> str:
        import sys

        from agentctl.errors import UsageError

        hint = f"pipe it with --password-stdin, or set {PASSWORD_ENV}"
        if password_stdin:
            from agentctl import files

            value = files.read_line(sys.stdin, what="the password on stdin")
        else:
            value = _unasked_password(user, stored) or ""
            if not value and _stdin_is_tty():
                value = typer.prompt(f"password for {user}", hide_input=True, err=True)
            elif not value:
                # No terminal: getpass would warn (GetPassWarning), read stdin anyway and end
                # as if interrupted (130) at end of input. Read the piped line here, quietly
                # (no prompt: nobody is there to see it); none at all is a one-line usage error.
                from agentctl import files

                value = files.read_line(sys.stdin, what="the password on stdin")
                if not value:
                    raise UsageError(f"no password for {user} and no terminal to ask on", hint=hint)
        if not value:
            raise UsageError(f"no password for {user}", hint=hint)
        return value

    return read


def _quiet_password(
    user: str | None, password_stdin: bool, stored: "Callable[[str], str | None]"
) -> str | None:
    """The password `_password_source` will read, when it reads it without asking anyone or
    consuming stdin; else None."""
    if user is None or password_stdin:
        return None
    return _unasked_password(user, stored)


def _unasked_password(user: str, stored: "Callable[[str], str | None] | None") -> str | None:
    """$AGENTCTL_USER_PASSWORD, then the password `agentctl demo` kept for its user."""
    import os

    return os.environ.get(PASSWORD_ENV) or (stored(user) if stored else None) or None


def _stdin_is_tty() -> bool:
    import sys

    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached stdin
        return False


def register(app: typer.Typer) -> None:
    """Add `exchange` to the root app."""
    app.command("exchange")(exchange_command)


__all__ = ["PASSWORD_ENV", "exchange_command", "register"]
