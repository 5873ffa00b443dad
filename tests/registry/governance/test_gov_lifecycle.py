"""End-to-end lifecycles: a tier 1 classical model from charter to decommissioning, and a tier 3 LLM."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from gov_helpers import (
    ADMIN,
    ALICE,
    CRITERIA,
    SHA,
    T0,
    TIER1_VOTES,
    VERA,
    actor,
    charter,
    dataset,
    deployment,
    full_card,
    grant_board,
    monitoring,
    spec,
    validation,
)
from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import (
    ArchiveIn,
    DecisionIn,
    DecommissionNotice,
    DecommissionStart,
    GateError,
    ModelIn,
    PostMortem,
    SubmissionIn,
    UsageStats,
    VersionIn,
    VoteIn,
    audit_verify,
    classification,
    decommission,
    inventory,
    lifecycle,
    review,
    serving,
    versions,
)
from registry.governance.access import find_model
from registry.governance.audit import list_entries
from registry.governance.card import ModelCard
from registry.governance.card_render import render_markdown
from registry.governance.records import ExperimentRef


def _phase(engine: Engine, name: str, phase: str, now: datetime = T0) -> str:
    with session_scope(engine) as s:
        return lifecycle.advance_phase(s, ALICE, name, phase, now=now).phase  # type: ignore[arg-type]


def test_tier1_classical_full_lifecycle(engine: Engine) -> None:
    name, now = "credit-scoring", T0
    grant_board(engine)
    with session_scope(engine) as s:
        inventory.register_model(
            s,
            ALICE,
            ModelIn(name=name, kind="classical", owner="alice", team="risk", use_case="credit pre-screening"),
            now,
        )
    with pytest.raises(GateError) as err:
        _phase(engine, name, "data_preparation")
    assert err.value.missing == ["risk classification", "AI project charter"]
    with session_scope(engine) as s:
        record = classification.classify_model(s, ALICE, name, CRITERIA[1], now)
        inventory.set_charter(s, ALICE, name, charter(), now)
    assert record.result.tier == 1 and record.result.justification
    assert _phase(engine, name, "data_preparation") == "data_preparation"
    with session_scope(engine) as s:
        inventory.add_dataset_version(s, ALICE, name, dataset(documented=False), now)
    with pytest.raises(GateError) as err:
        _phase(engine, name, "development")
    assert err.value.missing == ["data card for dataset loans@2024.1", "data-quality report for dataset loans@2024.1"]
    with session_scope(engine) as s:
        row = find_model(s, name)  # fix the records in place: datasets are append-only through the API
        row.datasets = [dataset().model_dump(mode="json")]
        s.add(row)
    assert _phase(engine, name, "development") == "development"
    with session_scope(engine) as s:
        inventory.add_experiment(s, ALICE, name, ExperimentRef(name="exp-12", mlflow_run_id="run-9"), now)
        versions.register_version(s, ALICE, name, VersionIn(version="1.0", spec=spec()), now)
    assert _phase(engine, name, "validation") == "validation"

    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            review.submit_for_review(s, ALICE, name, SubmissionIn(version="1.0"), now=now)
    assert "validation report" in err.value.missing and "code review link" in err.value.missing
    assert any("external_audit" in m for m in err.value.missing)
    with session_scope(engine) as s:
        versions.set_validation_report(s, VERA, name, "1.0", validation(), now)
        inventory.set_model_card(s, ALICE, name, full_card(name), now)
        rid = review.submit_for_review(
            s, ALICE, name, SubmissionIn(version="1.0", code_review_url="https://git.example/pr/7"), now=now
        ).id
    with pytest.raises(GateError) as err:
        _phase(engine, name, "deployment")
    assert err.value.missing == ["a version approved by Model Review Board"]
    for user, role in TIER1_VOTES:
        with session_scope(engine) as s:
            out = review.record_vote(
                s,
                actor(user),
                rid,
                VoteIn(role=role, approve=True, reservations=["monitor age<25"] if user == "rita" else []),
                now=now,
            )  # type: ignore[arg-type]
    assert out.stage == "awaiting_decision" and out.decision is None
    with session_scope(engine) as s:
        out = review.decide(
            s,
            actor("carol"),
            rid,
            DecisionIn(decision="approved_with_reservations", reservations=["re-audit in 6 months"]),
            now=now,
        )
    assert out.decision == "approved_with_reservations"
    assert out.reservations == ["monitor age<25", "re-audit in 6 months"]
    assert _phase(engine, name, "deployment") == "deployment"

    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            lifecycle.promote(s, ALICE, name, "1.0", "production", now=now)
    assert err.value.missing == ["monitoring plan (realtime, re-training weekly)", "deployment record"]
    with session_scope(engine) as s:
        inventory.set_monitoring_plan(s, ALICE, name, monitoring(1), now)
        inventory.set_deployment_record(s, ALICE, name, deployment(), now)
        lifecycle.promote(s, ALICE, name, "1.0", "staging", now=now)
        out_v = lifecycle.promote(s, ALICE, name, "1.0", "production", now=now)
        versions.set_alias(s, ALICE, name, "champion", "1.0", now)
    assert out_v.status == "production"
    with session_scope(engine) as s:
        assert serving.check_servable(s, name, None).ok
        assert serving.check_servable(s, name, "champion").version == "1.0"
        assert serving.routable_versions(s, name) == ["1.0"]
        overdue = classification.overdue_reviews(s, ADMIN, now + timedelta(seconds=1))
    assert [(o.model, o.reasons) for o in overdue] == [(name, ["new production version '1.0'"])]
    assert _phase(engine, name, "monitoring") == "monitoring"
    with session_scope(engine) as s:
        classification.classify_model(s, ALICE, name, CRITERIA[1], now + timedelta(days=1))
        assert classification.overdue_reviews(s, ADMIN, now + timedelta(days=2)) == []
        assert [o.model for o in classification.overdue_reviews(s, ADMIN, now + timedelta(days=367))] == [name]
        card = inventory.get_model_card(s, ALICE, name)
    assert card is not None and card.risk_classification is not None and card.risk_classification.tier == 1
    assert "## External audit" in render_markdown(card)

    _decommission(engine, name, now + timedelta(days=10))
    with session_scope(engine) as s:
        report = audit_verify.verify(s)
        actions = [e.action for e in list_entries(s, chain=name, limit=1000)]
    assert report.ok, report.problems
    for expected in (
        "model.create",
        "model.classify",
        "model.charter.set",
        "version.create",
        "review.vote",
        "review.decide",
        "version.promote",
        "alias.set",
        "decommission.notice",
        "decommission.cleanup",
        "decommission.postmortem",
    ):
        assert expected in actions


def _decommission(engine: Engine, name: str, now: datetime) -> None:
    sent: list[DecommissionNotice] = []
    start = DecommissionStart(
        criteria=["replaced"],
        justification="credit-scoring v2 replaces it",
        effective_on=(now + timedelta(days=45)).date(),
        stakeholders=["credit-ops@example.com"],
    )
    with session_scope(engine) as s:
        with pytest.raises(Exception, match="notice must be 30-60 days"):
            decommission.start_decommission(
                s,
                ALICE,
                name,
                start.model_copy(update={"effective_on": now.date() + timedelta(days=10)}),
                sent.append,
                now,
            )
    with session_scope(engine) as s:
        decommission.start_decommission(s, ALICE, name, start, sent.append, now)
        busy = UsageStats(now - timedelta(hours=1), 42)
        check = decommission.check_migration(s, ALICE, name, lambda _m, _v=None: busy, now)
    assert len(sent) == 1 and sent[0].effective_on == start.effective_on
    assert not check.ok and check.requests_last_n_days == 42
    with session_scope(engine) as s:
        with pytest.raises(GateError) as err:
            decommission.cleanup_model(s, ALICE, name, now)
    assert len(err.value.missing) == 3
    with session_scope(engine) as s:
        assert serving.is_routable(s, name, "1.0")  # still served during the notice period
    later = now + timedelta(days=46)
    with session_scope(engine) as s:
        assert decommission.check_migration(s, ALICE, name, lambda _m, _v=None: UsageStats(now, 0), later).ok
        archive = decommission.archive_model(
            s,
            ALICE,
            name,
            ArchiveIn(location="s3://archive/cs", items=["weights", "model card", "audit export"]),
            now=later,
        )
        assert archive.retain_until >= date(later.year + 5, 1, 1)
        decommission.cleanup_model(s, ALICE, name, later)
        decommission.record_postmortem(
            s, ALICE, name, PostMortem(summary="replaced by v2", lessons=["plan migrations earlier"]), later
        )
    with session_scope(engine) as s:
        assert serving.routable_versions(s, name) == []
        assert not serving.is_routable(s, name, "1.0")
        verdict = serving.check_servable(s, name, "1.0")
        model = inventory.get_model(s, ALICE, name)
    assert not verdict.ok and "decommissioned" in (verdict.reason or "")
    assert model.status == "decommissioned" and model.phase == "decommissioning"
    assert model.decommission is not None and model.decommission.postmortem is not None


def test_tier3_llm_lifecycle(engine: Engine) -> None:
    name, now = "support-bot", T0
    grant_board(engine)
    with session_scope(engine) as s:
        inventory.register_model(
            s,
            ALICE,
            ModelIn(name=name, kind="llm", owner="alice", team="risk", use_case="customer support drafts"),
            now,
        )
        assert classification.classify_model(s, ALICE, name, CRITERIA[3], now).result.tier == 3
        inventory.set_charter(s, ALICE, name, charter(), now)
        versions.register_version(s, ALICE, name, VersionIn(version="gpt-4o-2024-08", spec=spec(llm=True)), now)
        versions.set_validation_report(s, VERA, name, "gpt-4o-2024-08", validation(), now)
        inventory.set_model_card(
            s,
            ALICE,
            name,
            ModelCard.model_validate(
                full_card(name, audit=False).model_dump(
                    include={"details", "intended_use", "out_of_scope_use", "limitations_and_risks"}
                )
            ),
            now,
        )
        rid = review.submit_for_review(
            s, ALICE, name, SubmissionIn(version="gpt-4o-2024-08", code_review_url="https://git.example/pr/8"), now=now
        ).id
    with session_scope(engine) as s:
        with pytest.raises(Exception, match="cannot self-review|does not hold"):
            review.record_vote(s, ALICE, rid, VoteIn(role="peer", approve=True), now=now)
    with session_scope(engine) as s:
        out = review.record_vote(s, actor("pete"), rid, VoteIn(role="peer", approve=True), now=now)
    assert out.stage == "decided" and out.decision == "approved"
    with session_scope(engine) as s:
        inventory.set_monitoring_plan(s, ALICE, name, monitoring(3), now)
        inventory.set_deployment_record(s, ALICE, name, deployment(), now)
        lifecycle.promote(s, ALICE, name, "gpt-4o-2024-08", "production", now=now)
    with session_scope(engine) as s:
        v = versions.get_version(s, ALICE, name, "gpt-4o-2024-08")
        assert serving.check_servable(s, name, "gpt-4o-2024-08").ok
        assert not serving.check_servable(s, name, "gpt-4o-2024-08", ["staging"]).ok
        assert audit_verify.verify(s).ok
    assert v.spec.llm is not None and v.spec.llm.gateway_deployments == ["support-bot-prod"]
    assert v.spec.llm.prompt_versions[0].commit == "a1b2c3d"
    assert SHA  # the LLM needs no checksums at tier 3
