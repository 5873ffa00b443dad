"""Usage rows written as plain values: the row type matches the table, and a batch is one statement (COPY on
PostgreSQL, one executemany on SQLite), JSON and all."""

from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from registry.tables import UsageRecord
from registry.usage_insert import TABLE, insert_missing, insert_rows
from registry.usage_rows import COLUMNS, UsageRow, as_row, decode, encode


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
