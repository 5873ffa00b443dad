"""Transactions on SQLite: whole units of work, writers that wait their turn, no self-deadlock.

The sqlite3 module would open transactions itself, late (before the first INSERT/UPDATE/DELETE), and a SAVEPOINT
issued before that starts a transaction its RELEASE commits: a governance call failing after a nested step kept
half its writes. So the driver's handling is off (`isolation_level = None`) and SQLAlchemy's "begin" event emits
the BEGIN (SQLAlchemy's documented recipe for pysqlite).

The BEGIN is IMMEDIATE: it takes the write lock at once, waiting up to the busy timeout while another writer
holds it. A deferred BEGIN that read first and wrote later fails at once instead (SQLITE_BUSY_SNAPSHOT, a 503)
when another writer committed in between: in WAL mode waiting cannot refresh a stale snapshot, so SQLite does not
wait. One exception: a transaction begun while the same thread already has one open on this engine (a read
helper called inside a governance call, e.g. the decommission check's usage lookup) begins deferred. It would
otherwise wait on the lock its own caller holds until the busy timeout; deferred, it reads a snapshot and never
waits on a writer.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


def configure_sqlite(engine: Engine) -> None:
    """Pragmas on every new connection, and the BEGIN policy above."""
    event.listen(engine, "connect", _pragmas)
    event.listen(engine, "begin", _OpenTransactions().begin)


def _pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


class _OpenTransactions:
    """The connections each thread began a transaction on (weakly held), asked whether any is still open.

    Asking the connections themselves, rather than counting begins and ends, cannot drift: a session that ends in
    another thread, or a connection dropped without a rollback, simply no longer reports a transaction.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def begin(self, connection: Connection) -> None:
        mine: list[weakref.ref[Connection]] = getattr(self._local, "connections", [])
        alive = [ref for ref in mine if _open_elsewhere(ref(), connection)]
        connection.exec_driver_sql("BEGIN" if alive else "BEGIN IMMEDIATE")
        self._local.connections = [*alive, weakref.ref(connection)]


def _open_elsewhere(other: Connection | None, connection: Connection) -> bool:
    return other is not None and other is not connection and other.in_transaction()
