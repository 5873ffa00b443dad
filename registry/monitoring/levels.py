"""Alert levels, ordered: Info < Warning < Critical < Emergency."""

from __future__ import annotations

from enum import Enum


class Level(str, Enum):
    """How bad a finding is; `NONE` means nothing to report."""

    NONE = "none"
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return _ORDER[self]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank


_ORDER = {Level.NONE: 0, Level.INFO: 1, Level.WARNING: 2, Level.CRITICAL: 3, Level.EMERGENCY: 4}


def worst(levels: list[Level]) -> Level:
    """The highest level of a list (NONE when empty)."""
    return max(levels, key=lambda level: level.rank, default=Level.NONE)
