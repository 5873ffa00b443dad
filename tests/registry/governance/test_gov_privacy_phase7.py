"""A DPIA and lawful basis before a version using personal data is promoted (staging or production), at any tier;
and phase 7 (decommissioning) in `models phase`, by name or number, entered through the decommissioning notice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from gov_helpers import ALICE, T0, dataset, ready_tier1
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import GateError, lifecycle
from registry.governance.datasets import amend_dataset_version
from registry.governance.decommission import start_decommission
from registry.governance.decommission_records import DecommissionStart
from registry.governance.records import DpiaRecord

NAME = "credit-scoring"
GAP = "DPIA and lawful basis for dataset loans@2024.1 (it contains personal data)"


def test_personal_data_needs_a_dpia_before_promotion(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        amend_dataset_version(s, ALICE, NAME, dataset().model_copy(update={"dpia": None}), T0)
    for status in ("staging", "production"):
        with session_scope(engine) as s:
            with pytest.raises(GateError) as err:
                lifecycle.promote(s, ALICE, NAME, "1.0", status, now=T0)  # type: ignore[arg-type]
        assert GAP in err.value.missing
    with pytest.raises(ValueError, match="lawful_basis"):
        DpiaRecord.model_validate({"lawful_basis": "because", "dpia_reference": "D-1", "completed_on": "2030-01-01",
                                   "approved_by": "dpo"})
    with session_scope(engine) as s:
        amend_dataset_version(s, ALICE, NAME, dataset(), T0)  # the DPIA filed
        assert lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0).status == "production"


def test_datasets_without_personal_data_need_no_dpia(engine: Engine) -> None:
    ready_tier1(engine)
    card = dataset().data_card
    assert card is not None
    anonymous = dataset().model_copy(update={"dpia": None, "data_card": card.model_copy(
        update={"contains_personal_data": False})})
    with session_scope(engine) as s:
        amend_dataset_version(s, ALICE, NAME, anonymous, T0)
        assert lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0).status == "production"


def test_phase_7_is_entered_by_the_decommissioning_notice(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            lifecycle.advance_phase(s, ALICE, NAME, "decommissioning", now=T0)
    assert err.value.missing == [
        f"a decommissioning notice for the whole model: `warden models decommission start {NAME}` "
        f"(POST /registry/models/{NAME}/decommission/start) enters phase 7"
    ]
    start = DecommissionStart(criteria=["use_case_gone"], justification="product closed",
                              effective_on=date(2030, 3, 1), stakeholders=["risk@bank.example"])
    with session_scope(engine) as s:
        start_decommission(s, ALICE, NAME, start, notify=lambda _notice: None, now=T0 + timedelta(days=1))
        assert lifecycle.advance_phase(s, ALICE, NAME, "decommissioning", now=T0).phase == "decommissioning"
