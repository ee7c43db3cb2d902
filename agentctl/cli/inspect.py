"""`agentctl inspect TOKEN|-|@FILE`: explain any agent token."""

from __future__ import annotations

from typing import Annotated

import click
import typer

from agentctl.cli.options import JsonOpt, ShowTokenOpt


def _example_names(incomplete: str) -> list[str]:
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "examples"
    return sorted(p.stem for p in folder.glob("*.jwt") if p.stem.startswith(incomplete))


def inspect_command(
    token: Annotated[
        str | None,
        typer.Argument(
            metavar="TOKEN",
            help="The token, - to read stdin, or @FILE. A 'Bearer ' prefix, an "
            "'Authorization:' header line, quotes and whitespace are tolerated.",
            show_default=False,
        ),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option(
            "--example",
            metavar="NAME",
            help="Inspect a shipped example token (user, obo, agent, entra-obo, entra-agent, "
            "okta-chain, id-jag, ...) instead of TOKEN.",
            autocompletion=_example_names,
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Check signature, iss, aud, exp and nbf (exit 4 if not). Implied by --jwks, "
            "--key, --issuer and --audience.",
        ),
    ] = False,
    jwks: Annotated[
        str | None,
        typer.Option("--jwks", metavar="FILE|URL", help="Verify with this JWKS (file or URL)."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", metavar="PEM", help="Verify with this PEM public key or cert."),
    ] = None,
    issuer: Annotated[
        str | None,
        typer.Option(
            "--issuer",
            help="Require this iss; implies --verify (keys discovered from this issuer unless "
            "--jwks/--key).",
        ),
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option(
            "--audience",
            help="Require aud to include this value (repeatable); implies --verify (keys from "
            "the token's issuer unless --jwks/--key).",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help="Evaluate times at TIME: ISO 8601, epoch seconds, now, +2h, -30m.",
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            click_type=click.Choice(["high", "medium", "low", "info"]),
            help="CI gate: exit 5 when a finding at or above SEVERITY (high, medium, low, "
            "info) is present; the report is written either way.",
        ),
    ] = None,
    show_token: ShowTokenOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Explain a token: kind, dialect, who acted for whom, mode, delegation chain, audit line,
    every claim and findings. Nothing is sent anywhere unless --verify needs the issuer's keys.

    TOKEN is the token itself, - to read it from stdin, or @FILE. A "Bearer " prefix, an
    "Authorization:" header line, quotes and whitespace are tolerated. --issuer and --audience
    imply --verify. Exit codes: 0 explained (and verified, with --verify); 2 not a readable
    token; 4 verification failed; 5 a finding at or above --fail-on; 7 the keys could not be
    fetched."""
    from datetime import UTC, datetime

    from agentctl.core.transport_rules import has_credentials, without_credentials
    from agentctl.errors import InputError
    from agentctl.output.inspect import emit_inspect
    from agentctl.services.inspect import InspectRequest, inspect_token

    if example is not None and token is not None:
        raise InputError("give either TOKEN or --example, not both")
    if jwks is not None and key is not None:
        raise InputError("give either --jwks or --key, not both")
    for flag, url in (("--issuer", issuer), ("--jwks", jwks)):
        if url is not None and has_credentials(url):
            raise InputError(
                f"{flag} {without_credentials(url)} embeds credentials (user:password@)",
                hint="remove them; an issuer or key set URL never carries a password",
            )
    request = InspectRequest(
        token=token,
        example=example,
        at=at,
        # A requirement on iss or aud means nothing on an unverified token (anyone can write
        # any claim), so asking for one asks for verification, as --jwks and --key do.
        verify=verify
        or jwks is not None
        or key is not None
        or issuer is not None
        or bool(audience),
        jwks=jwks,
        key=key,
        issuer=issuer,
        audiences=list(audience or []),
        show_token=show_token,
    )
    result = inspect_token(request, wall=datetime.now(tz=UTC))
    if fail_on is not None:
        from agentctl.services.inspect_gate import apply_fail_on

        result = apply_fail_on(result, fail_on)
    emit_inspect(result, json_out=json_out)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def register(app: typer.Typer) -> None:
    """Add `inspect` to the root app."""
    app.command("inspect")(inspect_command)


__all__ = ["inspect_command", "register"]
