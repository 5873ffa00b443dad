"""Usage rows into the database without ORM objects, one statement per batch: PostgreSQL gets the batch through
`COPY ... FROM STDIN` (psycopg's C copy; a multi-row INSERT of 200 x 34 parameters spends ~0.5 s of CPU in
psycopg's query parsing), SQLite through its C executemany on tuples that only the date and JSON columns pass
through their column type's converter (SQLAlchemy's executemany of dicts processes every value of every row:
28 against 21 CPU µs a row in bench/usage_write_bench.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Connection, Dialect, Table, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import Engine

from registry.tables import UsageRecord
from registry.usage_rows import COLUMNS, UsageRow, values

TABLE: Table = UsageRecord.__table__  # type: ignore[attr-defined]
COPY = f"COPY {TABLE.name} ({', '.join(COLUMNS)}) FROM STDIN"
Converter = Callable[[Any], Any]
_JSON = frozenset(c.name for c in TABLE.columns if c.type.__class__.__name__ == "JSON")


def insert_rows(engine: Engine, rows: list[UsageRow]) -> None:
    if not rows:
        return
    with engine.begin() as conn:
        _write(conn, rows)


def insert_missing(engine: Engine, rows: list[UsageRow]) -> int:
    """Insert the rows whose id is not stored yet (a spool replay after a half-finished write adds nothing twice)."""
    with engine.begin() as conn:
        present = set(conn.scalars(select(TABLE.c.id).where(TABLE.c.id.in_([r.id for r in rows]))))
        fresh = [r for r in rows if r.id not in present]
        if fresh:
            _write(conn, fresh)
    return len(fresh)


def _write(conn: Connection, rows: list[UsageRow]) -> None:
    if conn.dialect.name == "sqlite":
        statement, converters = _sqlite_insert(conn.dialect)
        conn.exec_driver_sql(statement, [tuple(convert(getattr(row, name)) if convert else getattr(row, name)
                                               for name, convert in converters) for row in rows])
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(TABLE), [values(r) for r in rows])
        return
    raw = conn.connection.driver_connection
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        with raw.cursor() as cursor, cursor.copy(COPY) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row([_copy_value(name, getattr(row, name)) for name in COLUMNS])
    except driver_error as exc:  # the driver's own error, raised as SQLAlchemy's (outage vs bad row is read there)
        raise DBAPIError.instance(COPY, None, exc, driver_error) from exc


@cache
def _sqlite_insert(dialect: Dialect) -> tuple[str, tuple[tuple[str, Converter | None], ...]]:
    """The positional INSERT and, per column, the converter its type applies on this dialect (None: as it is)."""
    statement = f"INSERT INTO {TABLE.name} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
    converters = tuple((name, TABLE.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in COLUMNS)
    return statement, converters


def _copy_value(name: str, value: object) -> object:
    if name in _JSON and value is not None:
        return orjson.dumps(value).decode()
    return value
