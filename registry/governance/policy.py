"""Requirements per risk tier, as data: gates, the review board and the monitoring work all read this table.

The defaults encode the organisation's standard; `PolicyTable.with_overrides` lets configuration tighten or relax it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.governance.types import Cadence, Frequency, ReviewerRole, RiskTier, Severity

CardRequirement = Literal["complete_external_audit", "complete", "simplified", "none"]

_FREQUENCY_SECONDS: dict[Frequency, int] = {"realtime": 60, "daily": 86_400, "weekly": 604_800, "monthly": 2_592_000}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValidationPolicy(_Strict):
    """Who must approve before production. `chair_decides`: the board chair records the final decision."""

    label: str
    required_roles: dict[ReviewerRole, int]
    chair_decides: bool = False
    require_validation_report: bool = True
    independent_validation: bool = False
    """The version's developer may neither file its validation report nor vote on its review."""


class MonitoringPolicy(_Strict):
    frequency: Frequency
    alert_severity: Severity

    @property
    def interval_seconds(self) -> int:
        return _FREQUENCY_SECONDS[self.frequency]


class RetrainingPolicy(_Strict):
    cadence: Cadence
    triggered: bool = False


class FairnessPolicy(_Strict):
    """Limits a validation computed from data holds the predictions to, per declared sensitive attribute."""

    max_demographic_parity_difference: float = Field(default=0.2, ge=0, le=1)
    min_demographic_parity_ratio: float = Field(default=0.8, ge=0, le=1)
    max_equalized_odds_difference: float = Field(default=0.2, ge=0, le=1)
    max_equal_opportunity_difference: float = Field(default=0.2, ge=0, le=1)


class BiasPolicy(_Strict):
    """Limits on a training set's data-bias analysis for the datasets a version uses (None: not gated). A group
    beyond them blocks promotion unless a board member recorded a waiver for it."""

    max_label_rate_gap: float | None = Field(default=None, ge=0, le=1)
    """Largest |label rate of a sensitive group - overall label rate|."""
    min_group_share: float | None = Field(default=None, ge=0, le=1)
    """Smallest share of the rows a sensitive group may have."""


class TierPolicy(_Strict):
    """Everything a tier demands. A retention of `None` means no minimum: entries may be purged at any time."""

    tier: RiskTier
    model_card: CardRequirement
    validation: ValidationPolicy
    monitoring: MonitoringPolicy
    retraining: RetrainingPolicy
    audit_retention_days: int | None = Field(ge=0)
    archive_retention_days: int = Field(ge=0)
    require_charter: bool
    require_data_documentation: bool
    require_deployment_record: bool
    require_artifact_checksums: bool
    fairness: FairnessPolicy = FairnessPolicy()
    bias: BiasPolicy = BiasPolicy()


def _defaults() -> dict[int, TierPolicy]:
    return {
        1: TierPolicy(
            tier=1,
            model_card="complete_external_audit",
            validation=ValidationPolicy(
                label="Model Review Board",
                # EU AI Act high risk: the board includes legal and ethics, whose approvals are required.
                required_roles={"chair": 1, "data_science_lead": 1, "business_owner": 1, "risk_compliance": 1,
                                "legal": 1, "ethics": 1},
                chair_decides=True,
                independent_validation=True,
            ),
            monitoring=MonitoringPolicy(frequency="realtime", alert_severity="critical"),
            retraining=RetrainingPolicy(cadence="weekly", triggered=True),
            audit_retention_days=5 * 365 + 2,
            archive_retention_days=5 * 365 + 2,
            require_charter=True,
            require_data_documentation=True,
            require_deployment_record=True,
            require_artifact_checksums=True,
            fairness=FairnessPolicy(
                max_demographic_parity_difference=0.05,
                min_demographic_parity_ratio=0.9,
                max_equalized_odds_difference=0.05,
                max_equal_opportunity_difference=0.05,
            ),
            bias=BiasPolicy(max_label_rate_gap=0.1, min_group_share=0.05),
        ),
        2: TierPolicy(
            tier=2,
            model_card="complete",
            validation=ValidationPolicy(
                label="peer review + business owner", required_roles={"peer": 1, "business_owner": 1}
            ),
            monitoring=MonitoringPolicy(frequency="daily", alert_severity="warning"),
            retraining=RetrainingPolicy(cadence="monthly"),
            audit_retention_days=3 * 365 + 1,
            archive_retention_days=3 * 365 + 1,
            require_charter=True,
            require_data_documentation=True,
            require_deployment_record=True,
            require_artifact_checksums=True,
            fairness=FairnessPolicy(
                max_demographic_parity_difference=0.1,
                max_equalized_odds_difference=0.1,
                max_equal_opportunity_difference=0.1,
            ),
            bias=BiasPolicy(max_label_rate_gap=0.15, min_group_share=0.02),
        ),
        3: TierPolicy(
            tier=3,
            model_card="simplified",
            validation=ValidationPolicy(label="peer review", required_roles={"peer": 1}),
            monitoring=MonitoringPolicy(frequency="weekly", alert_severity="warning"),
            retraining=RetrainingPolicy(cadence="quarterly"),
            audit_retention_days=365,
            archive_retention_days=365,
            require_charter=True,
            require_data_documentation=False,
            require_deployment_record=True,
            require_artifact_checksums=False,
        ),
        4: TierPolicy(
            tier=4,
            model_card="none",
            validation=ValidationPolicy(
                label="self-review", required_roles={"owner": 1}, require_validation_report=False
            ),
            monitoring=MonitoringPolicy(frequency="monthly", alert_severity="info"),
            retraining=RetrainingPolicy(cadence="ad_hoc"),
            audit_retention_days=None,
            archive_retention_days=30,
            require_charter=False,
            require_data_documentation=False,
            require_deployment_record=False,
            require_artifact_checksums=False,
        ),
    }


class PolicyTable(_Strict):
    """The four tier policies. Build it from configuration with `with_overrides`."""

    tiers: dict[RiskTier, TierPolicy] = Field(default_factory=_defaults)

    def for_tier(self, tier: RiskTier) -> TierPolicy:
        return self.tiers[tier]

    def with_overrides(self, overrides: Mapping[int, Mapping[str, object]]) -> PolicyTable:
        """Deep-merge per-tier overrides (e.g. from YAML) onto this table; the result is validated again."""
        merged: dict[int, dict[str, object]] = {}
        for tier, policy in self.tiers.items():
            data = policy.model_dump()
            _deep_merge(data, dict(overrides.get(tier, {})))
            merged[tier] = data
        unknown = set(overrides) - set(self.tiers)
        if unknown:
            raise ValueError(f"unknown tier(s) in policy overrides: {sorted(unknown)!r}")
        return PolicyTable.model_validate({"tiers": merged})


def _deep_merge(base: dict[str, object], extra: dict[str, object]) -> None:
    for key, value in extra.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping) and key != "required_roles":
            _deep_merge(current, dict(value))
        else:
            base[key] = value


DEFAULT_POLICY = PolicyTable()


def tier_policy(tier: RiskTier, table: PolicyTable = DEFAULT_POLICY) -> TierPolicy:
    """The requirements of one tier (monitoring schedule, retention, approvals...)."""
    return table.for_tier(tier)
