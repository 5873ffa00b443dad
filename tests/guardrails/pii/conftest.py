from __future__ import annotations

import pytest

from guardrails.pii.engine import PiiEngine, shared_engine


@pytest.fixture(scope="session")
def engine() -> PiiEngine:
    loaded = shared_engine()
    loaded.load()
    return loaded


@pytest.fixture(scope="session")
def finder_engine() -> PiiEngine:
    """The engine as it was before the tagger: spaCy's small models, PERSON from the rule-based name finder."""
    loaded = PiiEngine(ner="spacy", persons="finder")
    loaded.load()
    return loaded
