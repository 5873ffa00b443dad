"""Usage rows written as plain values: the row type matches the table, and a batch is one statement (COPY on
PostgreSQL, one executemany on SQLite), JSON and all."""

from __future__ import annotations

from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine

from registry.tables import UsageRecord
from registry.usage_insert import TABLE, insert_missing, insert_rows
from registry.usage_rows import COLUMNS, UsageRow, as_row, decode, encode, values


def test_usage_row_has_exactly_the_table_columns() -> None:
    assert set(COLUMNS) == {c.name for c in TABLE.columns}


def test_a_record_converts_to_a_row_with_the_same_values() -> None:
    record = UsageRecord(request_id="r1", team="alpha", prompt_tokens=3, guardrails=[{"guardrail": "pii"}])
    row = as_row(record)
    assert (row.id, row.request_id, row.team, row.prompt_tokens, row.guardrails) == (
        record.id, "r1", "alpha", 3, [{"guardrail": "pii"}])
    assert decode(encode(row)) == row


def test_a_batch_is_one_statement_and_replays_add_nothing_twice(engine: Engine) -> None:
    rows = [UsageRow(request_id=f"r{i}", team="alpha", cost_usd=0.5, guardrails=[{"guardrail": "pii"}])
            for i in range(250)]
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        insert_rows(engine, rows)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # SQLite: one executemany; PostgreSQL: COPY on the driver's connection, no INSERT at all.
    assert len(statements) == (0 if engine.dialect.name == "postgresql" else 1)
    assert insert_missing(engine, rows[:10] + [UsageRow(request_id="late")]) == 1
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(TABLE)) == 251
        assert conn.scalar(select(func.sum(TABLE.c.cost_usd))) == 125.0
        stored = conn.execute(select(TABLE.c.guardrails).where(TABLE.c.request_id == "r7")).scalar_one()
    assert stored == [{"guardrail": "pii"}]


def test_the_batch_path_stores_what_sqlalchemys_insert_stores(engine: Engine) -> None:
    """Raw column values, read back without type processing: dates, JSON (null included), booleans, floats."""
    shapes = [dict(), dict(stream=True, cache_hit=True, cost_known=False, cost_usd=1e-7, latency_ms=3.25,
                           guardrails=[{"guardrail": "pii", "action": "mask"}], policy={"class": "internal"},
                           chunks_cited=["a", "b"], end_user="ü-ser", prompt_tokens=7)]
    fast = [UsageRow(request_id=f"fast{i}", **shape) for i, shape in enumerate(shapes)]
    plain = [UsageRow(request_id=f"plain{i}", created_at=row.created_at, **shape)
             for i, (row, shape) in enumerate(zip(fast, shapes))]
    insert_rows(engine, fast)
    with engine.begin() as conn:
        conn.execute(insert(TABLE), [values(r) for r in plain])
    columns = ", ".join(name for name in COLUMNS if name not in ("id", "request_id"))
    with engine.connect() as conn:
        stored = {row[0]: row[1:] for row in conn.exec_driver_sql(
            f"SELECT request_id, {columns} FROM usage ORDER BY request_id")}
    assert stored["fast0"] == stored["plain0"] and stored["fast1"] == stored["plain1"]
    assert stored["fast0"] != stored["fast1"]
