"""Usage rows per second into PostgreSQL (or SQLite): the writer's batch insert (plain values; one COPY per batch
on PostgreSQL, one executemany on SQLite) against the ORM insert it replaced (a `UsageRecord` per row, `add_all`).

    PYTHONPATH=. .venv/bin/python bench/usage_write_bench.py [--rows 20000] [--batch 200] [--url sqlite:///x.db]

Without --url a temporary PostgreSQL database is created on 127.0.0.1:5432 and dropped afterwards. Reports rows/s
(wall) and the writer thread's CPU microseconds per row (what the GIL-holding Python work costs the event loop).
"""

from __future__ import annotations

import argparse
import time
import uuid

from sqlalchemy import create_engine, text
from sqlmodel import Session

from registry.db import make_engine
from registry.migrate import upgrade
from registry.tables import UsageRecord
from registry.usage_insert import insert_rows
from registry.usage_rows import UsageRow

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _orm_insert(engine: object, rows: list[UsageRow]) -> None:
    with Session(engine) as session:  # type: ignore[arg-type]
        session.add_all([UsageRecord(**{k: getattr(r, k) for k in r.__slots__}) for r in rows])
        session.commit()


def _rows(n: int) -> list[UsageRow]:
    return [UsageRow(request_id=f"req_{i}", team="bench", key_id="k1", requested_model="bench-model",
                     served_model="bench-model", deployment="d1", provider="openai", prompt_tokens=20,
                     completion_tokens=8, cost_usd=0.0001, latency_ms=1.2, upstream_ms=0.4, overhead_ms=0.8,
                     attempts=1) for i in range(n)]


def measure(url: str, rows: int, batch: int) -> dict[str, dict[str, float]]:
    upgrade(url)
    engine = make_engine(url)
    out = {}
    for name, write in (("orm (before)", _orm_insert), ("copy / executemany (after)", insert_rows)):
        data = _rows(rows)
        wall, cpu = time.perf_counter(), time.thread_time()
        for start in range(0, rows, batch):
            write(engine, data[start:start + batch])
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        out[name] = {"rows_per_s": round(rows / wall), "cpu_us_per_row": round(cpu * 1e6 / rows, 1)}
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--url")
    args = parser.parse_args()
    name = None
    url = args.url
    if url is None:
        name = f"warden_usage_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        for label, figures in measure(url, args.rows, args.batch).items():
            print(f"{label:28s} {figures['rows_per_s']:>8} rows/s  {figures['cpu_us_per_row']:>6} CPU us/row "
                  f"({args.rows} rows, batches of {args.batch})")
    finally:
        if name is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
