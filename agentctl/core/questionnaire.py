"""`agentctl choose`: the questionnaire's public face, one import for its callers.

Answers in, recommendation out, pure and deterministic. The work lives in smaller modules:
- `core.questions`: the questions, their options, defaults and why each matters;
- `core.answers`: validating answers from flags, answers files and typed replies;
- `core.scoring`: the `RULES` table and the ranking of the three modes;
- `core.tradeoffs`: mode titles and the trade-off table (design.md §1);
- `core.mode_plan`: what the chosen IdP can do for the mode, MCP/browser paths, next commands.
This module re-exports what the service, the renderer and the tests use, so they need not know
that layout. Background: design.md §1, protocols.md §0 and §11.2.
"""

from __future__ import annotations

from agentctl.core.answers import (
    Answer,
    Answers,
    Reply,
    interpret_reply,
    merge,
    normalize,
    parse_document,
    parse_flags,
    resolve,
)
from agentctl.core.mode_plan import NextCommand, Plan, TargetPath, plan
from agentctl.core.questions import (
    QUESTION_KEYS,
    QUESTIONS,
    AnswerValue,
    Option,
    Question,
    question,
)
from agentctl.core.scoring import RULES, Ranked, Recommendation, recommend
from agentctl.core.tradeoffs import COMMON_PATH, MODE_TITLES, TRADEOFFS, Tradeoff

__all__ = [
    "COMMON_PATH",
    "MODE_TITLES",
    "QUESTIONS",
    "QUESTION_KEYS",
    "RULES",
    "TRADEOFFS",
    "Answer",
    "AnswerValue",
    "Answers",
    "NextCommand",
    "Option",
    "Plan",
    "Question",
    "Ranked",
    "Recommendation",
    "Reply",
    "TargetPath",
    "Tradeoff",
    "interpret_reply",
    "merge",
    "normalize",
    "parse_document",
    "parse_flags",
    "plan",
    "question",
    "recommend",
    "resolve",
]
