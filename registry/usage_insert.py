"""Usage rows into the database without ORM objects: one executemany per batch, which SQLAlchemy sends to
PostgreSQL as multi-row `INSERT ... VALUES (...), (...)` statements (`registry.db` turns that on) and to SQLite
through its C executemany."""

from __future__ import annotations

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Engine

from registry.tables import UsageRecord
from registry.usage_rows import UsageRow, values

TABLE: Table = UsageRecord.__table__  # type: ignore[attr-defined]


def insert_rows(engine: Engine, rows: list[UsageRow]) -> None:
    if not rows:
        return
    with engine.begin() as conn:
        conn.execute(insert(TABLE), [values(r) for r in rows])


def insert_missing(engine: Engine, rows: list[UsageRow]) -> int:
    """Insert the rows whose id is not stored yet (a spool replay after a half-finished write adds nothing twice)."""
    with engine.begin() as conn:
        present = set(conn.scalars(select(TABLE.c.id).where(TABLE.c.id.in_([r.id for r in rows]))))
        fresh = [r for r in rows if r.id not in present]
        if fresh:
            conn.execute(insert(TABLE), [values(r) for r in fresh])
    return len(fresh)
