"""A registry call is one unit of work on every backend: when a later step fails, what the earlier steps wrote
(including inside a savepoint) is rolled back. On SQLite the driver's own transaction handling used to commit at the
first savepoint's release, leaving a registered model behind a failed command."""

from __future__ import annotations

import pytest

from registry.db import make_engine, session_scope
from registry.governance import ModelIn, inventory
from registry.governance.errors import NotFound
from registry.governance.types import Actor
from registry.migrate import upgrade

ADMIN = Actor(name="ops", admin=True)
MODEL = ModelIn(name="scorer", kind="classical", owner="ana", team="risk", use_case="credit")


class Later(Exception):
    pass


def test_a_failure_after_a_savepoint_rolls_the_whole_unit_back(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    with pytest.raises(Later), session_scope(engine) as s:
        inventory.register_model(s, ADMIN, MODEL)  # writes inside a savepoint, then the audit entry
        raise Later
    with session_scope(engine) as s, pytest.raises(NotFound):
        inventory.get_model(s, ADMIN, "scorer")
    with session_scope(engine) as s:
        inventory.register_model(s, ADMIN, MODEL)  # and the name is free, the audit chain intact
    with session_scope(engine) as s:
        assert inventory.get_model(s, ADMIN, "scorer").owner == "ana"
    engine.dispose()
