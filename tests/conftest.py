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
from registry.migrate import upgrade  # noqa: E402
from tests.support.fake_upstream import FakeUpstream, running_upstream  # noqa: E402
from tests.support.services import temporary_pg_database  # noqa: E402


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
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


@pytest.fixture()
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on `database_url`, migrated to head (directories with their own `engine` fixture override it)."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
