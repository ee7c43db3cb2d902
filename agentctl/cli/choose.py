"""`agentctl choose`: recommend a mode from a short questionnaire."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agentctl.cli.options import JsonOpt, ProfileOpt

AnswerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--answer",
        "-a",
        metavar="KEY=VALUE",
        help="Answer one question (repeatable; targets=api,mcp takes several values).",
    ),
]
AnswersFileOpt = Annotated[
    str | None,
    typer.Option(
        "--answers",
        metavar="FILE|-",
        help="Read answers from a JSON or TOML file, or '-' for stdin.",
    ),
]
InteractiveOpt = Annotated[
    bool | None,
    typer.Option(
        "--interactive/--no-interactive",
        help="Ask the unanswered questions. Default: ask when stdin is a terminal and no "
        "answers were given. --no-interactive takes defaults for unanswered questions.",
    ),
]


TableOpt = Annotated[
    bool,
    typer.Option(
        "--table",
        help="Show the decision table instead (the three modes side by side: permissions, "
        "audit trail, accountability, IdP setup, best for), the evolution path and what the "
        "profile's IdP supports; --answer idp=KIND picks another IdP.",
    ),
]
EPILOG = (
    "Examples:\n\n"
    "  agentctl choose                                  # asks, on a terminal\n\n"
    "  agentctl choose -a initiator=user -a attribution=required -a targets=api,mcp\n\n"
    "  agentctl choose --answers answers.toml --json\n\n"
    "  agentctl choose --table --answer idp=entra"
)


def choose(
    ctx: typer.Context,
    answer: AnswerOpt = None,
    answers: AnswersFileOpt = None,
    interactive: InteractiveOpt = None,
    table: TableOpt = False,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recommend a mode (user_scoped, hybrid_obo, agent_identity) from a short questionnaire:
    reasons, the trade-off, what your IdP can do, and the next commands to run. The commands
    are written for your profile (its agent, user and IdP) so they run as printed; `<…>` marks
    what only you know.

    Keys: initiator, user_present, user_could_do_it, beyond_user_permissions, spans_domains,
    attribution, multi_agent, decides, idp (default: your profile's IdP), targets.
    """
    from agentctl.config.resolve import flag_from_context
    from agentctl.errors import UsageError
    from agentctl.output.render import emit
    from agentctl.services import choose as service

    context = service.plan_context(flag_from_context(ctx, "profile", profile))
    if table:
        from agentctl.output.choose import render_table

        given = service.load_answers(answer or [], answers, read_stdin=_read_stdin)
        idp = given.get("idp")
        result = service.decision_table(idp if isinstance(idp, str) else None, context)
        emit(result, json_out=json_out, human=render_table)
        return

    flags = answer or []
    given_any = bool(flags) or answers is not None
    stdin_tty = _stdin_is_tty()
    ask_mode = interactive if interactive is not None else (stdin_tty and not given_any)
    if ask_mode and answers == "-":
        raise UsageError(
            "--answers - reads answers from stdin, so the prompts cannot read it too",
            hint="use --answers FILE, or drop --interactive",
        )
    if interactive is None and not given_any and not stdin_tty:
        raise UsageError(
            "no terminal to ask on and no answers given",
            hint="pass --answer KEY=VALUE (repeatable) or --answers FILE|-; "
            "--no-interactive takes every default, --interactive reads replies from stdin",
        )

    given = service.load_answers(flags, answers, read_stdin=_read_stdin)
    from agentctl.output.choose import Prompter, render

    prompter = Prompter(echo=not stdin_tty) if ask_mode else None
    result = service.choose(given, ask=prompter, ctx=context)
    if prompter is not None:
        prompter.done()

    emit(result, json_out=json_out, human=render)
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached stdin
        return False


def _read_stdin() -> bytes:
    from agentctl import files
    from agentctl.errors import InputError

    if sys.stdin is None:
        raise InputError("standard input is closed; nothing to read the answers from")
    # At most the cap + 1 bytes: `--answers - < /dev/zero` is refused, not read forever.
    return files.read_stream(sys.stdin, what="answers on stdin", limit=files.MAX_ANSWERS_FILE)


def register(app: typer.Typer) -> None:
    app.command("choose", epilog=EPILOG)(choose)


__all__ = ["choose", "register"]
