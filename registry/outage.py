"""Which database errors mean "the database is away" (retry later, serve from cache, spool) rather than
"this statement or row is bad"."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

_OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError,
            ConnectionError, TimeoutError)


def is_outage(exc: BaseException) -> bool:
    """True when the database (or the way to it) failed, not the work: the same statement may succeed later."""
    return isinstance(exc, _OUTAGES)
