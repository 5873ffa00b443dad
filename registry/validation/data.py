"""Reading a labelled evaluation set (CSV, Parquet, JSON lines) and checking the columns a validation needs."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from registry.governance.measured import Task
from registry.validation.options import DataFormat, ValidationInputError, ValidationOptions


@dataclass(frozen=True, slots=True)
class EvalData:
    """Labels, predictions and scores as float arrays (NaN where absent) and the remaining feature columns."""

    source: str
    sha256: str
    labels: np.ndarray
    predictions: np.ndarray | None
    scores: np.ndarray | None
    queries: np.ndarray | None
    features: pd.DataFrame

    @property
    def rows(self) -> int:
        return int(self.labels.size)


def read_table(raw: bytes, fmt: DataFormat, source: str) -> pd.DataFrame:
    if not raw.strip():
        raise ValidationInputError(f"{source!r} is empty")
    try:
        if fmt == "csv":
            frame = pd.read_csv(io.BytesIO(raw))
        elif fmt == "parquet":
            frame = pd.read_parquet(io.BytesIO(raw))
        else:
            frame = pd.read_json(io.BytesIO(raw), lines=True)
    except Exception as exc:  # noqa: BLE001 - every reader failure is bad input, reported with its cause
        raise ValidationInputError(f"cannot read {source!r} as {fmt}: {exc}") from None
    if frame.empty:
        raise ValidationInputError(f"{source!r} has no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _numeric(frame: pd.DataFrame, column: str, source: str, what: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = frame[column].notna().to_numpy() & np.isnan(values)
    if bad.any():
        first = frame[column][bad].iloc[0]
        raise ValidationInputError(f"{what} column {column!r} of {source!r} must be numeric: found {first!r}")
    if np.isnan(values).any():
        raise ValidationInputError(f"{what} column {column!r} of {source!r} has {int(np.isnan(values).sum())} "
                                   "missing value(s)")
    return values


def _require(frame: pd.DataFrame, column: str, source: str, what: str) -> None:
    if column not in frame.columns:
        raise ValidationInputError(f"{what} column {column!r} is not in {source!r} (columns: {sorted(frame.columns)})")


def prepare(frame: pd.DataFrame, raw: bytes, source: str, task: Task, options: ValidationOptions) -> EvalData:
    """Check the columns the task needs and split the frame into labels, outputs and features."""
    _require(frame, options.label, source, "label")
    labels = _numeric(frame, options.label, source, "label")
    has_pred, has_score = options.prediction in frame.columns, options.score in frame.columns
    if not has_pred and not has_score:
        raise ValidationInputError(
            f"{source!r} has neither a prediction column {options.prediction!r} nor a score column {options.score!r}"
        )
    if task == "ranking":
        _require(frame, options.query, source, "query")
        if not has_score:
            raise ValidationInputError(f"ranking needs a score column {options.score!r} in {source!r}")
    predictions = _numeric(frame, options.prediction, source, "prediction") if has_pred else None
    scores = _numeric(frame, options.score, source, "score") if has_score else None
    queries = frame[options.query].to_numpy() if task == "ranking" else None
    used = {options.label, options.prediction, options.score} | ({options.query} if task == "ranking" else set())
    features = frame[[c for c in frame.columns if c not in used]]
    return EvalData(source, hashlib.sha256(raw).hexdigest(), labels, predictions, scores, queries, features)


def load(raw: bytes, fmt: DataFormat, source: str, task: Task, options: ValidationOptions) -> EvalData:
    return prepare(read_table(raw, fmt, source), raw, source, task, options)


def subset(data: EvalData, index: np.ndarray, source: str | None = None) -> EvalData:
    """The rows at `index` (a slice, a filtered subset, or perturbed copies keep the same shape)."""
    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[index]

    return EvalData(source or data.source, data.sha256, data.labels[index], pick(data.predictions),
                    pick(data.scores), pick(data.queries), data.features.iloc[index])
