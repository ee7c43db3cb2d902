"""NumericDate (RFC 7519 §2) as people read it: a UTC date and "expires in 4 min"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from agentctl.errors import InputError

# Year 1970 .. 9999: anything outside is not a date any IdP means.
_MAX_NUMERIC_DATE = 253_402_300_799


def numeric_date(value: Any) -> float | None:
    """The value as seconds since the epoch, or None when it is not a usable NumericDate."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or not 0 <= value <= _MAX_NUMERIC_DATE:  # NaN, negative, absurd
        return None
    return float(value)


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def iso(seconds: float) -> str:
    """`2026-11-29T07:51:31Z`."""
    return to_datetime(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(seconds: float) -> str:
    """A duration, rounded the way people say it: `45 s`, `4 min`, `3 h`, `2 d`."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h"
    if seconds < 2 * 365 * 86400:
        return f"{round(seconds / 86400)} d"
    return f"{round(seconds / (365.25 * 86400))} y"


def relative(seconds: float, now: datetime) -> str:
    """`in 4 min` or `3 h ago`."""
    delta = seconds - now.timestamp()
    return f"in {span(delta)}" if delta >= 0 else f"{span(delta)} ago"


def describe_exp(seconds: float, now: datetime) -> str:
    delta = seconds - now.timestamp()
    return f"expires in {span(delta)}" if delta > 0 else f"expired {span(delta)} ago"


def describe_nbf(seconds: float, now: datetime) -> str:
    delta = seconds - now.timestamp()
    return f"not valid for another {span(delta)}" if delta > 0 else f"valid since {span(delta)} ago"


def describe_iat(seconds: float, now: datetime) -> str:
    delta = seconds - now.timestamp()
    return f"issued {span(delta)} ago" if delta <= 0 else f"issued {span(delta)} in the future"


_RELATIVE = re.compile(r"([+-])\s*(\d{1,9})\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_instant(text: str, now: datetime) -> datetime:
    """`--at` values: `now`, epoch seconds, ISO 8601 (`2026-11-29T08:00:00Z`, a date), or an
    offset from now such as `+2h` or `-30m`."""
    value = text.strip()
    if value.lower() == "now":
        return now
    match = _RELATIVE.fullmatch(value)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return now + timedelta(seconds=sign * int(match.group(2)) * _UNITS[match.group(3)])
    if re.fullmatch(r"\d{1,11}(\.\d+)?", value):
        seconds = numeric_date(float(value))
        if seconds is not None:
            return to_datetime(seconds)
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InputError(
            f"cannot read {text!r} as a time",
            hint="use ISO 8601 (2026-11-29T08:00:00Z), epoch seconds, now, or +2h / -30m",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


__all__ = [
    "describe_exp",
    "describe_iat",
    "describe_nbf",
    "iso",
    "numeric_date",
    "parse_instant",
    "relative",
    "span",
    "to_datetime",
]
