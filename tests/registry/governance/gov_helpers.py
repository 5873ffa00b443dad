"""Builders shared by the governance tests: actors, complete deliverables, and a fully documented model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine

from registry.db import session_scope
from registry.governance import (
    Actor,
    ClassificationCriteria,
    DecisionIn,
    Impact,
    ModelCard,
    ModelIn,
    SubmissionIn,
    VersionIn,
    VoteIn,
    classification,
    inventory,
    review,
    versions,
)
from registry.governance.card import CardDetails, ExternalAudit, IntendedUse, TrainingData
from registry.governance.records import (
    AlertThreshold,
    DataCard,
    DataQualityReport,
    DatasetVersion,
    DeploymentRecord,
    DpiaRecord,
    ExperimentRef,
    Kpi,
    MetricValue,
    MonitoringPlan,
    ProjectCharter,
    QualityCheck,
    RetrainingPlan,
    Sla,
    ValidationReport,
)
from registry.governance.specs import Artifact, DatasetRef, Lineage, VersionSpec

ADMIN = Actor(name="admin", admin=True)
ALICE = Actor(name="alice", teams=frozenset({"risk"}))
MALLORY = Actor(name="mallory", teams=frozenset({"marketing"}))
VERA = Actor(name="vera", teams=frozenset({"risk"}))
"""The risk team's validator: independent of ALICE, who develops (registers) the versions."""
BOARD = {
    "carol": "chair",
    "dan": "data_science_lead",
    "bob": "business_owner",
    "rita": "risk_compliance",
    "lena": "legal",
    "eric": "ethics",
    "pete": "peer",
}
SHA = "ab" * 32
TIER1_VOTES = (("dan", "data_science_lead"), ("bob", "business_owner"), ("rita", "risk_compliance"),
               ("lena", "legal"), ("eric", "ethics"))
T0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)

CRITERIA = {
    1: ClassificationCriteria(
        impact=Impact(financial="high", operational="medium", reputational="high", human="high"),
        automation="decisive",
        eu_ai_act="high",
    ),
    2: ClassificationCriteria(
        impact=Impact(financial="high", operational="low", reputational="low", human="low"),
        automation="assistive",
        eu_ai_act="minimal",
    ),
    3: ClassificationCriteria(
        impact=Impact(financial="medium", operational="low", reputational="medium", human="low"),
        automation="assistive",
        eu_ai_act="minimal",
    ),
    4: ClassificationCriteria(
        impact=Impact(financial="low", operational="low", reputational="low", human="low"),
        automation="informative",
        eu_ai_act="minimal",
    ),
}
UNACCEPTABLE = ClassificationCriteria(
    impact=Impact(financial="low", operational="low", reputational="high", human="high"),
    automation="autonomous",
    eu_ai_act="unacceptable",
)


def actor(name: str) -> Actor:
    return Actor(name=name)


def charter() -> ProjectCharter:
    return ProjectCharter(
        problem="Score credit applications",
        kpis=[Kpi(name="AUC", target=">= 0.80")],
        data_sources=["loans warehouse"],
        risks=["unfair denials"],
        data_classification="confidential",
    )


def dataset(documented: bool = True) -> DatasetVersion:
    card = DataCard(
        description="Loan applications 2020-2024",
        source="warehouse",
        contains_personal_data=True,
        known_biases=["young applicants under-represented"],
    )
    quality = DataQualityReport(
        completeness=0.99, duplicate_ratio=0.001, checks=[QualityCheck(name="schema", passed=True)]
    )
    return DatasetVersion(
        name="loans",
        version="2024.1",
        uri="s3://data/loans/2024.1",
        sha256=SHA,
        rows=120_000,
        data_card=card if documented else None,
        quality=quality if documented else None,
        dpia=dpia() if documented else None,
    )


def dpia() -> DpiaRecord:
    return DpiaRecord(lawful_basis="contract", dpia_reference="DPIA-2024-017", completed_on=date(2029, 12, 1),
                      approved_by="dpo@bank.example")


def spec(llm: bool = False) -> VersionSpec:
    from registry.governance.specs import LlmLinks, PromptRef

    links = (
        LlmLinks(
            gateway_deployments=["support-bot-prod"], prompt_versions=[PromptRef(name="support", commit="a1b2c3d")]
        )
        if llm
        else None
    )
    return VersionSpec(
        framework="lightgbm",
        architecture="gbdt",
        hyperparameters={"num_leaves": 31, "lr": 0.05},
        size_bytes=2_000_000,
        format="onnx",
        dependencies={"lightgbm": "4.3.0"},
        datasets=[DatasetRef(name="loans", version="2024.1")],
        features=["income", "debt_ratio"],
        metrics=[
            MetricValue(split="test", name="auc", value=0.84),
            MetricValue(split="test", name="auc", value=0.81, segment="age<25"),
        ],
        lineage=Lineage(
            pipeline="train-v3",
            experiment="exp-12",
            run_id="run-9",
            artifacts=[Artifact(uri="s3://models/cs/1.0", sha256=SHA)],
        ),
        llm=links,
    )


