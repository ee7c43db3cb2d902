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
    "mcp": "agentctl.cli.mcp",
    "register": "agentctl.cli.register",
    "agent": "agentctl.cli.agent",
    "choose": "agentctl.cli.choose",
    "demo": "agentctl.cli.demo",
    "doctor": "agentctl.cli.doctor",
    "browse": "agentctl.cli.browse",
    "profile": "agentctl.cli.profile",
    "idp": "agentctl.cli.idp",
    "token": "agentctl.cli.token",
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
        found = built.commands.get(name)
    else:
        built.name = name  # a lone command: Typer returns it directly, named after its function
        found = built
    if found is not None:
        _add_examples(found, (name,))
    return found


def _add_examples(command: click.Command, path: tuple[str, ...]) -> None:
    """Give every command an Examples epilog for `--help` (agentctl.cli.help_examples),
    unless it brings its own."""
    from agentctl.cli.help_examples import epilog

    own = command.epilog or "Example" in (command.help or "")
    if not own:
        command.epilog = epilog(path)
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            _add_examples(sub, (*path, sub_name))


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

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **kw: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **kw)
        except SystemExit as exc:  # `agentctl --help | head`: see _help_on_closed_pipe
            _help_on_closed_pipe(exc)
            raise
        except click.UsageError as exc:  # the root's own options: `agentctl --bogus`
            if isinstance(exc, click.exceptions.NoArgsIsHelpError):
                raise
            _usage(exc, "--json" in AgentctlGroup._argv)
            raise  # not reached: _usage raises

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        finally:
            # Flush here, where a reader that went away (`agentctl choose | head`) can be told
            # apart: click would turn the EPIPE into exit 1. The exit code stays the command's.
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                _silence_stdout()

    def _invoke(self, ctx: click.Context) -> Any:
        json_out = "--json" in AgentctlGroup._argv
        try:
            _require_text(AgentctlGroup._argv)
            return super().invoke(ctx)
        except AgentctlError as exc:
            _fail(exc.to_item(), exc.exit_code, json_out)
        except click.UsageError as exc:
            if isinstance(exc, click.exceptions.NoArgsIsHelpError):
                raise
            _usage(exc, json_out)
        except BrokenPipeError:
            _closed_pipe()
        except SystemExit as exc:  # `agentctl choose --help | head`
            _help_on_closed_pipe(exc)
            raise
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


def _require_text(argv: list[str]) -> None:
    """Arguments and AGENTCTL_* variables must be text. Bytes that are not UTF-8 reach Python
    as lone surrogates, which no file, database or terminal accepts; refuse them here, once,
    naming the culprit, rather than fail wherever one is first written."""
    from agentctl.errors import UsageError

    named = [(f"argument {i}", v) for i, v in enumerate(argv, start=1)]
    named += [(k, v) for k, v in os.environ.items() if k.startswith("AGENTCTL_")]
    for where, value in named:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            shown = value.encode("utf-8", "surrogateescape")
            raise UsageError(
                f"{where} is not UTF-8 text: {shown!r}",
                hint="pass names, URLs and paths as UTF-8",
            ) from None
        if "\x00" in value:
            raise UsageError(f"{where} contains a NUL byte", hint="remove it")


def _command_path() -> tuple[str, ...]:
    path = []
    for arg in AgentctlGroup._argv:
        if arg.startswith("-"):
            break
        path.append(arg)
        if len(path) == 2:
            break
    return tuple(path[:1]) if path and path[0] not in {"idp", "profile", "agent"} else tuple(path)


def _usage(exc: click.UsageError, json_out: bool) -> None:
    """A usage error in the house style: one line naming what is wrong and where help is,
    not click's five-line box."""
    where = exc.ctx.command_path if exc.ctx is not None else "agentctl"
    message = exc.format_message().rstrip(".")
    _fail(
        {"code": "usage", "message": message, "hint": f"see `{where} --help`"},
        ExitCode.USAGE,
        json_out,
    )


def _silence_stdout() -> None:
    """Point stdout at /dev/null so nothing more (not even the interpreter's last flush)
    fails on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # no real file descriptor behind stdout (tests)


def _help_on_closed_pipe(exc: SystemExit) -> None:
    """Typer prints help through its own rich console, whose answer to a closed pipe is to point
    stdout at /dev/null and exit 1. That exit, and only that one, becomes a quiet exit 0. (Not
    by patching rich at start-up: `agentctl inspect` must not import rich before it needs to.)"""
    if exc.code != 1:
        return
    try:
        if os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(os.devnull)):
            raise click.exceptions.Exit(0)
    except (OSError, ValueError, AttributeError):
        return


def _closed_pipe() -> None:
    """The reader went away mid-output: nothing left to say, nobody to say it to; exit 0."""
    _silence_stdout()
    raise click.exceptions.Exit(0)


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
    from agentctl import gcpolicy

    gcpolicy.short_lived()  # a command's imports are no reason to collect (agentctl.gcpolicy)
    if sys.argv[1:2] == ["__complete"]:
        # the completion scripts' name lister: no command tree, no error mapping, no output
        # on failure (agentctl.cli.complete_names)
        from agentctl.cli.complete_names import main as complete

        sys.exit(complete(sys.argv[2:]))
    try:
        app(prog_name="agentctl")
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    finally:
        _leave()


def _leave() -> None:
    """The command is done and the process about to end. Close its databases now (what their
    collection at exit would do), then take every object out of the cyclic collector's sight:
    the interpreter's final collections otherwise walk everything the imports made, several
    times (measured: `agentctl exchange`'s exit took ~35 ms that way, ~10 after; issue 16).
    Nothing else waits for the collector: files and clients are closed by their owners,
    stdout and stderr are flushed by the interpreter, atexit handlers still run."""
    import gc

    sqlitedb = sys.modules.get("agentctl.config.sqlitedb")
    if sqlitedb is not None:
        sqlitedb.close_every_db()
    gc.freeze()


__all__ = ["app", "main"]
