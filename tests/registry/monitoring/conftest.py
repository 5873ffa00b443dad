"""Storage fixtures: every DB test runs on SQLite and on the real PostgreSQL (a private schema per test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url

from registry.db import make_engine
from registry.migrate import upgrade

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_engine(schema: str) -> Engine:
    engine = make_engine(PG_URL)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection: object, _record: object) -> None:
        # The schema name is generated below from hex digits only, so it is safe to inline.
        dbapi_connection.autocommit = True  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"SET search_path TO {schema}")
        cursor.close()
        dbapi_connection.autocommit = False  # type: ignore[attr-defined]

    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        upgrade(f"sqlite:///{tmp_path / 'monitor.db'}")
        engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"monitor_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = _pg_engine(schema)
    try:
        # The schema comes from the project's migrations, exactly as in production.
        upgrade(make_url(PG_URL).set(query={"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False))
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    upgrade(f"sqlite:///{tmp_path / 'monitor.db'}")
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield engine
    engine.dispose()
