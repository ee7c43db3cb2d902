"""`agentctl browse URL --mode … --agent … [--inject FORM]`: the agent's token in a real
(headless, system) Chromium, and what the web app showed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import click
import typer

from agentctl.cli.options import JsonOpt, ProfileOpt

if TYPE_CHECKING:
    from agentctl.services.browse import Token


def browse_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The web app's URL (http or https).")],
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            click_type=click.Choice(("agent", "user", "obo")),
            help="Get the token by `agentctl exchange --mode …` (checked) before browsing.",
        ),
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="The agent (as for `agentctl exchange`).")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="user/obo on the embedded IdP: the user (as for `agentctl exchange`)."
        ),
    ] = None,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="Target audience (repeatable).")
    ] = None,
    resource: Annotated[
        list[str] | None, typer.Option("--resource", help="Target resource URL (repeatable).")
    ] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Scopes to ask for.")] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", metavar="TOKEN|@FILE|-", help="Use this token instead of --mode."),
    ] = None,
    inject: Annotated[
        str,
        typer.Option(
            "--inject",
            metavar="FORM[:OPTS]",
            help="How the app gets the token, confined to the URL's origin: header (what "
            "--emit playwright-python/-node do), cookie[:name=…], storage-state[:key=…,"
            "shape=raw|json|msal] (localStorage) or storage-script[:…,area=local|session]. "
            "Example: --inject storage-script:shape=msal,area=session.",
        ),
    ] = "header",
    wait_for: Annotated[
        str | None,
        typer.Option("--wait-for", metavar="CSS", help="Wait until this selector matches."),
    ] = None,
    select: Annotated[
        str | None,
        typer.Option("--select", metavar="CSS", help="Report the text of this element."),
    ] = None,
    screenshot: Annotated[
        str | None,
        typer.Option("--screenshot", metavar="FILE.png", help="Save a screenshot of the page."),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            click_type=click.Choice(("signed-in", "refused", "anonymous")),
            help="Demo app: exit 5 unless it shows this.",
        ),
    ] = None,
    browser: Annotated[
        str | None,
        typer.Option(
            "--browser",
            metavar="PATH",
            help="The Chromium to run. Default: $AGENTCTL_CHROMIUM, else chromium on PATH.",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the page.")
    ] = 20.0,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Open URL in the system's headless Chromium with the agent's token injected, and report
    what the app showed: title, a selector's text, a screenshot, and where the token went.

    Examples:
      agentctl browse http://127.0.0.1:8400/i/enterprise/app --mode agent --agent demo-agent
      agentctl browse http://127.0.0.1:8400/i/enterprise/app --mode obo --agent demo-agent
        --user alice --inject cookie --screenshot app.png

    On the embedded IdP's own origin the IdP is served on loopback for the visit when it is
    not running. Never downloads a browser. Exit codes: 0 the page loaded; 2 usage; 3 no
    Chromium; 5 --expect did not hold; 7 the page did not load.
    """
    from agentctl.chromium import Chromium, find_chromium
    from agentctl.output.browse import render_browse
    from agentctl.output.render import emit as render
    from agentctl.services.browse import (
        BrowseOptions,
        run_browse,
        serve_embedded_idp,
        validate,
    )

    options = BrowseOptions(
        url=url,
        inject=inject,
        wait_for=wait_for,
        select=select,
        screenshot=screenshot,
        expect=expect,
        timeout=timeout,
    )
    validate(options)
    if (token is None) == (mode is None):
        from agentctl.errors import UsageError

        raise UsageError(
            "give --mode agent|user|obo (with --agent) or --token, not both",
            hint="e.g. agentctl browse URL --mode agent --agent demo-agent",
        )
    executable = find_chromium(browser)  # before any exchange: no browser, nothing to do

    def get_token() -> Token:
        if token is not None:
            from agentctl.core.tokens import normalize
            from agentctl.services.browse import token_source
            from agentctl.services.inspect import read_token_text

            return token_source(normalize(read_token_text(token)))
        return _exchange(ctx, mode, agent, user, audience, resource, scope, profile)

    result = run_browse(
        options,
        token=get_token,
        browser=lambda seconds: Chromium(executable, timeout=seconds),
        serve_embedded=serve_embedded_idp,
    )
    render(result, json_out=json_out, human=render_browse)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def _exchange(
    ctx: typer.Context,
    mode: str | None,
    agent: str | None,
    user: str | None,
    audience: list[str] | None,
    resource: list[str] | None,
    scope: str | None,
    profile: str | None,
) -> Token:
    """A checked token from the exchange service, as `agentctl exchange --mode …` gets it."""
    from datetime import UTC, datetime

    from agentctl.cli.context import http_for
    from agentctl.cli.exchange import _password_source
    from agentctl.config.resolve import flag_from_context, resolve_settings
    from agentctl.services.browse import exchange_token
    from agentctl.services.exchange import (
        ExchangeOptions,
        Hooks,
        demo_password,
        run_exchange,
        validate,
        with_profile_defaults,
    )

    options = validate(
        ExchangeOptions(
            mode=mode,
            agent=agent,
            user=user,
            audience=tuple(audience or ()),
            resource=tuple(resource or ()),
            scope=scope,
            show_token=True,  # kept in memory for the browser; never printed here
        )
    )
    settings = resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))
    options = with_profile_defaults(options, settings)
    hooks = Hooks(
        password=_password_source(
            options.user, False, stored=lambda name: demo_password(settings, name)
        )
    )
    http = http_for(ctx, embedded=settings.profile.embedded, ca_bundle=settings.ca_bundle.value)
    with http:
        result = run_exchange(
            options, settings=settings, http=http, now=lambda: datetime.now(tz=UTC), hooks=hooks
        )
    return exchange_token(result)


def register(app: typer.Typer) -> None:
    """Add `browse` to the root app."""
    app.command("browse")(browse_command)


__all__ = ["browse_command", "register"]
