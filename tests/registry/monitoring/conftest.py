"""Storage fixtures: every DB test runs on SQLite and on the real PostgreSQL (a fresh database per test, copied from
one migrated once per run: tests/support/migrated.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from registry.db import make_engine
from tests.support.migrated import migrated_pg_database, migrated_sqlite


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(migrated_sqlite(tmp_path / "monitor.db"))
        yield engine
        engine.dispose()
        return
    with migrated_pg_database() as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(migrated_sqlite(tmp_path / "monitor.db"))
    yield engine
    engine.dispose()
