"""`agentctl doctor`: what the profile's IdP supports and what is wrong with the setup."""

from __future__ import annotations

import typer

from agentctl.cli.options import JsonOpt, ProfileOpt


def doctor_command(
    ctx: typer.Context, profile: ProfileOpt = None, json_out: JsonOpt = False
) -> None:
    """Check the profile and its IdP: metadata, grants, modes, clock skew, keyring.

    Exit 0 when nothing is wrong, 3 for a configuration problem, 7 when the IdP is unreachable.
    """
    from agentctl.cli.register import client_for
    from agentctl.config.resolve import flag_from_context, resolve_settings
    from agentctl.output.doctor import render_doctor
    from agentctl.output.render import emit
    from agentctl.services.doctor import run_doctor

    settings = resolve_settings(profile_flag=flag_from_context(ctx, "profile", profile))
    result = run_doctor(settings, lambda: client_for(ctx, settings))
    emit(result, json_out=json_out, human=render_doctor)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)


__all__ = ["doctor_command", "register"]
