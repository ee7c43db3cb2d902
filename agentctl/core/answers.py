"""Answers to the `choose` questions: validated from flags, answers files and typed replies.

Every way an answer arrives (`--answer KEY=VALUE`, a JSON or TOML answers file, a line typed at
a prompt) ends up as the same normalised value, so scoring never sees raw input. Parsing only:
the service reads files and stdin and hands the bytes in.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agentctl.core.questions import QUESTION_KEYS, QUESTIONS, AnswerValue, Question, question
from agentctl.errors import InputError


@dataclass(frozen=True)
class Answer:
    value: AnswerValue
    assumed: bool  # True when the default was taken because nobody answered

    def text(self) -> str:
        return ",".join(self.value) if isinstance(self.value, tuple) else self.value


Answers = Mapping[str, Answer]


def answer_values(answer: Answer) -> tuple[str, ...]:
    """The chosen option values, one or several, so rules can test membership either way."""
    return answer.value if isinstance(answer.value, tuple) else (answer.value,)


def _bad_value(q: Question, raw: object) -> InputError:
    shown = raw if isinstance(raw, str) else json.dumps(raw, default=str)[:60]
    return InputError(
        f"invalid value {shown!r} for {q.key}; valid values: {', '.join(q.values)}"
        + (" (several allowed, comma-separated)" if q.multi else "")
    )


def _one(q: Question, raw: object) -> str:
    if isinstance(raw, bool) and q.values == ("yes", "no"):
        return "yes" if raw else "no"
    if not isinstance(raw, str):
        raise _bad_value(q, raw)
    value = raw.strip().lower()
    if value not in q.values:
        raise _bad_value(q, raw)
    return value


def normalize(key: str, raw: object) -> AnswerValue:
    """Validate one answer. Multi-valued answers accept a list or a comma-separated string."""
    q = question(key)
    if not q.multi:
        return _one(q, raw)
    items: list[object]
    if isinstance(raw, str):
        items = [part for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise _bad_value(q, raw)
    if not items:
        raise _bad_value(q, raw)
    chosen = {_one(q, item) for item in items}
    return tuple(v for v in q.values if v in chosen)  # option order: stable output


def merge(*layers: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    """Later layers win (flags over a file)."""
    merged: dict[str, AnswerValue] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def parse_flags(flags: Sequence[str]) -> dict[str, AnswerValue]:
    """`--answer KEY=VALUE` items; a multi-valued key given several times accumulates."""
    out: dict[str, AnswerValue] = {}
    for flag in flags:
        key, sep, raw = flag.partition("=")
        key = key.strip().lower()
        if not sep:
            raise InputError(
                f"--answer {flag!r} is not KEY=VALUE; valid keys: {', '.join(QUESTION_KEYS)}"
            )
        value = normalize(key, raw)
        previous = out.get(key)
        if isinstance(value, tuple) and isinstance(previous, tuple):
            values = set(previous) | set(value)
            value = tuple(v for v in question(key).values if v in values)
        out[key] = value
    return out


def parse_document(data: bytes | str) -> dict[str, AnswerValue]:
    """An answers file: a JSON object or a TOML table of `key = value` (detected by content)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("answers file is not UTF-8 text (expected JSON or TOML)") from None
    else:
        text = data.removeprefix("\ufeff")
    stripped = text.strip()
    doc: object
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except (ValueError, RecursionError) as exc:
            raise InputError(f"answers file is not valid JSON: {_first_line(exc)}") from None
    else:
        try:
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
            # "[" opens a TOML table and a JSON array alike; say what is wrong with the array
            doc = _json_or_none(stripped) if stripped.startswith("[") else None
            if doc is None:
                raise InputError(
                    f"answers file is neither a JSON object nor TOML: {_first_line(exc)}"
                ) from None
    if not isinstance(doc, dict):
        raise InputError(
            'answers file must hold one object of answers, e.g. {"idp": "okta"}; '
            f"valid keys: {', '.join(QUESTION_KEYS)}"
        )
    unknown = [str(k) for k in doc if k not in QUESTION_KEYS]
    if unknown:
        raise InputError(
            f"unknown question {unknown[0]!r} in answers file; "
            f"valid keys: {', '.join(QUESTION_KEYS)}"
        )
    return {key: normalize(key, raw) for key, raw in doc.items()}


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:160]


def resolve(
    given: Mapping[str, AnswerValue], defaults: Mapping[str, AnswerValue] | None = None
) -> dict[str, Answer]:
    """Every question answered: given answers as they are, the rest defaulted and assumed.
    `defaults` overrides a question's own default (`idp`: the kind of the user's profile)."""
    for key in given:
        question(key)
    defaults = defaults or {}
    return {
        q.key: Answer(normalize(q.key, _raw(given[q.key])), False)
        if q.key in given
        else Answer(
            normalize(q.key, _raw(defaults[q.key])) if q.key in defaults else q.default, True
        )
        for q in QUESTIONS
    }


def _raw(value: AnswerValue) -> object:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Reply:
    """How one typed line answers a prompt: a value, a request for "why", or a complaint."""

    value: AnswerValue | None = None
    why: bool = False
    problem: str | None = None


def interpret_reply(q: Question, line: str) -> Reply:
    """Numbers or values pick options (several, comma- or space-separated, for multi);
    `?` asks why the question matters; an empty line takes the default."""
    text = line.strip().lower()
    if not text:
        return Reply(value=q.default)
    if text in {"?", "help", "why"}:
        return Reply(why=True)
    parts = [p for p in text.replace(",", " ").split() if p]
    if len(parts) > 1 and not q.multi:
        return Reply(problem=f"pick one option: 1-{len(q.options)} or a value")
    chosen: set[str] = set()
    for part in parts:
        if part.isdigit() and 1 <= int(part) <= len(q.options):
            chosen.add(q.options[int(part) - 1].value)
        elif part in q.values:
            chosen.add(part)
        else:
            return Reply(
                problem=f"{part[:40]!r} is not an option; type 1-{len(q.options)}, "
                f"one of {', '.join(q.values)}, ? for why, or Enter for the default"
            )
    if q.multi:
        return Reply(value=tuple(v for v in q.values if v in chosen))
    return Reply(value=chosen.pop())


__all__ = [
    "Answer",
    "Answers",
    "Reply",
    "answer_values",
    "interpret_reply",
    "merge",
    "normalize",
    "parse_document",
    "parse_flags",
    "resolve",
]
