"""Governance tests run on SQLite and on PostgreSQL (a private schema per session; failing if PG is down)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from registry.db import make_engine
from registry.governance.tables import GOVERNANCE_TABLES
from registry.migrate import upgrade
from tests.support.migrated import migrated_sqlite

PG_URL = os.environ.get("WARDEN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    schema = f"gov_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, connect_args={"connect_timeout": 5})
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_schema: str) -> Iterator[Engine]:
    engine = create_engine(
        PG_URL, pool_size=8, connect_args={"connect_timeout": 5, "options": f"-csearch_path={pg_schema}"}
    )
    # The schema comes from the project's migrations, exactly as in production.
    upgrade(engine.url.set(query={"options": f"-csearch_path={pg_schema}"}).render_as_string(hide_password=False))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        sqlite = make_engine(migrated_sqlite(tmp_path / "gov.db"))
        yield sqlite
        sqlite.dispose()
        return
    pg: Engine = request.getfixturevalue("pg_engine")
    names = ", ".join(f'"{table.name}"' for table in GOVERNANCE_TABLES)
    with pg.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield pg
