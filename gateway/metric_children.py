"""Labelled metric children, looked up once per label values.

`labels()` stringifies and checks its values and takes the metric's lock on every call: a request that counts
itself in nine series paid that nine times. A series, once created, is the same child object until it is removed,
and Warden never removes one, so the child is kept here by metric and values.
"""

from __future__ import annotations

from typing import Any


class Children:
    """`children(metric, *values)` is `metric.labels(*values)`, memoised; one per metrics registry."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: dict[tuple[object, tuple[str, ...]], Any] = {}

    def __call__(self, metric: Any, *values: str) -> Any:
        key = (metric, values)
        child = self._found.get(key)
        if child is None:
            child = self._found[key] = metric.labels(*values)
        return child
