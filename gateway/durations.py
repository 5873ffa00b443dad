"""Durations written the short way: `90s`, `15m`, `12h`, `7d`, `4w`."""

from __future__ import annotations

import re
from datetime import timedelta

_PATTERN = re.compile(r"^\s*(\d{1,12}(?:\.\d{1,9})?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_DURATION = timedelta(days=100 * 366)
"""Longer than any key's life or report's window, and far below what `datetime` can subtract from now."""


def parse_duration(text: str) -> timedelta:
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"invalid duration {text[:40]!r}: write a number and a unit, e.g. 30d, 12h, 15m")
    value, unit = float(match.group(1)), match.group(2)
    if value <= 0:
        raise ValueError(f"invalid duration {text!r}: it must be positive")
    try:
        duration = timedelta(**{_UNITS[unit]: value})
    except OverflowError:
        duration = MAX_DURATION * 2
    if duration > MAX_DURATION:
        raise ValueError(f"invalid duration {text!r}: at most {MAX_DURATION.days} days")
    return duration
