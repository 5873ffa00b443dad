"""Shared fixtures: the fake upstream, registry databases (SQLite and real PostgreSQL)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from sqlalchemy.engine import Engine  # noqa: E402

from registry.db import make_engine  # noqa: E402
from tests.support.fake_upstream import FakeUpstream, running_upstream  # noqa: E402
from tests.support.migrated import migrated_pg_database, migrated_sqlite  # noqa: E402
from tests.support.services import temporary_pg_database  # noqa: E402


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One empty PostgreSQL database for every test of the process that asks for it: only for tests that depend on
    nothing another test may have left there (whatever runs before them varies with the run's workers)."""
    with temporary_pg_database() as url:
        yield url


@pytest.fixture()
def upstream() -> Iterator[FakeUpstream]:
    with running_upstream() as up:
        yield up


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each registry test runs on SQLite and on the machine's PostgreSQL (a fresh database per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        with temporary_pg_database() as url:
            yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like `database_url`, but already at the head revision (a copy of a database migrated once per run)."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "registry.db")
    else:
        with migrated_pg_database() as url:
            yield url


@pytest.fixture()
def engine(migrated_url: str) -> Iterator[Engine]:
    """An engine on `migrated_url`, at the head revision (directories with their own `engine` fixture override it)."""
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()
