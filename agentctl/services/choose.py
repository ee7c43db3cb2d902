"""`agentctl choose`: gather answers (flags, a file, or prompts) and build the recommendation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agentctl.core import questionnaire as qn
from agentctl.errors import InputError
from agentctl.output.result import Result

# (question, 1-based position, number of questions) -> the answer
Asker = Callable[[qn.Question, int, int], qn.AnswerValue]

_MAX_FILE = 1 << 20  # an answers file is a few lines; refuse to slurp something huge


def load_answers(
    flags: Sequence[str],
    answers_file: str | None,
    *,
    read_stdin: Callable[[], bytes],
) -> dict[str, qn.AnswerValue]:
    """Answers from `--answers FILE|-` overlaid by `--answer KEY=VALUE` flags."""
    from_file: dict[str, qn.AnswerValue] = {}
    if answers_file is not None:
        if answers_file == "-":
            data = read_stdin()
        else:
            try:
                with Path(answers_file).open("rb") as fh:
                    data = fh.read(_MAX_FILE + 1)
            except OSError as exc:
                raise InputError(
                    f"cannot read answers file {answers_file}: {exc.strerror or exc}"
                ) from None
        if len(data) > _MAX_FILE:
            raise InputError(f"answers file is larger than {_MAX_FILE} bytes")
        from_file = qn.parse_document(data)
    return qn.merge(from_file, qn.parse_flags(flags))


def choose(given: Mapping[str, qn.AnswerValue], *, ask: Asker | None = None) -> Result:
    """Recommend a mode. With `ask`, every question not already answered is asked;
    without it, unanswered questions take their defaults and are reported as assumed."""
    answered = dict(given)
    if ask is not None:
        pending = [q for q in qn.QUESTIONS if q.key not in answered]
        for i, q in enumerate(pending, start=1):
            answered[q.key] = ask(q, i, len(pending))
    answers = qn.resolve(answered)
    rec = qn.recommend(answers)
    return Result(command=("choose",), data=to_data(rec, qn.plan(rec)))


def to_data(rec: qn.Recommendation, plan: qn.Plan) -> dict[str, Any]:
    """The JSON contract of `choose --json` (pinned by tests/test_choose_cli.py)."""
    trade = qn.TRADEOFFS[rec.recommended]
    return {
        "recommended": rec.recommended,
        "title": qn.MODE_TITLES[rec.recommended],
        "ranking": [
            {
                "mode": r.mode,
                "score": r.score,
                "reasons": list(r.reasons),
                "factors": [
                    {"answer": {f.key: f.value}, "points": f.points, "reason": f.reason}
                    for f in r.factors
                ],
            }
            for r in rec.ranking
        ],
        "answers": {
            key: {
                "value": list(a.value) if isinstance(a.value, tuple) else a.value,
                "assumed": a.assumed,
            }
            for key, a in rec.answers.items()
        },
        "assumed": [key for key, a in rec.answers.items() if a.assumed],
        "tradeoff": {
            "mode": rec.recommended,
            "who_the_token_is_for": trade.token_for,
            "who_acted": trade.who_acted,
            "permissions": trade.permissions,
            "audit_trail": trade.audit_trail,
            "accountability": trade.accountability,
            "idp_setup": trade.idp_setup,
            "best_for": trade.best_for,
        },
        "common_path": qn.COMMON_PATH,
        "idp": {
            "kind": plan.idp,
            "name": plan.idp_name,
            "mode": plan.mode,
            "support": str(plan.support),
            "maturity": plan.maturity,
            "flow": plan.flow,
            "claims": list(plan.claims),
            "alternative": plan.alternative,
            "run_mode": plan.run_mode,
        },
        "idp_notes": list(plan.idp_notes),
        "paths": [
            {
                "target": p.target,
                "summary": p.summary,
                "steps": list(p.steps),
                "notes": list(p.notes),
            }
            for p in plan.paths
        ],
        "next_commands": [{"command": c.command, "purpose": c.purpose} for c in plan.next_commands],
    }


__all__ = ["Asker", "choose", "load_answers", "to_data"]
