"""Permutation importances computed by Warden: each feature of the validation data is shuffled in turn and the
drop of the task's metric is the feature's importance (scikit-learn's `permutation_importance`, seeded)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import accuracy_score, roc_auc_score, root_mean_squared_error

from registry.governance.interpretability_records import FeatureImportance, InterpretabilityRecord
from registry.governance.measured import Task
from registry.validation.data import read_table
from registry.validation.model_files import ModelFile, load_model
from registry.validation.options import DataFile, ValidationInputError
from registry.validation.segments import is_numeric


@dataclass(frozen=True, slots=True)
class ExplainOptions:
    label: str = "label"
    ignore: tuple[str, ...] = ("prediction", "score")
    repeats: int = 5
    seed: int = 0
    cutoff: float = 0.5


class _Fitted:
    """scikit-learn asks for an object with `fit`; the model is already trained, so fitting is a no-op."""

    def __init__(self, model: ModelFile) -> None:
        self.model = model

    def fit(self, x: np.ndarray, y: np.ndarray) -> _Fitted:
        return self


Scorer = Callable[[_Fitted, np.ndarray, np.ndarray], float]


def _scorer(task: Task, cutoff: float, outputs: np.ndarray) -> tuple[str, Scorer]:
    if task == "regression":
        return "rmse", lambda m, x, y: -root_mean_squared_error(y, m.model.outputs(x))
    if np.isin(outputs, (0.0, 1.0)).all():
        return "accuracy", lambda m, x, y: accuracy_score(y, m.model.outputs(x) >= cutoff)
    return "roc_auc", lambda m, x, y: roc_auc_score(y, m.model.outputs(x))


def _matrix(frame: pd.DataFrame, columns: list[str], source: str) -> np.ndarray:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationInputError(f"feature column(s) {missing} of the model are not in {source!r}")
    bad = [c for c in columns if not is_numeric(frame[c])]
    if bad:
        raise ValidationInputError(f"feature column(s) {bad} of {source!r} are not numeric")
    return frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)


def _labels(frame: pd.DataFrame, label: str, source: str) -> np.ndarray:
    if label not in frame.columns:
        raise ValidationInputError(f"label column {label!r} is not in {source!r} (columns: {sorted(frame.columns)})")
    values = pd.to_numeric(frame[label], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        raise ValidationInputError(f"label column {label!r} of {source!r} has missing or non-numeric values")
    return values


def explain(model_path: str, data: DataFile, task: Task, features: list[str], author: str, today: date,
            options: ExplainOptions = ExplainOptions()) -> InterpretabilityRecord:
    """Importance of each feature the model takes (the version's declared features, else every numeric column)."""
    if task == "ranking":
        raise ValidationInputError("permutation importances are computed for classification and regression only")
    frame = read_table(data.raw, data.format, data.source)
    y = _labels(frame, options.label, data.source)
    used = {options.label, *options.ignore}
    numeric = features or [c for c in frame.columns if c not in used and is_numeric(frame[c])]
    model = load_model(model_path, numeric)
    x = _matrix(frame, model.columns, data.source)
    if task == "classification" and np.unique(y).size < 2:
        raise ValidationInputError(f"label column {options.label!r} of {data.source!r} holds one class only "
                                   f"({y[0]:g}): shuffling a feature cannot change a score on it")
    metric, scorer = _scorer(task, options.cutoff, model.outputs(x))
    try:
        result = permutation_importance(_Fitted(model), x, y, scoring=scorer, n_repeats=options.repeats,
                                        random_state=options.seed)
    except ValueError as exc:  # e.g. labels the metric cannot take
        raise ValidationInputError(f"cannot score the model on {data.source!r}: {exc}") from None
    importances = [FeatureImportance(feature=c, importance=float(m), std=float(s))
                   for c, m, s in zip(model.columns, result.importances_mean, result.importances_std, strict=True)]
    artifact = Path(model_path)
    return InterpretabilityRecord(
        method="permutation", importances=sorted(importances, key=lambda i: -i.importance), author=author,
        recorded_on=today, artifact_uri=artifact.resolve().as_uri(),
        artifact_sha256=hashlib.sha256(artifact.read_bytes()).hexdigest(),
        generated_by="warden models explain", metric=metric, data_sha256=hashlib.sha256(data.raw).hexdigest(),
        rows=len(frame), repeats=options.repeats, seed=options.seed,
        summary=f"drop of {metric} when each feature is shuffled ({options.repeats} repeats, seed {options.seed})")
