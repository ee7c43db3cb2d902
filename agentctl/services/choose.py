"""`agentctl choose`: gather answers (flags, a file, or prompts) and build the recommendation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentctl.core import questionnaire as qn
from agentctl.core.mode_plan import EMBEDDED_MCP, PlanContext, ProfileInfo
from agentctl.core.tradeoffs import tradeoff_for
from agentctl.errors import InputError
from agentctl.output.result import Result

if TYPE_CHECKING:
    from agentctl.config.profiles import Profile

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
            from agentctl import files

            data = files.read_bytes(
                Path(answers_file).expanduser(), what="answers file", limit=_MAX_FILE
            )
        if len(data) > _MAX_FILE:
            raise InputError(f"answers file is larger than {_MAX_FILE} bytes")
        from_file = qn.parse_document(data)
    return qn.merge(from_file, qn.parse_flags(flags))


def plan_context(profile_flag: str | None = None) -> PlanContext:
    """What `choose` needs to print commands that run: the profile commands use by default
    (or --profile), the other profiles by kind, their default agents and users, and the
    embedded IdP's own MCP resource. Reads the config file only (no network)."""
    from agentctl.config import profiles as profiles_mod
    from agentctl.config.resolve import resolve_settings

    config = profiles_mod.load()
    settings = resolve_settings(profile_flag=profile_flag, config=config)
    current = _info(settings.profile, settings.name.value, settings.kind.value)
    current = replace(current, embedded=current.kind == "local" and not settings.issuer.value)
    others = tuple(
        _info(p, name, p.kind)
        for name, p in sorted(config.profiles.items())
        if name != current.name
    )
    mcp = EMBEDDED_MCP
    if current.kind == "local" and settings.issuer.value:
        # A served embedded IdP: its second issuer lives beside the first (…/i/mcp-as).
        base = settings.issuer.value.rstrip("/").rpartition("/i/")[0]
        if base:
            mcp = f"{base}/i/mcp-as/resource"
    return PlanContext(
        current=current,
        needs_flag=settings.name.source == "flag",
        others=others,
        mcp_resource=mcp,
    )


def _info(profile: Profile, name: str, kind: str) -> ProfileInfo:
    return ProfileInfo(
        name=name,
        kind=kind,
        agent=profile.agent,
        user=profile.user,
        embedded=kind == "local" and not profile.issuer,
    )


def idp_answer_default(ctx: PlanContext) -> str:
    """The `idp` question's default: the IdP of the profile the commands will run on."""
    current = ctx.current
    if current.kind == "oidc" and current.name in qn.question("idp").values:
        return current.name  # a `--kind oidc` profile named okta, keycloak or auth0
    return current.kind if current.kind in qn.question("idp").values else "oidc"


def choose(
    given: Mapping[str, qn.AnswerValue],
    *,
    ask: Asker | None = None,
    ctx: PlanContext | None = None,
) -> Result:
    """Recommend a mode. With `ask`, every question not already answered is asked;
    without it, unanswered questions take their defaults and are reported as assumed."""
    ctx = ctx or PlanContext()
    answered = dict(given)
    if ask is not None:
        pending = [q for q in qn.QUESTIONS if q.key not in answered]
        for i, q in enumerate(pending, start=1):
            answered[q.key] = ask(q, i, len(pending))
    answers = qn.resolve(answered, {"idp": idp_answer_default(ctx)})
    rec = qn.recommend(answers)
    return Result(command=("choose",), data=to_data(rec, qn.plan(rec, ctx), ctx))


def decision_table(idp: str | None = None, ctx: PlanContext | None = None) -> Result:
    """`agentctl choose --table`: design.md's decision table, one column per mode, with who
    acted and the audit trail as `idp` (default: the profile's) records them, the evolution
    path, and what that IdP supports and needs for each mode."""
    from agentctl.core.capabilities import EXCHANGE_MODE, MODES, capabilities_for
    from agentctl.core.tradeoffs import EVOLUTION, ID_JAG_VIEW, MODE_TITLES

    ctx = ctx or PlanContext()
    idp = idp or idp_answer_default(ctx)
    caps = capabilities_for(idp)
    trades = {m: tradeoff_for(idp, m) for m in MODES}
    labels = [label for label, _ in trades[MODES[0]].rows()]
    rows = [
        {
            "label": label,
            "values": {m: dict(trades[m].rows())[label] for m in MODES},
        }
        for label in labels
    ]
    found, needs_flag = ctx.for_idp(idp)
    flag = f" --profile {found.name if found else idp}" if needs_flag else ""
    support = {}
    for m in MODES:
        entry = caps.mode(m)
        support[m] = {
            "support": str(entry.support),
            "maturity": entry.maturity,
            "flow": entry.flow,
            "notes": list(entry.notes),
            "alternative": entry.alternative,
        }
    return Result(
        command=("choose",),
        data={
            "table": True,
            "modes": [
                {"mode": m, "title": MODE_TITLES[m], "exchange_mode": EXCHANGE_MODE[m]}
                for m in MODES
            ],
            "rows": rows,
            "evolution": [
                {
                    "mode": st.mode,
                    "title": MODE_TITLES[st.mode],
                    "when": st.when,
                    "change": st.change,
                    "command": f"agentctl exchange --mode {EXCHANGE_MODE[st.mode]}{flag}",
                }
                for st in EVOLUTION
            ],
            "common_path": qn.COMMON_PATH,
            "idp": {
                "kind": idp,
                "name": caps.name,
                "profile": found.name if found else None,
                "modes": support,
                "id_jag": {
                    "issuer": str(caps.id_jag.issuer),
                    "receiver": str(caps.id_jag.receiver),
                    "note": caps.id_jag.note,
                },
            },
            "id_jag_view": ID_JAG_VIEW,
        },
    )


def to_data(
    rec: qn.Recommendation, plan: qn.Plan, ctx: PlanContext | None = None
) -> dict[str, Any]:
    """The JSON contract of `choose --json` (pinned by tests/test_choose_cli.py)."""
    trade = tradeoff_for(plan.idp, rec.recommended)
    ctx = ctx or PlanContext()
    found, needs_flag = ctx.for_idp(plan.idp)
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
        "profile": {
            "name": found.name if found else None,
            "kind": found.kind if found else plan.idp,
            "configured": found is not None,
            "flag": needs_flag,
            "agent": found.agent if found else None,
            "user": found.user if found else None,
        },
    }


__all__ = [
    "Asker",
    "choose",
    "decision_table",
    "idp_answer_default",
    "load_answers",
    "plan_context",
    "to_data",
]
