"""Robustness: the metrics on edge cases (a second file or a filter) and under perturbations of the numeric
features, which need the model itself: an ONNX file run with onnxruntime (never a pickle)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from registry.governance.measured import LOWER_IS_BETTER, MeasuredMetric, MetricName, RobustnessResult, ScenarioKind
from registry.validation.data import EvalData
from registry.validation.options import ValidationInputError
from registry.validation.metrics import Units, estimate
from registry.validation.segments import is_numeric

NOISE_SD, MISSING_SHARE, OUT_OF_RANGE_SHARE = 0.1, 0.1, 0.05


@dataclass(frozen=True, slots=True)
class Settings:
    thresholds: dict[MetricName, float]
    resamples: int
    cap: int
    cutoff: float


def drops(reference: list[MeasuredMetric], current: list[MeasuredMetric]) -> dict[str, float]:
    """How much worse each metric is than on the reference (positive = worse, whatever the metric's direction)."""
    before = {m.name: m.value for m in reference if m.value is not None}
    result = {}
    for m in current:
        if m.value is not None and m.name in before:
            change = m.value - before[m.name]
            result[m.name] = change if m.name in LOWER_IS_BETTER else -change
    return result


def scenario(kind: ScenarioKind, name: str, units: Units, reference: list[MeasuredMetric], settings: Settings,
             rng: np.random.Generator, invalid: int = 0) -> RobustnessResult:
    metrics = estimate(units, settings.thresholds, settings.resamples, settings.cap, rng)
    reasons = [f"{name}: {m.name} {m.value if m.value is None else round(m.value, 4)} fails threshold {m.threshold}"
               for m in metrics if m.passed is False]
    if invalid:
        reasons.append(f"{name}: the model returned {invalid} non-finite output(s)")
    return RobustnessResult(scenario=name, kind=kind, rows=units.size, metrics=metrics,
                            drop=drops(reference, metrics), invalid_outputs=invalid, passed=not reasons,
                            reasons=reasons)


class OnnxModel:
    """A model file run on the numeric features, in the order given; its first output is a score or prediction."""

    def __init__(self, path: str, columns: list[str]) -> None:
        import onnxruntime as ort

        try:
            self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a broken or foreign file is bad input
            raise ValidationInputError(f"cannot load ONNX model {path!r}: {exc}") from None
        self.input = self.session.get_inputs()[0].name
        width = self.session.get_inputs()[0].shape[-1]
        if isinstance(width, int) and width != len(columns):
            raise ValidationInputError(f"ONNX model {path!r} takes {width} features; the data has {len(columns)} "
                                       f"numeric feature columns {columns}")
        self.columns = columns

    def outputs(self, matrix: np.ndarray) -> np.ndarray:
        result = np.asarray(self.session.run(None, {self.input: matrix.astype(np.float32)})[0], dtype=np.float64)
        return result[:, 1] if result.ndim == 2 and result.shape[1] == 2 else result.reshape(len(matrix))


def numeric_columns(data: EvalData, declared: list[str]) -> list[str]:
    names = declared or [c for c in data.features.columns if is_numeric(data.features[c])]
    missing = [c for c in names if c not in data.features.columns]
    if missing:
        raise ValidationInputError(f"feature column(s) {missing} of the version are not in {data.source!r}")
    return names


def perturbed(matrix: np.ndarray, rng: np.random.Generator) -> list[tuple[ScenarioKind, str, np.ndarray]]:
    sd = np.nanstd(matrix, axis=0)
    low, high = np.nanmin(matrix, axis=0), np.nanmax(matrix, axis=0)
    noisy = matrix + rng.normal(0, 1, matrix.shape) * NOISE_SD * sd
    holes = np.where(rng.random(matrix.shape) < MISSING_SHARE, np.nan, matrix)
    outside = np.where(rng.random(matrix.shape) < OUT_OF_RANGE_SHARE, high + (high - low), matrix)
    return [
        ("noise", f"gaussian noise ({NOISE_SD:g} standard deviation per numeric feature)", noisy),
        ("missing", f"missing values ({MISSING_SHARE:.0%} of each numeric feature)", holes),
        ("out_of_range", f"out-of-range values ({OUT_OF_RANGE_SHARE:.0%} set to max + range)", outside),
    ]


def _units(units: Units, outputs: np.ndarray, cutoff: float) -> tuple[Units, int]:
    invalid = int((~np.isfinite(outputs)).sum())
    if units.task == "regression":
        return Units("regression", units.y, outputs, None, units.classes), invalid
    integral = np.all(np.isin(outputs[np.isfinite(outputs)], (0.0, 1.0)))
    pred = np.where(outputs >= cutoff, 1.0, 0.0)
    scores = None if integral else np.nan_to_num(outputs, nan=cutoff)
    return Units("classification", units.y, pred, scores, np.union1d(units.classes, (0.0, 1.0))), invalid


def perturbations(data: EvalData, units: Units, model: OnnxModel, settings: Settings,
                  rng: np.random.Generator) -> list[RobustnessResult]:
    """The model on the clean features is the reference, so each drop is due to the perturbation alone."""
    matrix = data.features[model.columns].to_numpy(dtype=np.float64, na_value=np.nan)
    clean, invalid = _units(units, model.outputs(matrix), settings.cutoff)
    reference = estimate(clean, settings.thresholds, 0, settings.cap, rng)
    if invalid:
        raise ValidationInputError(f"the ONNX model returned {invalid} non-finite output(s) on the unperturbed data")
    results = []
    for kind, name, values in perturbed(matrix, rng):
        changed, invalid = _units(units, model.outputs(values), settings.cutoff)
        results.append(scenario(kind, name, changed, reference, settings, rng, invalid))
    return results
