"""What one `agentctl exchange` run produced: its steps, its tokens (explained with inspect's
model), its checks, and the error that stopped it, if any. JSON-ready through `to_dict`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agentctl.core import tokens as token_parser
from agentctl.core.checks import Check
from agentctl.core.explain import Explanation, explain
from agentctl.core.redact import fingerprint
from agentctl.errors import AgentctlError, InputError

MODES = ("agent", "user", "obo")


@dataclass
class Step:
    """One request (or one given input) on the way to the token."""

    name: str
    grant: str | None = None
    endpoint: str | None = None
    outcome: str = "ok"  # ok | error | given
    detail: str | None = None
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "grant": self.grant,
            "endpoint": self.endpoint,
            "outcome": self.outcome,
            "detail": self.detail,
            "error": self.error,
        }


@dataclass
class TokenInfo:
    """A token a run obtained, with its (unverified) explanation."""

    label: str
    raw: str = field(repr=False)
    token_type: str | None = None
    issued_token_type: str | None = None
    expires_in: int | None = None
    scope: str | None = None
    explanation: Explanation | None = None

    @property
    def payload(self) -> dict[str, Any]:
        parsed = _parse(self.raw)
        return dict(parsed.payload or {}) if parsed is not None else {}

    @property
    def header(self) -> dict[str, Any]:
        parsed = _parse(self.raw)
        return dict(parsed.header) if parsed is not None else {}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    def to_dict(self, *, show_token: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "fingerprint": self.fingerprint,
            "token_type": self.token_type,
            "issued_token_type": self.issued_token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "explanation": self.explanation.to_dict() if self.explanation else None,
        }
        if show_token:
            out["value"] = self.raw
        return out


def _parse(raw: str) -> token_parser.ParsedToken | None:
    try:
        return token_parser.parse(raw)
    except InputError:
        return None


def make_token(
    label: str,
    raw: str,
    *,
    now: datetime,
    token_type: str | None = None,
    issued_token_type: str | None = None,
    expires_in: int | None = None,
    scope: str | None = None,
) -> TokenInfo:
    parsed = _parse(raw)
    return TokenInfo(
        label=label,
        raw=raw,
        token_type=token_type,
        issued_token_type=issued_token_type,
        expires_in=expires_in,
        scope=scope,
        explanation=explain(parsed, now=now) if parsed is not None else None,
    )


@dataclass
class LabelledCheck:
    """A Check with the label of the token it was run on."""

    on: str  # the label of the token checked
    check: Check

    def to_dict(self) -> dict[str, Any]:
        return {**self.check.to_dict(), "token": self.on}


@dataclass
class Run:
    """One mode (or the ID-JAG path) from first request to checked token."""

    mode: str  # agent | user | obo | id-jag
    flow: str
    provider: str = ""
    steps: list[Step] = field(default_factory=list)
    tokens: list[TokenInfo] = field(default_factory=list)
    checks: list[LabelledCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: AgentctlError | None = None
    resource_view: dict[str, Any] | None = None

    @property
    def token(self) -> TokenInfo | None:
        return self.tokens[-1] if self.tokens else None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.check.ok for c in self.checks)

    @property
    def failed_checks(self) -> list[LabelledCheck]:
        return [c for c in self.checks if not c.check.ok]

    def add_checks(self, on: str, checks: list[Check]) -> None:
        self.checks.extend(LabelledCheck(on, c) for c in checks)

    def row(self) -> dict[str, Any]:
        """The side-by-side line of `--mode all`."""
        expl = self.token.explanation if self.token else None
        subject = expl.subject.label if expl and expl.subject else None
        actor = expl.actor.label if expl and expl.actor else None
        passed = sum(1 for c in self.checks if c.check.ok)
        return {
            "mode": self.mode,
            "flow": self.flow,
            "subject": subject,
            "actor": actor,
            "client": expl.client_id if expl else None,
            "audience": list(expl.audience) if expl else [],
            "scopes": list(expl.scopes) if expl else [],
            "lifetime": expl.times.summary if expl else None,
            "audit": expl.audit if expl else None,
            "checks": f"{passed}/{len(self.checks)}",
            "ok": self.ok,
            "error": self.error.message if self.error else None,
        }

    def to_dict(self, *, show_token: bool = False) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "flow": self.flow,
            "provider": self.provider,
            "ok": self.ok,
            "steps": [s.to_dict() for s in self.steps],
            "token": self.token.to_dict(show_token=show_token) if self.token else None,
            "tokens": [t.to_dict(show_token=show_token) for t in self.tokens],
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
            "resource_view": self.resource_view,
            "error": self.error.to_item() if self.error else None,
        }


__all__ = ["MODES", "LabelledCheck", "Run", "Step", "TokenInfo", "make_token"]
