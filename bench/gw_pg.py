"""PostgreSQL plumbing for the benches: a throw-away database per run, its usage row count, and the CPU its
server backends use (PostgreSQL runs on the same machine, so its share of the cores is part of the cost).

The server is the shared one on 127.0.0.1:5432 (trust authentication); only databases created here are dropped.
"""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from gw_procs import process_cpu_s

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def database_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def create_database(prefix: str) -> str:
    """A new empty database named ``prefix`` plus a random suffix, so runs and engines never share one."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # the name is ours, not input: identifiers cannot be bound
    admin.dispose()
    return name


def drop_database(name: str) -> None:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def usage_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM usage")) or 0)


def backend_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds so far of each server backend connected to ``engine``'s database, the asking one excepted."""
    query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    with engine.connect() as conn:
        pids = [int(pid) for pid in conn.scalars(query)]
    return {pid: process_cpu_s(pid) for pid in pids}


def backend_cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the backends used from one reading of ``backend_cpu`` to a later one; a backend that started
    meanwhile counts in full, one that ended meanwhile is lost (a server's pool keeps its connections)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
