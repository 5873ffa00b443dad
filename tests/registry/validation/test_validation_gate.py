"""A report Warden computes from data feeds the tier 1 production gate: a model unfair to one group by construction
is refused, the same model made fair passes; a degraded segment is flagged. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import GateError, lifecycle, versions
from registry.governance.access import find_model, find_version
from registry.governance.records import MetricValue, ValidationReport
from registry.governance.specs import ValidationSpec
from registry.validation.options import DataFile, ValidationOptions
from registry.validation.service import compute, store, version_context
from tests.registry.governance.gov_helpers import ALICE, T0, VERA, ready_tier1, spec
from tests.registry.validation.validation_synth import evaluation_set

NAME = "credit-scoring"
DECLARED = ValidationSpec(thresholds={"accuracy": 0.75, "roc_auc": 0.6}, segment_columns=["region"],
                          sensitive_columns=["group"])


def _ready(engine: Engine) -> None:
    """A tier 1 model whose version declares its validation (task, thresholds, segments, sensitive attribute)."""
    ready_tier1(engine, NAME)
    with session_scope(engine) as s:
        versions.update_version_spec(s, ALICE, NAME, "1.0", spec().model_copy(update={"validation": DECLARED}), T0)


def _validate(engine: Engine, frame: pd.DataFrame) -> ValidationReport:
    with session_scope(engine) as s:
        context = version_context(s, ALICE, NAME, "1.0")
    data = DataFile(frame.to_csv(index=False).encode(), "csv", "eval.csv")
    report = compute(context, data, ValidationOptions(bootstrap=50), VERA.name, date(2030, 1, 1))
    with session_scope(engine) as s:
        store(s, VERA, NAME, "1.0", report)  # the validator, independent of ALICE who developed 1.0
    return report


def _promote(engine: Engine) -> list[str]:
    try:
        with session_scope(engine) as s:
            lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
    except GateError as exc:
        return exc.missing
    return []


def test_unfair_model_is_refused_by_the_tier1_gate_then_passes_once_fixed(engine: Engine) -> None:
    _ready(engine)
    unfair = _validate(engine, evaluation_set(unfair=True))
    assert not unfair.passed and unfair.generated_by and unfair.data_sha256
    group = unfair.fairness[0]
    assert group.attribute == "group" and not group.passed
    assert group.demographic_parity_difference is not None and group.demographic_parity_difference > 0.2
    assert [g.rows for g in group.groups] == [800, 800]
    assert _promote(engine) == ["a passing validation report (the recorded one failed)"]

    fixed = _validate(engine, evaluation_set())
    assert fixed.passed, fixed.issues
    assert fixed.fairness[0].demographic_parity_difference == 0.0
    assert fixed.fairness[0].equalized_odds_difference == 0.0
    assert _promote(engine) == []
    with session_scope(engine) as s:
        row = find_version(s, find_model(s, NAME), "1.0")
        stored = ValidationReport.model_validate(row.validation_report)
    assert row.status == "production" and stored == fixed


def test_degraded_segment_is_flagged(engine: Engine) -> None:
    _ready(engine)
    report = _validate(engine, evaluation_set(worse_region="east"))
    regions = {s.segment: s for s in report.segments if s.column == "region"}
    assert regions["east"].flagged and regions["east"].source == "declared"
    assert any("region east: accuracy" in reason for reason in regions["east"].reasons)
    assert not any(regions[r].flagged for r in ("north", "south", "west"))
    assert not report.passed and "region east" in " ".join(report.issues)


def test_typed_reports_still_validate_and_the_audit_trail_records_the_computed_one(engine: Engine) -> None:
    from registry.governance.audit import list_entries

    _ready(engine)
    _validate(engine, evaluation_set())
    with session_scope(engine) as s:
        actions = [e.action for e in list_entries(s, chain=NAME, limit=100)]
    assert actions.count("version.validation_report") == 2  # the typed report of ready_tier1, then the computed one
    typed = ValidationReport(validator="vera", validated_on=date(2030, 1, 1), methodology="by hand", passed=True,
                             results=[MetricValue(split="test", name="auc", value=0.8)])
    assert typed.generated_by is None and typed.segments == []
