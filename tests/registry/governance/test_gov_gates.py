"""Every production gate refuses when its requirement is missing; prohibited models never reach production."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from gov_helpers import (
    ALICE,
    CRITERIA,
    T0,
    UNACCEPTABLE,
    approve_tier1,
    approved_version,
    dataset,
    monitoring,
    ready_tier1,
    spec,
    validation,
)
from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.db import session_scope
from registry.governance.audit import list_entries
from registry.governance.records import ValidationReport
from registry.governance import (
    Conflict,
    GateError,
    NotFound,
    ModelUpdate,
    SubmissionIn,
    VersionIn,
    classification,
    datasets,
    inventory,
    lifecycle,
    review,
    serving,
    versions,
)
from registry.governance.access import find_model, find_version
from registry.governance.tables import GovModel, GovReview, GovReviewVote

NAME = "credit-scoring"
PR = "https://git.example/pr/2"
Mutation = Callable[[Session, GovModel], None]


def _set(field: str, value: object) -> Mutation:
    def apply(s: Session, m: GovModel) -> None:
        setattr(m, field, value)
        s.add(m)

    return apply


def _version(field: str, value: object) -> Mutation:
    def apply(s: Session, m: GovModel) -> None:
        v = find_version(s, m, "1.0")
        setattr(v, field, value)
        s.add(v)

    return apply


def _card_without(section: str) -> Mutation:
    def apply(s: Session, m: GovModel) -> None:
        m.model_card = {k: v for k, v in (m.model_card or {}).items() if k != section}
        s.add(m)

    return apply


def _drop_reviews(s: Session, m: GovModel) -> None:
    s.execute(delete(GovReviewVote))
    s.execute(delete(GovReview))


def _plan(**changes: object) -> Mutation:
    plan = monitoring(1).model_dump(mode="json")
    for key, value in changes.items():
        if key == "cadence":
            plan["retraining"]["cadence"] = value
        elif key == "triggers":
            plan["retraining"]["triggers"] = value
        else:
            plan[key] = value
    return _set("monitoring_plan", plan)


spec_no_sha = spec().model_dump(mode="json")
spec_no_sha["lineage"]["artifacts"][0]["sha256"] = None
spec_no_data = spec().model_dump(mode="json")
spec_no_data["datasets"] = [{"name": "loans", "version": "2099.9"}]

CASES: list[tuple[str, Mutation, str]] = [
    ("no charter", _set("charter", None), "AI project charter"),
    ("no classification", _set("classification", None), "risk classification"),
    ("no dataset", _set("datasets", []), "dataset loans@2024.1 used by the version is not recorded"),
    (
        "no data card",
        _set("datasets", [dataset(documented=False).model_dump(mode="json")]),
        "data card for dataset loans@2024.1",
    ),
    ("no quality report", _set("datasets", [dataset(documented=False).model_dump(mode="json")]), "data-quality report"),
    ("unrecorded dataset", _version("spec", spec_no_data), "dataset loans@2099.9 used by the version is not recorded"),
    ("empty version spec", _version("spec", {}), "a version spec (it is empty"),
    ("artifact without checksum", _version("spec", spec_no_sha), "sha256 checksum of artifact"),
    ("no model card", _set("model_card", None), "model card section 'details'"),
    ("card without external audit", _card_without("external_audit"), "model card section 'external_audit'"),
    ("card without ethics", _card_without("ethical_considerations"), "'ethical_considerations'"),
    ("card without segments", _card_without("metrics_by_segment"), "'metrics_by_segment'"),
    ("no validation report", _version("validation_report", None), "validation report"),
    (
        "failed validation",
        _version("validation_report", validation(passed=False).model_dump(mode="json")),
        "a passing validation report",
    ),
    ("no approval", _drop_reviews, "approval by Model Review Board"),
    ("no monitoring plan", _set("monitoring_plan", None), "monitoring plan (realtime"),
    ("monitoring too rare", _plan(frequency="daily"), "monitoring at least realtime"),
    (
        "no critical alert",
        _plan(alerts=[{"metric": "psi", "operator": ">", "threshold": 0.2, "severity": "warning"}]),
        "severity 'critical'",
    ),
    ("retraining too rare", _plan(cadence="monthly"), "re-training at least weekly"),
    ("no retraining trigger", _plan(triggers=[]), "re-training triggers"),
    ("no deployment record", _set("deployment", None), "deployment record"),
    ("yearly review overdue", _set("review_due_at", T0 - timedelta(days=1)), "yearly reclassification"),
    ("being decommissioned", _set("phase", "decommissioning"), "an active model"),
]


@pytest.mark.parametrize(("label", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_production_gate_refuses(engine: Engine, label: str, mutate: Mutation, expected: str) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        mutate(s, find_model(s, NAME))
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
    assert any(expected in m for m in err.value.missing), (label, err.value.missing)
    with session_scope(engine) as s:
        assert find_version(s, find_model(s, NAME), "1.0").status == "development"


def test_ready_model_passes_then_use_case_change_blocks_next_promotion(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        assert lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0).status == "production"
        lifecycle.promote(s, ALICE, NAME, "1.0", "archived", now=T0)
        classification.classify_model(s, ALICE, NAME, CRITERIA[1], now=T0)
        inventory.update_model(s, ALICE, NAME, ModelUpdate(use_case="automatic credit refusal"), now=T0)
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
        overdue = classification.overdue_reviews(s, ALICE, T0)
    assert err.value.missing == [
        "reclassification after a significant change (use case changed to 'automatic credit refusal')"
    ]
    assert [o.reasons for o in overdue] == [["use case changed to 'automatic credit refusal'"]]


def test_gate_lists_everything_missing_at_once(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        m = find_model(s, NAME)
        m.charter = m.deployment = m.monitoring_plan = None
        s.add(m)
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
    assert err.value.missing == [
        "AI project charter",
        "monitoring plan (realtime, re-training weekly)",
        "deployment record",
    ]


def test_approval_at_a_laxer_tier_does_not_count_after_reclassification(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        s.execute(delete(GovReviewVote))
        s.execute(delete(GovReview))
        classification.classify_model(s, ALICE, NAME, CRITERIA[3], now=T0)
        rid = review.submit_for_review(
            s, ALICE, NAME, SubmissionIn(version="1.0", code_review_url="https://git.example/pr/1"), now=T0
        ).id
    with session_scope(engine) as s:
        from gov_helpers import actor

        from registry.governance import VoteIn

        assert (
            review.record_vote(s, actor("pete"), rid, VoteIn(role="peer", approve=True), now=T0).decision == "approved"
        )
        classification.classify_model(s, ALICE, NAME, CRITERIA[1], now=T0)
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
    assert err.value.missing == ["approval by Model Review Board for version '1.0' at tier 1"]
    approve_tier1(engine, NAME, "1.0")
    with session_scope(engine) as s:
        assert lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0).status == "production"


def test_unacceptable_never_reaches_production(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        result = classification.classify_model(s, ALICE, NAME, UNACCEPTABLE, now=T0).result
    assert result.prohibited and result.tier == 1
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
        assert any("prohibited" in m for m in err.value.missing)
        with pytest.raises(GateError, match="prohibited"):
            review.submit_for_review(
                s, ALICE, NAME, SubmissionIn(version="1.0", code_review_url="https://git.example/pr/2"), now=T0
            )
        with pytest.raises(Conflict, match="unacceptable"):
            lifecycle.promote(s, ALICE, NAME, "1.0", "staging", now=T0)
    with session_scope(engine) as s:
        assert find_version(s, find_model(s, NAME), "1.0").status == "development"
        v = find_version(s, find_model(s, NAME), "1.0")
        v.status = "production"  # even a row forced into production by hand is not served
        s.add(v)
    with session_scope(engine) as s:
        verdict = serving.check_servable(s, NAME, "1.0")
        assert not verdict.ok and "unacceptable" in (verdict.reason or "")
        assert serving.routable_versions(s, NAME) == []


def test_review_refuses_an_empty_spec_and_a_pass_without_results(engine: Engine) -> None:
    ready_tier1(engine)
    with session_scope(engine) as s:
        versions.register_version(s, ALICE, NAME, VersionIn(version="2.0"), now=T0)
        with pytest.raises(GateError) as err:
            review.submit_for_review(s, ALICE, NAME, SubmissionIn(version="2.0", code_review_url=PR), now=T0)
    assert "a version spec (it is empty: framework, datasets, metrics, lineage...)" in err.value.missing
    empty_pass = validation().model_dump(mode="json") | {"results": []}
    with pytest.raises(ValidationError, match="needs its results"):
        ValidationReport.model_validate(empty_pass)
    assert not ValidationReport.model_validate(empty_pass | {"passed": False}).passed


def test_reclassification_after_the_new_version_satisfies_its_promotion(engine: Engine) -> None:
    ready_tier1(engine)
    hour = timedelta(hours=1)
    with session_scope(engine) as s:
        lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0)
        # 1.0 was registered when the model was classified: the classification never weighed it in production.
        assert [o.reasons for o in classification.overdue_reviews(s, ALICE, T0)] == [["new production version '1.0'"]]
    approved_version(engine, NAME, "2.0", T0 + hour)
    with session_scope(engine) as s:
        classification.classify_model(s, ALICE, NAME, CRITERIA[1], now=T0 + 2 * hour)
        lifecycle.promote(s, ALICE, NAME, "2.0", "production", now=T0 + 3 * hour)
        assert classification.overdue_reviews(s, ALICE, T0 + 3 * hour) == []
        lifecycle.promote(s, ALICE, NAME, "1.0", "archived", now=T0 + 3 * hour)
        lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0 + 4 * hour)  # not refused as overdue


def test_data_gates_check_the_datasets_the_version_uses_and_datasets_can_be_amended(engine: Engine) -> None:
    ready_tier1(engine)
    scratch = dataset(documented=False).model_copy(update={"name": "scratch", "version": "1"})
    with session_scope(engine) as s:
        inventory.add_dataset_version(s, ALICE, NAME, scratch, now=T0)
        m = find_model(s, NAME)
        m.phase = "data_preparation"
        s.add(m)
    with session_scope(engine) as s:
        # scratch@1 is not in version 1.0's spec: it does not hold the version back.
        assert lifecycle.promote(s, ALICE, NAME, "1.0", "production", now=T0).status == "production"
        with pytest.raises(GateError) as err:
            lifecycle.advance_phase(s, ALICE, NAME, "development", now=T0)
    assert err.value.missing == ["data card for dataset scratch@1", "data-quality report for dataset scratch@1"]
    documented = dataset().model_copy(update={"name": "scratch", "version": "1"})
    with session_scope(engine) as s:
        datasets.amend_dataset_version(s, ALICE, NAME, documented, now=T0)
        assert lifecycle.advance_phase(s, ALICE, NAME, "development", now=T0).phase == "development"
        datasets.retire_dataset_version(s, ALICE, NAME, "scratch", "1", now=T0)
        with pytest.raises(NotFound):
            datasets.retire_dataset_version(s, ALICE, NAME, "scratch", "2", now=T0)
    with session_scope(engine) as s:
        kept = [d for d in inventory.list_dataset_versions(s, ALICE, NAME) if d.name == "scratch"]
        trail = [(e.action, e.before, e.after) for e in list_entries(s, chain=NAME, limit=1000)]
    assert [(d.retired, d.data_card is not None) for d in kept] == [(True, True)]
    amended = [(before, after) for action, before, after in trail if action == "model.dataset.amend"]
    assert amended and amended[0][0]["data_card"] is None and amended[0][1]["data_card"] is not None
    assert any(action == "model.dataset.retire" for action, _, _ in trail)
