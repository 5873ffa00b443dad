"""The figures of a validation report Warden computed from data: metrics with confidence intervals, segments,
fairness per sensitive attribute and robustness scenarios (all optional fields of `ValidationReport`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Task = Literal["classification", "regression", "ranking"]
MetricName = Literal[
    "accuracy", "precision", "recall", "f1", "roc_auc", "brier", "ece", "rmse", "mae", "mape", "ndcg", "map", "mrr"
]
LOWER_IS_BETTER: frozenset[str] = frozenset({"brier", "ece", "rmse", "mae", "mape"})
SliceSource = Literal["declared", "categorical", "numeric_bin"]
ScenarioKind = Literal["edge_cases", "filter", "noise", "missing", "out_of_range"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeasuredMetric(_Strict):
    """One figure; `value` is None when undefined (e.g. AUC on a single class). `passed` is None without threshold."""

    name: MetricName
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    threshold: float | None = None
    passed: bool | None = None


class SegmentResult(_Strict):
    column: str
    segment: str
    source: SliceSource
    rows: int = Field(ge=0)
    metrics: list[MeasuredMetric] = []
    flagged: bool = False
    reasons: list[str] = []


class GroupRates(_Strict):
    group: str
    rows: int = Field(ge=0)
    selection_rate: float
    true_positive_rate: float | None = None
    false_positive_rate: float | None = None


class FairnessResult(_Strict):
    """Fairness of the predictions across the groups of one sensitive attribute, against the tier's limits
    (a figure is None when undefined, e.g. a group without positives; it then fails)."""

    attribute: str
    groups: list[GroupRates]
    demographic_parity_difference: float | None
    demographic_parity_ratio: float | None
    equalized_odds_difference: float | None
    equal_opportunity_difference: float | None
    passed: bool
    issues: list[str] = []


class RobustnessResult(_Strict):
    """The metrics on one scenario (edge cases, a filter, a perturbation) and their change from the full data."""

    scenario: str
    kind: ScenarioKind
    rows: int = Field(ge=0)
    metrics: list[MeasuredMetric] = []
    drop: dict[str, float] = {}
    invalid_outputs: int = 0
    passed: bool = True
    reasons: list[str] = []


class CalibrationBin(_Strict):
    low: float
    high: float
    rows: int = Field(ge=0)
    mean_score: float | None
    positive_rate: float | None
