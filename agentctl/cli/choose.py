"""`agentctl choose`: recommend a mode from a short questionnaire."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agentctl.cli.options import JsonOpt

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


def choose(
    answer: AnswerOpt = None,
    answers: AnswersFileOpt = None,
    interactive: InteractiveOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recommend a mode (user_scoped, hybrid_obo, agent_identity) from a short questionnaire:
    reasons, the trade-off, what your IdP can do, and the next commands to run.

    Keys: initiator, user_could_do_it, beyond_user_permissions, spans_domains, attribution,
    multi_agent, decides, idp, targets.
    """
    from agentctl.errors import UsageError
    from agentctl.output.render import emit
    from agentctl.services import choose as service

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
    result = service.choose(given, ask=prompter)
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
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        data: bytes = buffer.read()
        return data
    return sys.stdin.read().encode()


def register(app: typer.Typer) -> None:
    app.command("choose")(choose)


__all__ = ["choose", "register"]
