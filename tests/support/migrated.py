"""Databases already at the head revision, for tests that need the schema but do not test migrations.

Running every migration for every test cost about 0.5 s on PostgreSQL and 0.8 s on SQLite, hundreds of times a run.
Here the migrations run once per test process and backend, exactly as `warden db upgrade` runs them; each test then
gets a copy: SQLite through the backup API, PostgreSQL as `CREATE DATABASE ... TEMPLATE`. Tests of the migrations
themselves keep calling `registry.migrate.upgrade` on an empty database (the `database_url` fixture).
"""

from __future__ import annotations

import atexit
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from registry.migrate import upgrade
from tests.support.services import PG_ADMIN, require

_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_template: str | None = None


def _admin_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _sqlite_head() -> Path:
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            folder = Path(tempfile.mkdtemp(prefix="warden-migrated-"))
            path = folder / "head.db"
            upgrade(f"sqlite:///{path}")
            _sqlite_template = path
        return _sqlite_template


def migrated_sqlite(path: Path) -> str:
    """Write a database at the head revision to `path`; returns its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(_sqlite_head())
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return f"sqlite:///{path}"


def _drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # generated name, never user input


def _pg_head() -> str:
    global _pg_template
    with _lock:
        if _pg_template is None:
            require("127.0.0.1", 5432, "PostgreSQL")
            name = f"warden_head_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')  # generated name, never user input
            atexit.register(_drop, name)
            upgrade(_admin_url(name))
            _pg_template = name
        return _pg_template


@contextmanager
def migrated_pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database at the head revision for one test; dropped afterwards."""
    template = _pg_head()
    name = f"warden_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        # Generated names, never user input. Nothing stays connected to the template, so the copy cannot fail on it.
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _admin_url(name)
    finally:
        _drop(name)


def bring_to_head(url: str) -> None:
    """`upgrade(url)`, but a SQLite file that does not exist yet is written as a copy of the migrated one."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not Path(url[len(prefix):]).exists():
        migrated_sqlite(Path(url[len(prefix):]))
        return
    upgrade(url)
