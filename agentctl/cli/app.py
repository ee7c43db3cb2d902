"""The root command. The one place where errors become output and an exit code."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from typing import Any

import click
import typer
from typer.core import TyperGroup

from agentctl import __version__
from agentctl.errors import AgentctlError
from agentctl.exit_codes import ExitCode

# Each module exposes `register(app)` adding one top-level command (or group) named as the key.
# Modules are imported only when their command runs (or for --help and completion), so
# `agentctl inspect` does not pay for building every other command, nor for httpx, msal,
# keyring or Flask.
COMMAND_MODULES = {
    "inspect": "agentctl.cli.inspect",
    "exchange": "agentctl.cli.exchange",
    "register": "agentctl.cli.register",
    "agent": "agentctl.cli.agent",
    "choose": "agentctl.cli.choose",
    "demo": "agentctl.cli.demo",
    "doctor": "agentctl.cli.doctor",
    "profile": "agentctl.cli.profile",
    "idp": "agentctl.cli.idp",
}


@functools.cache
def _load_command(name: str) -> click.Command | None:
    module = COMMAND_MODULES.get(name)
    if module is None or importlib.util.find_spec(module) is None:
        return None
    holder = typer.Typer(add_completion=False)
    importlib.import_module(module).register(holder)
    built = typer.main.get_command(holder)
    if isinstance(built, click.Group):
        return built.commands.get(name)
    built.name = name  # a lone command: Typer returns it directly, named after its function
    return built


class AgentctlGroup(TyperGroup):
    """Maps the AgentctlError tree (and Ctrl-C, and surprises) to output and exit codes."""

    _argv: list[str] = []  # noqa: RUF012 - set per invocation in main()

    def main(self, args: Any = None, prog_name: str | None = None, *a: Any, **kw: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        AgentctlGroup._argv = argv
        return super().main(argv, prog_name or "agentctl", *a, **kw)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = {n for n in COMMAND_MODULES if _load_command(n) is not None}
        return [n for n in COMMAND_MODULES if n in names]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return _load_command(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        json_out = "--json" in AgentctlGroup._argv
        try:
            return super().invoke(ctx)
        except AgentctlError as exc:
            _fail(exc.to_item(), exc.exit_code, json_out)
        except click.UsageError as exc:
            if not json_out:
                raise
            _fail({"code": "usage", "message": exc.format_message()}, ExitCode.USAGE, True)
        except (KeyboardInterrupt, click.Abort):
            _fail({"code": "interrupted", "message": "interrupted"}, ExitCode.INTERRUPTED, json_out)
        except (click.exceptions.Exit, click.ClickException, typer.Exit):
            raise
        except Exception as exc:
            if os.environ.get("AGENTCTL_DEBUG"):
                raise
            _fail(
                {
                    "code": "internal",
                    "message": f"internal error ({type(exc).__name__}): {exc}",
                    "hint": "a bug in agentctl; rerun with AGENTCTL_DEBUG=1 for a traceback",
                },
                ExitCode.ERROR,
                json_out,
            )


def _command_path() -> tuple[str, ...]:
    path = []
    for arg in AgentctlGroup._argv:
        if arg.startswith("-"):
            break
        path.append(arg)
        if len(path) == 2:
            break
    return tuple(path[:1]) if path and path[0] not in {"idp", "profile", "agent"} else tuple(path)


def _fail(item: dict[str, Any], code: int, json_out: bool) -> None:
    from agentctl.output.render import emit_error

    emit_error(item, command=_command_path(), exit_code=code, json_out=json_out)
    raise click.exceptions.Exit(int(code))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentctl {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=AgentctlGroup,
    name="agentctl",
    help="Identity provisioning and debugging for AI agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """agentctl: register agent identities, run user-scoped, on-behalf-of and agent token
    exchanges, and explain any agent token."""


def main() -> None:
    """Console-script entry point."""
    app(prog_name="agentctl")


__all__ = ["app", "main"]
