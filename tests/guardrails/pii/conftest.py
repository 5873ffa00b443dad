from __future__ import annotations

import pytest

from guardrails.pii.engine import PiiEngine, shared_engine


@pytest.fixture(scope="session")
def engine() -> PiiEngine:
    loaded = shared_engine()
    loaded.load()
    return loaded
