"""Each case's cost, read from the usage row the gateway wrote for its request (the gateway prices calls; the
eval does not guess). Rows are written in batches, so the lookup waits briefly for the last ones."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlmodel import Session, select


def usage_costs(database_url: str, request_ids: Sequence[str], wait_s: float = 5.0) -> dict[str, float]:
    from registry.db import make_engine
    from registry.tables import UsageRecord

    wanted = set(request_ids)
    found: dict[str, float] = {}
    engine = make_engine(database_url)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            with Session(engine) as session:
                query = select(UsageRecord.request_id, UsageRecord.cost_usd).where(
                    UsageRecord.request_id.in_(sorted(wanted - set(found))))  # type: ignore[attr-defined]
                for request_id, cost in session.exec(query):
                    found[request_id] = float(cost or 0.0)
            if set(found) >= wanted or time.monotonic() > deadline:
                return found
            time.sleep(0.2)
    finally:
        engine.dispose()
