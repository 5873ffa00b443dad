"""Where guardrail classes are found: the `warden.guardrails` entry-point group.

Built-in guardrails are declared in this project's own `pyproject.toml` under that group, the same way a
third-party package declares its own, so both load through one path.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from guardrails.base import Guardrail

ENTRY_POINT_GROUP = "warden.guardrails"


class UnknownGuardrailError(LookupError):
    pass


_extra: dict[str, type[Guardrail]] = {}


def register(cls: type[Guardrail]) -> type[Guardrail]:
    """Register a guardrail class at run time (tests, embedding applications)."""
    _extra[cls.name] = cls
    return cls


@lru_cache(maxsize=1)
def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    return sorted(set(_entry_points()) | set(_extra))


def get(name: str) -> type[Guardrail]:
    if name in _extra:
        return _extra[name]
    ep = _entry_points().get(name)
    if ep is None:
        raise UnknownGuardrailError(f"unknown guardrail {name!r}; available: {', '.join(available())}")
    cls = ep.load()  # type: ignore[attr-defined]
    if not (isinstance(cls, type) and issubclass(cls, Guardrail)):
        raise UnknownGuardrailError(f"entry point {name!r} does not name a Guardrail subclass")
    return cls
