"""The bias gate on SQLite and PostgreSQL: a training set whose group B has a label-rate gap of -0.15 (Tier 1 limit
0.1) blocks the Tier 1 promotion with a reason naming group and gap; a board member's waiver (audited) lifts it, a new
analysis needs a new one, and a balanced set passes. Group A's gap (+0.1) is at the limit, not beyond it."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance.access import find_model, find_version
from registry.governance.audit import list_entries
from registry.governance.gates import production_gaps
from registry.governance.bias_records import BiasWaiverIn
from registry.governance.dataset_bias import set_dataset_bias, waive_bias
from registry.governance.errors import NotFound, PermissionDenied
from registry.governance.policy import DEFAULT_POLICY
from registry.validation.bias import analyse
from registry.validation.options import DataFile
from tests.registry.governance.gov_helpers import ALICE, T0, actor, ready_tier1
from tests.registry.validation.bias_synth import training_set
from tests.registry.validation.test_validation_gate import _promote

NAME = "credit-scoring"
GAP = ("dataset loans@2024.1: label-rate gap of group=B is -0.150 (rate 0.250 vs 0.400 overall), beyond the tier 1 "
       "limit 0.1 (waiver: `warden models dataset waive-bias`)")
WAIVER = BiasWaiverIn(column="group", value="B", kind="label_rate_gap", role="ethics",
                      reason="B's lower default rate is documented in the 2024 portfolio study")


def _analyse(engine: Engine, frame: pd.DataFrame) -> None:
    bias = analyse(DataFile(frame.to_csv(index=False).encode(), "csv", "train.csv"), ["group"], "label", ["region"])
    with session_scope(engine) as s:
        set_dataset_bias(s, ALICE, NAME, "loans", "2024.1", bias, T0)


def _gaps(engine: Engine) -> list[str]:
    """What promotion would refuse, without promoting."""
    with session_scope(engine) as s:
        model = find_model(s, NAME)
        return production_gaps(s, model, find_version(s, model, "1.0"), DEFAULT_POLICY, T0)


def test_a_gap_beyond_the_tier_limit_blocks_until_waived(engine: Engine) -> None:
    ready_tier1(engine, NAME)
    _analyse(engine, training_set())
    assert _promote(engine) == [GAP]

    with pytest.raises(PermissionDenied, match="does not hold the board role 'ethics'"):
        with session_scope(engine) as s:
            waive_bias(s, ALICE, NAME, "loans", "2024.1", WAIVER, T0)
    with pytest.raises(NotFound, match="has no group group='C'"):
        with session_scope(engine) as s:
            waive_bias(s, actor("eric"), NAME, "loans", "2024.1", WAIVER.model_copy(update={"value": "C"}), T0)
    with session_scope(engine) as s:
        waive_bias(s, actor("eric"), NAME, "loans", "2024.1", WAIVER, T0)
        [entry] = [e for e in list_entries(s, limit=1000) if e.action == "model.dataset.bias_waiver"]
    assert entry.actor == "eric" and entry.after["bias_waivers"][0]["reason"].startswith("B's lower default")  # type: ignore[index]
    assert _promote(engine) == []


def test_a_new_analysis_or_a_lapsed_waiver_blocks_again(engine: Engine) -> None:
    ready_tier1(engine, NAME)
    _analyse(engine, training_set())
    with session_scope(engine) as s:
        lapsed = WAIVER.model_copy(update={"expires_on": (T0 - timedelta(days=1)).date()})
        waive_bias(s, actor("eric"), NAME, "loans", "2024.1", lapsed, T0)
    assert _gaps(engine) == [GAP]
    with session_scope(engine) as s:
        waive_bias(s, actor("rita"), NAME, "loans", "2024.1", WAIVER.model_copy(update={"role": "risk_compliance"}))
    assert _gaps(engine) == []
    _analyse(engine, training_set().iloc[::-1])  # the same figures from other bytes: another analysis
    assert _gaps(engine) == [GAP]


def test_a_balanced_set_passes_and_under_representation_is_named(engine: Engine) -> None:
    ready_tier1(engine, NAME)
    balanced = training_set().assign(label=[1, 1, 0, 0, 0] * 200)  # rate 0.4 in both groups
    _analyse(engine, balanced)
    assert _gaps(engine) == []
    few = pd.concat([balanced, pd.DataFrame({"group": ["C"] * 20, "region": "north", "income": 1,
                                             "label": [1, 0] * 10})])
    _analyse(engine, few)
    missing = _gaps(engine)
    assert len(missing) == 1 and "group=C is 2.0% of the rows, under the tier 1 minimum 5.0%" in missing[0]


def test_the_limits_are_tier_policy() -> None:
    assert DEFAULT_POLICY.for_tier(1).bias.max_label_rate_gap == 0.1
    assert DEFAULT_POLICY.for_tier(2).bias.min_group_share == 0.02
    assert DEFAULT_POLICY.for_tier(3).bias.max_label_rate_gap is None
    loose = DEFAULT_POLICY.with_overrides({1: {"bias": {"max_label_rate_gap": 0.2}}})
    assert loose.for_tier(1).bias.max_label_rate_gap == 0.2 and loose.for_tier(1).bias.min_group_share == 0.05
    assert date(2030, 1, 1) == T0.date()
