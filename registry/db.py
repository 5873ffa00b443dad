"""The registry database: one engine per process, SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from registry.db_sqlite import configure_sqlite

DEFAULT_URL = "sqlite:///warden.db"
POOL_SIZE = 5
POOL_OVERFLOW = 5
"""Per process: request-path reads (key cache misses, budget seeding) and the one usage writer run in threads;
ten connections cover them, and `workers x 10` must stay under PostgreSQL's `max_connections` (100 by default)."""


def normalise_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str = DEFAULT_URL) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        configure_sqlite(engine)  # whole units of work, writers in turn (registry/db_sqlite.py)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                         connect_args={"connect_timeout": 5})


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
