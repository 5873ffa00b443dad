"""One validation run: metrics overall and per segment, fairness, robustness, and the `ValidationReport` they make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from registry.governance.measured import CalibrationBin, FairnessResult, MeasuredMetric, RobustnessResult, SegmentResult
from registry.governance.policy import FairnessPolicy
from registry.governance.records import MetricValue, ValidationReport
from registry.governance.specs import ValidationSpec
from registry.validation import filters, robustness
from registry.validation.data import EvalData, subset
from registry.validation.options import ValidationInputError, ValidationOptions
from registry.validation.fairness import fairness
from registry.validation.metrics import ECE_BINS, Units, estimate, units_of
from registry.validation.segments import slices

GENERATED_BY = "warden models validate"


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything one run reads: the data, the version's declarations, the tier's limits and the options."""

    data: EvalData
    spec: ValidationSpec
    limits: FairnessPolicy
    tier: int
    options: ValidationOptions
    features: list[str]
    edge_cases: EvalData | None = None
    model: robustness.OnnxModel | None = None


def _failures(where: str, metrics: list[MeasuredMetric]) -> list[str]:
    return [f"{where}: {m.name} {'undefined' if m.value is None else round(m.value, 4)} fails threshold {m.threshold}"
            for m in metrics if m.passed is False]


def _columns(inputs: Inputs, declared: list[str], what: str) -> list[str]:
    columns = list(dict.fromkeys(declared))
    unknown = [c for c in columns if c not in inputs.data.features.columns]
    if unknown:
        raise ValidationInputError(f"{what} column(s) {unknown} not in {inputs.data.source!r} "
                                   f"(feature columns: {sorted(inputs.data.features.columns)})")
    return columns


def segment_results(inputs: Inputs, units: Units, rng: np.random.Generator) -> tuple[list[SegmentResult], list[str]]:
    declared = _columns(inputs, inputs.spec.segment_columns + inputs.options.segments, "segment")
    o = inputs.options
    found, skipped = slices(inputs.data.features, declared, o.bins, o.max_categories)
    results = []
    for piece in found:
        metrics = estimate(units.take(piece.index), inputs.spec.thresholds, o.bootstrap, o.bootstrap_rows, rng)
        reasons = _failures(f"{piece.column} {piece.label}", metrics)
        if reasons and piece.index.size < inputs.spec.min_segment_rows:
            reasons = []  # too few rows to call it: reported, not flagged
        results.append(SegmentResult(column=piece.column, segment=piece.label, source=piece.source,
                                     rows=int(piece.index.size), metrics=metrics, flagged=bool(reasons),
                                     reasons=reasons))
    notes = [f"segments of {c!r}: more than {o.max_categories} distinct values" for c in skipped]
    return results, notes


def fairness_results(inputs: Inputs, units: Units) -> list[FairnessResult]:
    columns = _columns(inputs, inputs.spec.sensitive_columns + inputs.options.sensitive, "sensitive")
    return [fairness(c, units.y, units.pred, inputs.data.features[c], inputs.limits) for c in columns]


def robustness_results(inputs: Inputs, units: Units, overall: list[MeasuredMetric],
                       rng: np.random.Generator) -> tuple[list[RobustnessResult], list[str]]:
    o = inputs.options
    settings = robustness.Settings(inputs.spec.thresholds, o.bootstrap, o.bootstrap_rows, o.cutoff)
    results = []
    if inputs.edge_cases is not None:
        edge = units_of(inputs.edge_cases, inputs.spec.task, o.cutoff)
        name = f"edge cases from {inputs.edge_cases.source}"
        results.append(robustness.scenario("edge_cases", name, edge, overall, settings, rng))
    if o.filter:
        matched = subset(inputs.data, np.flatnonzero(filters.mask(inputs.data.features, o.filter)))
        filtered = units_of(matched, inputs.spec.task, o.cutoff)  # per query again for ranking
        results.append(robustness.scenario("filter", f"rows where {o.filter}", filtered, overall, settings, rng))
    if inputs.model is None:
        return results, ["perturbation robustness: no model file given (--model FILE.onnx)"]
    if inputs.spec.task == "ranking":
        return results, ["perturbation robustness: not computed for ranking"]
    return results + robustness.perturbations(inputs.data, units, inputs.model, settings, rng), []


def calibration_bins(units: Units) -> list[CalibrationBin]:
    if units.score is None or units.task != "classification" or not np.all((units.score >= 0) & (units.score <= 1)):
        return []
    codes = np.clip((units.score * ECE_BINS).astype(np.int64), 0, ECE_BINS - 1)
    rows = np.bincount(codes, minlength=ECE_BINS)
    scores = np.bincount(codes, weights=units.score, minlength=ECE_BINS)
    positives = np.bincount(codes, weights=(units.y == 1).astype(np.float64), minlength=ECE_BINS)
    return [CalibrationBin(low=b / ECE_BINS, high=(b + 1) / ECE_BINS, rows=int(rows[b]),
                           mean_score=float(scores[b] / rows[b]) if rows[b] else None,
                           positive_rate=float(positives[b] / rows[b]) if rows[b] else None)
            for b in range(ECE_BINS)]


def run(inputs: Inputs, validator: str, today: date) -> ValidationReport:
    """Compute every figure and judge it against the version's thresholds and the tier's fairness limits."""
    task, o = inputs.spec.task, inputs.options
    rng = np.random.default_rng(o.seed)
    units = units_of(inputs.data, task, o.cutoff)
    overall = estimate(units, inputs.spec.thresholds, o.bootstrap, o.bootstrap_rows, rng)
    segments: list[SegmentResult] = []
    fair: list[FairnessResult] = []
    skipped: list[str] = []
    if task == "ranking":
        skipped.append("segments and fairness: not computed for ranking (they are per row, ranking is per query)")
    else:
        segments, skipped = segment_results(inputs, units, rng)
        binary = set(units.classes.tolist()) <= {0.0, 1.0}
        if task == "classification" and binary:
            fair = fairness_results(inputs, units)
        elif inputs.spec.sensitive_columns or o.sensitive:
            skipped.append(f"fairness: needs binary classification (task {task!r})")
    robust, notes = robustness_results(inputs, units, overall, rng)
    issues = _failures("overall", overall) + [r for s in segments for r in s.reasons]
    issues += [i for f in fair for i in f.issues] + [r for s in robust for r in s.reasons]
    return ValidationReport(
        validator=validator, validated_on=today, methodology=_method(inputs), passed=not issues,
        results=[MetricValue(split="validation", name=m.name, value=m.value) for m in overall if m.value is not None],
        issues=issues, generated_by=GENERATED_BY, data_sha256=inputs.data.sha256, rows=inputs.data.rows,
        task=task, metrics=overall, segments=segments, fairness=fair, robustness=robust,
        calibration=calibration_bins(units), skipped=skipped + notes,
    )


def _method(inputs: Inputs) -> str:
    o = inputs.options
    return (f"Computed by Warden from {inputs.data.source!r} ({inputs.data.rows} rows, sha256 "
            f"{inputs.data.sha256[:12]}...): {inputs.spec.task} metrics overall and per segment (declared columns, "
            f"categorical values, {o.bins} quantile bins of numeric features) with 95% percentile bootstrap intervals "
            f"({o.bootstrap} resamples of at most {o.bootstrap_rows} rows, seed {o.seed}); fairness with fairlearn "
            f"against the tier {inputs.tier} limits; segments under {inputs.spec.min_segment_rows} rows are not "
            "flagged.")