def full_card(name: str, audit: bool = True) -> ModelCard:
    return ModelCard(
        details=CardDetails(name=name, version="1.0", owners=["alice"], model_type="gradient boosting"),
        intended_use=IntendedUse(primary_uses=["pre-screen credit applications"], users=["credit officers"]),
        out_of_scope_use=["fully automated refusal"],
        training_data=TrainingData(datasets=["loans@2024.1"], known_biases=["young applicants under-represented"]),
        metrics_by_segment=[MetricValue(split="test", name="auc", value=0.81, segment="age<25")],
        limitations_and_risks=["drift after rate changes"],
        ethical_considerations=["adverse action notices"],
        external_audit=ExternalAudit(
            auditor="Audit & Co", audited_on=date(2029, 12, 1), report_url="https://audit.example/r/1"
        )
        if audit
        else None,
    )


def validation(passed: bool = True) -> ValidationReport:
    return ValidationReport(
        validator="vera",
        validated_on=date(2029, 12, 15),
        methodology="out-of-time test",
        results=[MetricValue(split="test", name="auc", value=0.83)],
        passed=passed,
    )


def monitoring(tier: int = 1) -> MonitoringPlan:
    frequency = {1: "realtime", 2: "daily", 3: "weekly", 4: "monthly"}[tier]
    cadence = {1: "weekly", 2: "monthly", 3: "quarterly", 4: "ad_hoc"}[tier]
    severity = {1: "critical", 2: "warning", 3: "warning", 4: "info"}[tier]
    return MonitoringPlan(
        metrics=["psi", "auc"],
        frequency=frequency,
        alerts=[AlertThreshold(metric="psi", operator=">", threshold=0.2, severity=severity)],
        retraining=RetrainingPlan(cadence=cadence, triggers=["psi > 0.25"]),
    )


def deployment() -> DeploymentRecord:
    return DeploymentRecord(
        endpoints=["https://models.internal/cs"],
        infrastructure="k8s/prod",
        serving_config={"replicas": 3},
        sla=Sla(availability_pct=99.9, p95_latency_ms=120),
        strategy="canary",
    )


def grant_board(engine: Engine) -> None:
    with session_scope(engine) as s:
        for user, role in BOARD.items():
            review.set_reviewer_roles(s, ADMIN, user, [role])


def ready_tier1(engine: Engine, name: str = "credit-scoring", now: datetime = T0) -> None:
    """A tier 1 classical model with every deliverable and an approved review of version 1.0 (not promoted)."""
    grant_board(engine)
    with session_scope(engine) as s:
        inventory.register_model(
            s,
            ALICE,
            ModelIn(name=name, kind="classical", owner="alice", team="risk", use_case="credit pre-screening"),
            now,
        )
        classification.classify_model(s, ALICE, name, CRITERIA[1], now)
        inventory.set_charter(s, ALICE, name, charter(), now)
        inventory.add_dataset_version(s, ALICE, name, dataset(), now)
        inventory.add_experiment(
            s, ALICE, name, ExperimentRef(name="exp-12", mlflow_run_id="run-9", url="https://mlflow.internal/r/9"), now
        )
        versions.register_version(s, ALICE, name, VersionIn(version="1.0", spec=spec()), now)
        versions.set_validation_report(s, VERA, name, "1.0", validation(), now)
        inventory.set_model_card(s, ALICE, name, full_card(name), now)
        inventory.set_monitoring_plan(s, ALICE, name, monitoring(1), now)
        inventory.set_deployment_record(s, ALICE, name, deployment(), now)
    approve_tier1(engine, name, "1.0", now)


def approve_tier1(engine: Engine, name: str, version: str, now: datetime = T0) -> int:
    with session_scope(engine) as s:
        rid = review.submit_for_review(
            s, ALICE, name, SubmissionIn(version=version, code_review_url="https://git.example/pr/7"), now=now
        ).id
    for user, role in TIER1_VOTES:
        with session_scope(engine) as s:
            review.record_vote(s, actor(user), rid, VoteIn(role=role, approve=True), now=now)  # type: ignore[arg-type]
    with session_scope(engine) as s:
        review.decide(s, actor("carol"), rid, DecisionIn(decision="approved"), now=now + timedelta(minutes=1))
    return rid


def approved_version(engine: Engine, name: str, version: str, now: datetime) -> None:
    """Register `version` with a full spec and a passing validation, and have the board approve it."""
    with session_scope(engine) as s:
        versions.register_version(s, ALICE, name, VersionIn(version=version, spec=spec()), now)
        versions.set_validation_report(s, VERA, name, version, validation(), now)
    approve_tier1(engine, name, version, now)
