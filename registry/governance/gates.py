"""What each tier demands before a version reaches production, and before the lifecycle moves forward.

Gates return the full list of unmet requirements so one `GateError` tells the team everything left to do.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from registry.governance.access import versions_of
from registry.governance.bias_gate import bias_gaps
from registry.governance.card import check_card
from registry.governance.policy import PolicyTable, TierPolicy
from registry.governance.privacy import privacy_gaps
from registry.governance.records import DatasetVersion, MonitoringPlan, ValidationReport
from registry.governance.specs import VersionSpec
from registry.governance.tables import GovModel, GovModelVersion, GovReview
from registry.governance.types import (
    CADENCE_RANK,
    FREQUENCY_RANK,
    PHASES,
    SEVERITY_RANK,
    LifecyclePhase,
)
from registry.governance.version_card import compose

APPROVED = ("approved", "approved_with_reservations")


def effective_policy(model: GovModel, policy: PolicyTable) -> TierPolicy:
    """An unclassified model is held to the strictest tier until it is classified."""
    return policy.for_tier(model.risk_tier or 1)  # type: ignore[arg-type]


def classification_gaps(model: GovModel, now: datetime) -> list[str]:
    if model.prohibited:
        return ["EU AI Act class 'unacceptable': a prohibited practice can never reach production"]
    if model.classification is None:
        return ["risk classification"]
    gaps = [f"reclassification after a significant change ({reason})" for reason in model.review_reasons]
    if not gaps and model.review_due_at is not None and model.review_due_at <= now:
        gaps.append(f"yearly reclassification (due {model.review_due_at.date().isoformat()})")
    return gaps


def _doc_gaps(dataset: DatasetVersion) -> list[str]:
    label = f"dataset {dataset.name}@{dataset.version}"
    return (["data card for " + label] if dataset.data_card is None else []) + (
        ["data-quality report for " + label] if dataset.quality is None else []
    )


def dataset_doc_gaps(model: GovModel, tier: TierPolicy) -> list[str]:
    """Leaving data preparation: every dataset still in use is documented (retired ones are history)."""
    datasets = [DatasetVersion.model_validate(d) for d in model.datasets]
    datasets = [d for d in datasets if not d.retired]
    if not datasets:
        return ["dataset versions"]
    if not tier.require_data_documentation:
        return []
    return [gap for d in datasets for gap in _doc_gaps(d)]


def data_gaps(model: GovModel, spec: VersionSpec, tier: TierPolicy, today: date) -> list[str]:
    """A version is held to the datasets its spec uses, not to every dataset ever recorded on the model: their
    documentation, and the groups of their bias analysis within the tier's limits (or waived)."""
    if not tier.require_data_documentation:
        return []
    if not spec.datasets:
        return ["datasets used by the version"]
    recorded = {(d["name"], d["version"]): DatasetVersion.model_validate(d) for d in model.datasets}
    gaps: list[str] = []
    for ref in spec.datasets:
        found = recorded.get((ref.name, ref.version))
        if found is None:
            gaps.append(f"dataset {ref.name}@{ref.version} used by the version is not recorded")
        else:
            gaps += _doc_gaps(found) + bias_gaps(found, tier, today)
    return gaps


def spec_gaps(spec: VersionSpec) -> list[str]:
    return ["a version spec (it is empty: framework, datasets, metrics, lineage...)"] if spec.empty else []


def lineage_gaps(spec: VersionSpec, tier: TierPolicy) -> list[str]:
    if not tier.require_artifact_checksums:
        return []
    if not spec.lineage.artifacts:
        return ["lineage artifacts"]
    return [f"sha256 checksum of artifact {a.uri!r}" for a in spec.lineage.artifacts if a.sha256 is None]


def approved_review(session: Session, model: GovModel, version: GovModelVersion) -> GovReview | None:
    """The latest decision on this version, if it approved it under the current tier or a stricter one."""
    query = select(GovReview).where(GovReview.version_id == version.id, GovReview.stage == "decided")
    latest = session.exec(query.order_by(col(GovReview.id).desc())).first()
    if latest is None or latest.decision not in APPROVED:
        return None
    return latest if latest.tier <= (model.risk_tier or 1) else None


