"""The production gate checks the card of the version being promoted: the model's shared sections with the
version's own on top (a section the version supplies need not be on the model's card)."""

from __future__ import annotations

import pytest
from gov_helpers import ALICE, T0, full_card, ready_tier1
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import GateError, inventory, lifecycle
from registry.governance.version_card import VersionCard, get_version_card, set_version_card

NAME = "credit-scoring"


def test_the_gate_reads_the_versions_card(engine: Engine) -> None:
    ready_tier1(engine)
    shared = full_card(NAME).model_copy(update={"training_data": None})
    with session_scope(engine) as s:
        inventory.set_model_card(s, ALICE, NAME, shared, T0)
        with pytest.raises(GateError) as err:
            lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
    assert "model card section 'training_data' (complete_external_audit)" in err.value.missing
    own = VersionCard(training_data=full_card(NAME).training_data)
    with session_scope(engine) as s:
        card = set_version_card(s, ALICE, NAME, "1.0", own, T0)
        assert card is not None and card.training_data == own.training_data and card.details is not None
        assert card.details.version == "1.0"
        assert get_version_card(s, ALICE, NAME, "1.0") == card
        assert lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0).status == "production"
