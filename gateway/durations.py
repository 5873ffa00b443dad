"""Durations written the short way: `90s`, `15m`, `12h`, `7d`, `4w`."""

from __future__ import annotations

import re
from datetime import timedelta

_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"invalid duration {text!r}: write a number and a unit, e.g. 30d, 12h, 15m")
    value, unit = float(match.group(1)), match.group(2)
    if value <= 0:
        raise ValueError(f"invalid duration {text!r}: it must be positive")
    return timedelta(**{_UNITS[unit]: value})