def validation_gaps(session: Session, model: GovModel, version: GovModelVersion, tier: TierPolicy) -> list[str]:
    gaps: list[str] = []
    if tier.validation.require_validation_report:
        if version.validation_report is None:
            gaps.append("validation report")
        elif not ValidationReport.model_validate(version.validation_report).passed:
            gaps.append("a passing validation report (the recorded one failed)")
    if approved_review(session, model, version) is None:
        gaps.append(f"approval by {tier.validation.label} for version {version.version!r} at tier {tier.tier}")
    return gaps


def monitoring_gaps(model: GovModel, tier: TierPolicy) -> list[str]:
    if model.monitoring_plan is None:
        return [f"monitoring plan ({tier.monitoring.frequency}, re-training {tier.retraining.cadence})"]
    plan = MonitoringPlan.model_validate(model.monitoring_plan)
    gaps: list[str] = []
    if FREQUENCY_RANK[plan.frequency] > FREQUENCY_RANK[tier.monitoring.frequency]:
        gaps.append(f"monitoring at least {tier.monitoring.frequency} (plan says {plan.frequency!r})")
    wanted = SEVERITY_RANK[tier.monitoring.alert_severity]
    if not any(SEVERITY_RANK[alert.severity] <= wanted for alert in plan.alerts):
        gaps.append(f"an alert threshold of severity {tier.monitoring.alert_severity!r} or higher")
    if CADENCE_RANK[plan.retraining.cadence] > CADENCE_RANK[tier.retraining.cadence]:
        gaps.append(f"re-training at least {tier.retraining.cadence} (plan says {plan.retraining.cadence!r})")
    if tier.retraining.triggered and not plan.retraining.triggers:
        gaps.append("re-training triggers (e.g. drift thresholds)")
    return gaps


def production_gaps(
    session: Session, model: GovModel, version: GovModelVersion, policy: PolicyTable, now: datetime
) -> list[str]:
    """Every requirement the model's tier sets for serving `version` in production that is not met yet."""
    tier = effective_policy(model, policy)
    spec = VersionSpec.model_validate(version.spec)
    gaps: list[str] = []
    if model.status != "active" or model.phase == "decommissioning":
        gaps.append(f"an active model (model is {model.status!r}, phase {model.phase!r})")
    gaps += classification_gaps(model, now)
    gaps += spec_gaps(spec)
    if tier.require_charter and model.charter is None:
        gaps.append("AI project charter")
    gaps += data_gaps(model, spec, tier, now.date())
    gaps += privacy_gaps(model, spec)
    gaps += lineage_gaps(spec, tier)
    card = check_card(compose(model, version), tier.model_card)  # the version's own card over the shared one
    gaps += [f"model card section {section!r} ({tier.model_card})" for section in card.missing]
    gaps += validation_gaps(session, model, version, tier)
    gaps += monitoring_gaps(model, tier)
    if tier.require_deployment_record and model.deployment is None:
        gaps.append("deployment record")
    return gaps


def _leaving(session: Session, model: GovModel, phase: LifecyclePhase, tier: TierPolicy) -> list[str]:
    if phase == "problem_framing":
        gaps = [] if model.classification else ["risk classification"]
        return gaps + (["AI project charter"] if tier.require_charter and model.charter is None else [])
    if phase == "data_preparation":
        return dataset_doc_gaps(model, tier)
    if phase == "development":
        return [] if versions_of(session, model) else ["a registered model version"]
    if phase == "validation":
        approved = [v for v in versions_of(session, model) if approved_review(session, model, v)]
        return [] if approved else [f"a version approved by {tier.validation.label}"]
    if phase == "deployment":
        live = [v for v in versions_of(session, model) if v.status == "production"]
        return [] if live else ["a version in production"]
    return []


def phase_gaps(session: Session, model: GovModel, target: LifecyclePhase, policy: PolicyTable) -> list[str]:
    """Deliverables missing for every phase between the current one and `target` (moving back is free)."""
    start, end = PHASES.index(model.phase), PHASES.index(target)  # type: ignore[arg-type]
    tier = effective_policy(model, policy)
    gaps: list[str] = []
    for phase in PHASES[start:end]:
        gaps += _leaving(session, model, phase, tier)
    if end >= PHASES.index("monitoring") > start and model.monitoring_plan is None:
        gaps.append("monitoring plan")
    return gaps
