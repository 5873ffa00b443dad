"""Phase 2 data-bias analysis: representation and label rate per sensitive group and segment of a training set."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from registry.governance.bias_records import DatasetBias, GroupShare
from registry.validation.data import read_table
from registry.validation.options import DataFile, ValidationInputError

MISSING = "(missing)"


def _labels(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    if column not in frame.columns:
        raise ValidationInputError(f"label column {column!r} is not in {source!r} (columns: {sorted(frame.columns)})")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any() or not np.isin(values, (0.0, 1.0)).all():
        bad = frame[column][~np.isin(values, (0.0, 1.0))].iloc[0]
        bad = bad.item() if isinstance(bad, np.generic) else bad
        raise ValidationInputError(f"label column {column!r} of {source!r} must hold 0 or 1: found {bad!r}")
    return values


def _groups(frame: pd.DataFrame, column: str, labels: np.ndarray | None, overall: float | None) -> list[GroupShare]:
    keys = frame[column].astype("string").fillna(MISSING).to_numpy(dtype=object)
    values, counts = np.unique(keys, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-int(counts[i]), str(values[i])))
    out = []
    for i in order:
        rate = gap = None
        if labels is not None and overall is not None:
            rate = float(labels[keys == values[i]].mean())
            gap = rate - overall
        out.append(GroupShare(column=column, value=str(values[i]), count=int(counts[i]),
                              share=float(counts[i]) / len(keys), label_rate=rate, label_gap=gap))
    return out


def analyse(data: DataFile, sensitive: list[str], label: str | None = None,
            segments: list[str] | None = None) -> DatasetBias:
    """Count, share and label rate (with its gap to the overall rate) for every value of each asked column."""
    if not sensitive:
        raise ValidationInputError("name at least one sensitive column")
    frame = read_table(data.raw, data.format, data.source)
    columns = list(dict.fromkeys([*sensitive, *(segments or [])]))
    for column in columns:
        if column not in frame.columns:
            raise ValidationInputError(f"column {column!r} is not in {data.source!r} "
                                       f"(columns: {sorted(frame.columns)})")
    labels = _labels(frame, label, data.source) if label else None
    overall = float(labels.mean()) if labels is not None else None
    groups = [g for column in columns for g in _groups(frame, column, labels, overall)]
    return DatasetBias(source=data.source, sha256=hashlib.sha256(data.raw).hexdigest(), rows=len(frame),
                       label=label, overall_label_rate=overall, groups=groups, sensitive=list(sensitive))
