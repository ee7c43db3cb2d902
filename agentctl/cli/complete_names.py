"""`agentctl __complete KIND [WORD] [--profile NAME]`: the names a shell completes, one a line.

Called by the completion scripts in completions/ on every Tab press that needs a name the
command tree cannot know: agents, profiles, example tokens, `choose` answer keys and values.
It runs before Typer builds any command (see agentctl.cli.app.main), reads only local files
(no IdP is contacted, nothing is created), and never fails noisily: on any problem it prints
nothing and exits 0, so a Tab press never shows a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

KINDS = ("agents", "profiles", "examples", "answers")


def _profiles(_word: str, _profile: str | None) -> list[str]:
    from agentctl.config import paths, profiles

    if not paths.config_file().exists():
        return ["local"]
    return sorted({"local", *profiles.load().profiles})


def _agents(_word: str, profile: str | None) -> list[str]:
    from agentctl.config import statedb

    path = statedb.db_path()
    if not path.exists():  # never create the database just to list nothing
        return []
    sql = "SELECT DISTINCT name FROM agents WHERE client_id IS NOT NULL"
    params: list[str] = []
    if profile:
        sql += " AND profile = ?"
        params.append(profile)
    db = statedb.StateDb.shared(path)
    return sorted(str(row["name"]) for row in db.rows(sql + " ORDER BY name", params))


def _examples(_word: str, _profile: str | None) -> list[str]:
    folder = Path(__file__).resolve().parent.parent / "examples"
    return sorted(p.stem for p in folder.glob("*.jwt"))


def _answers(word: str, _profile: str | None) -> list[str]:
    """`key=` for every question; `key=value` once the key is typed (comma lists for the
    questions that take several values complete the last item)."""
    from agentctl.core.questions import QUESTIONS

    key, eq, value = word.partition("=")
    if not eq:
        return [f"{q.key}=" for q in QUESTIONS]
    question = next((q for q in QUESTIONS if q.key == key), None)
    if question is None:
        return []
    done, _, _last = value.rpartition(",")
    head = f"{key}={done}," if done else f"{key}="
    return [head + v for v in question.values]


LISTERS: dict[str, Callable[[str, str | None], list[str]]] = {
    "agents": _agents,
    "profiles": _profiles,
    "examples": _examples,
    "answers": _answers,
}


def main(argv: list[str]) -> int:
    """Print the candidates starting with WORD; exit 0 whatever happens."""
    try:
        args = list(argv)
        profile = None
        if "--profile" in args:
            i = args.index("--profile")
            profile = args[i + 1] if i + 1 < len(args) else None
            del args[i : i + 2]
        if not args or args[0] not in LISTERS:
            return 0
        word = args[1] if len(args) > 1 else ""
        names = [n for n in LISTERS[args[0]](word, profile) if n.startswith(word)]
        sys.stdout.write("".join(f"{n}\n" for n in names))
        sys.stdout.flush()
    except Exception:  # a Tab press must never print a traceback
        return 0
    return 0


__all__ = ["KINDS", "LISTERS", "main"]
