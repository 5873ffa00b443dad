"""A named API key for CLI tests: `warden models --actor` acts as a key, never as free text."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from registry.db import make_engine
from registry.keys import create_key
from registry.migrate import upgrade


def named_key(target: Engine | str, person: str, *, admin: bool = True, team: str | None = None) -> str:
    """Create a key held by `person` on an engine or a database URL; returns its id (what `--actor` takes)."""
    if isinstance(target, str):
        upgrade(target)
        engine = make_engine(target)
        try:
            return named_key(engine, person, admin=admin, team=team)
        finally:
            engine.dispose()
    row, _plain = create_key(target, team=team, role="admin" if admin else "team", person=person)
    return row.id
